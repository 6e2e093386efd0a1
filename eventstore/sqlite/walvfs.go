package sqlite

// The writer's connection opens its file through walVFS, SQLite's default
// VFS with one change: what the connection writes to the WAL goes to the
// file in one pwrite per run of consecutive writes instead of two per
// frame. SQLite writes each WAL frame as two calls, its 24-byte header and
// then the page, so a commit of n pages costs 2n system calls, which were
// the largest part of the writer's CPU. Here consecutive writes are
// gathered in memory and written together before anything can depend on
// them being in the file:
//
//   - before the WAL is synced: a commit (synchronous=FULL) fsyncs the WAL
//     before it returns, so every acknowledged append is on disk exactly
//     as before;
//   - before a commit becomes visible to other connections: SQLite
//     publishes a commit by rewriting the wal-index header, with a memory
//     barrier (xShmBarrier on the database file) in between, so the
//     barrier writes out the WAL's gathered bytes first;
//   - before anything else touches the WAL file (a read, its size, a
//     truncate, a file control, a write elsewhere in it, closing it).
//
// Nothing else changes: the bytes, their offsets and the syncs are the
// ones SQLite asked for, written by SQLite's own xWrite, whose errors
// (a full disk, say) come back from the call that writes them.

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// walVFSName is the name the writer's DSN asks for (vfs=...).
const walVFSName = "ledger-gathered-wal"

// maxGathered bounds the bytes gathered before they are written anyway;
// they go to the file maxWrite bytes per call.
const (
	maxGathered = 4 << 20
	maxWrite    = 124 << 10
)

var (
	walVFSOnce sync.Once
	walVFSErr  error
	walVFS     struct {
		orig uintptr // the default VFS

		mu      sync.Mutex
		wals    map[uintptr]*walFile   // open WAL files, by sqlite3_file
		dbs     map[uintptr]*dbFile    // open database files, by sqlite3_file
		byDB    map[string][]*walFile  // open WAL files, by their database's path
		methods map[[2]uintptr]uintptr // wrapped io_methods by (original, kind)

		// For tests: SQLite's writes to WAL files, and the writes that
		// reached them.
		asked, written atomic.Int64
	}
)

// walFile is an open WAL and the bytes gathered for it: buf[:n], to be
// written at off.
type walFile struct {
	mu   sync.Mutex
	file uintptr // its sqlite3_file
	orig uintptr // the file's own io_methods
	db   string
	buf  uintptr // C memory, cap bytes
	cap  int
	n    int
	off  int64
}

// dbFile is an open main database file.
type dbFile struct {
	orig uintptr
	path string
}

const (
	kindWAL = 1
	kindDB  = 2
)

// registerWALVFS registers walVFS once per process.
func registerWALVFS() error {
	walVFSOnce.Do(func() {
		tls := libc.NewTLS()
		defer tls.Close()
		orig := sqlite3.Xsqlite3_vfs_find(tls, 0)
		if orig == 0 {
			walVFSErr = errNoVFS
			return
		}
		walVFS.orig = orig
		walVFS.wals = make(map[uintptr]*walFile)
		walVFS.dbs = make(map[uintptr]*dbFile)
		walVFS.byDB = make(map[string][]*walFile)
		walVFS.methods = make(map[[2]uintptr]uintptr)
		size := unsafe.Sizeof(sqlite3.Tsqlite3_vfs{})
		p := libc.Xcalloc(tls, 1, uint64(size))
		if p == 0 {
			walVFSErr = errNoVFS
			return
		}
		v := (*sqlite3.Tsqlite3_vfs)(ptr(p))
		*v = *(*sqlite3.Tsqlite3_vfs)(ptr(orig))
		v.FpNext = 0
		name, err := libc.CString(walVFSName)
		if err != nil {
			walVFSErr = err
			return
		}
		v.FzName = name
		v.FxOpen = fnPtr(walVFSOpen)
		if rc := sqlite3.Xsqlite3_vfs_register(tls, p, 0); rc != sqlite3.SQLITE_OK {
			walVFSErr = errNoVFS
		}
	})
	return walVFSErr
}

type vfsError string

func (e vfsError) Error() string { return string(e) }

const errNoVFS = vfsError("sqlite: cannot register the writer's VFS")

// ptr converts an address SQLite gave (C memory) to a pointer.
func ptr(u uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&u)) }

// fnPtr is f as SQLite's transpiled C holds function pointers.
func fnPtr(f any) uintptr { return (*[2]uintptr)(unsafe.Pointer(&f))[1] }

// fn turns a function pointer SQLite holds back into a callable F.
func fn[F any](p uintptr) F { return *(*F)(unsafe.Pointer(&struct{ uintptr }{p})) }

func ioMethods(p uintptr) *sqlite3.Tsqlite3_io_methods {
	return (*sqlite3.Tsqlite3_io_methods)(ptr(p))
}

func fileMethods(f uintptr) uintptr { return (*sqlite3.Tsqlite3_file)(ptr(f)).FpMethods }

// wrapped returns (making it once) a copy of the io_methods at orig with
// the calls of kind replaced.
func wrapped(tls *libc.TLS, orig uintptr, kind uintptr) uintptr {
	key := [2]uintptr{orig, kind}
	if p, ok := walVFS.methods[key]; ok {
		return p
	}
	size := unsafe.Sizeof(sqlite3.Tsqlite3_io_methods{})
	p := libc.Xcalloc(tls, 1, uint64(size))
	if p == 0 {
		return 0
	}
	m := ioMethods(p)
	*m = *ioMethods(orig)
	switch kind {
	case kindWAL:
		m.FxClose = fnPtr(walClose)
		m.FxRead = fnPtr(walRead)
		m.FxWrite = fnPtr(walWrite)
		m.FxTruncate = fnPtr(walTruncate)
		m.FxSync = fnPtr(walSync)
		m.FxFileSize = fnPtr(walFileSize)
		m.FxFileControl = fnPtr(walFileControl)
	case kindDB:
		m.FxClose = fnPtr(dbClose)
		if m.FiVersion >= 2 && m.FxShmBarrier != 0 {
			m.FxShmBarrier = fnPtr(dbShmBarrier)
		}
	}
	walVFS.methods[key] = p
	return p
}

func walVFSOpen(tls *libc.TLS, pVfs, zName, pFile uintptr, flags int32, pOutFlags uintptr) int32 {
	open := fn[func(*libc.TLS, uintptr, uintptr, uintptr, int32, uintptr) int32]((*sqlite3.Tsqlite3_vfs)(ptr(walVFS.orig)).FxOpen)
	rc := open(tls, walVFS.orig, zName, pFile, flags, pOutFlags)
	if rc != sqlite3.SQLITE_OK || fileMethods(pFile) == 0 || zName == 0 {
		return rc
	}
	kind := uintptr(0)
	switch {
	case flags&sqlite3.SQLITE_OPEN_WAL != 0:
		kind = kindWAL
	case flags&sqlite3.SQLITE_OPEN_MAIN_DB != 0:
		kind = kindDB
	default:
		return rc
	}
	name := libc.GoString(zName)
	orig := fileMethods(pFile)
	walVFS.mu.Lock()
	defer walVFS.mu.Unlock()
	m := wrapped(tls, orig, kind)
	if m == 0 {
		return rc // unwrapped: it still works, only without gathering
	}
	if kind == kindWAL {
		w := &walFile{file: pFile, orig: orig, db: strings.TrimSuffix(name, "-wal")}
		walVFS.wals[pFile] = w
		// A new slice each time: dbShmBarrier ranges over one it read
		// under the lock without holding it.
		walVFS.byDB[w.db] = append(slices.Clip(walVFS.byDB[w.db]), w)
	} else {
		walVFS.dbs[pFile] = &dbFile{orig: orig, path: name}
	}
	(*sqlite3.Tsqlite3_file)(ptr(pFile)).FpMethods = m
	return rc
}

func walOf(f uintptr) *walFile {
	walVFS.mu.Lock()
	w := walVFS.wals[f]
	walVFS.mu.Unlock()
	return w
}

// flush writes the gathered bytes; w.mu is held.
func (w *walFile) flush(tls *libc.TLS) int32 {
	if w.n == 0 {
		return sqlite3.SQLITE_OK
	}
	write := fn[func(*libc.TLS, uintptr, uintptr, int32, int64) int32](ioMethods(w.orig).FxWrite)
	n := w.n
	w.n = 0
	// SQLite's xWrite takes at most 128 KiB at a time (its
	// seekAndWriteFd masks the length with 0x1ffff).
	for done := 0; done < n; done += maxWrite {
		walVFS.written.Add(1)
		if rc := write(tls, w.file, w.buf+uintptr(done), int32(min(maxWrite, n-done)), w.off+int64(done)); rc != sqlite3.SQLITE_OK {
			return rc
		}
	}
	return sqlite3.SQLITE_OK
}

func walWrite(tls *libc.TLS, f, p uintptr, amt int32, off int64) int32 {
	walVFS.asked.Add(1)
	w := walOf(f)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.n > 0 && off == w.off+int64(w.n) && w.n+int(amt) <= maxGathered {
		libc.Xmemcpy(tls, w.buf+uintptr(w.n), p, uint64(amt))
		w.n += int(amt)
		return sqlite3.SQLITE_OK
	}
	if rc := w.flush(tls); rc != sqlite3.SQLITE_OK {
		return rc
	}
	if int(amt) > maxGathered {
		walVFS.written.Add(1)
		return fn[func(*libc.TLS, uintptr, uintptr, int32, int64) int32](ioMethods(w.orig).FxWrite)(tls, f, p, amt, off)
	}
	if w.cap == 0 {
		// Room for the largest commit the writer makes in one go.
		w.buf = libc.Xmalloc(tls, maxGathered)
		if w.buf == 0 {
			return sqlite3.SQLITE_NOMEM
		}
		w.cap = maxGathered
	}
	libc.Xmemcpy(tls, w.buf, p, uint64(amt))
	w.n, w.off = int(amt), off
	return sqlite3.SQLITE_OK
}

func walRead(tls *libc.TLS, f, p uintptr, amt int32, off int64) int32 {
	w := walOf(f)
	w.mu.Lock()
	defer w.mu.Unlock()
	if rc := w.flush(tls); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return fn[func(*libc.TLS, uintptr, uintptr, int32, int64) int32](ioMethods(w.orig).FxRead)(tls, f, p, amt, off)
}

func walTruncate(tls *libc.TLS, f uintptr, size int64) int32 {
	w := walOf(f)
	w.mu.Lock()
	defer w.mu.Unlock()
	if rc := w.flush(tls); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return fn[func(*libc.TLS, uintptr, int64) int32](ioMethods(w.orig).FxTruncate)(tls, f, size)
}

func walSync(tls *libc.TLS, f uintptr, flags int32) int32 {
	w := walOf(f)
	w.mu.Lock()
	defer w.mu.Unlock()
	if rc := w.flush(tls); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return fn[func(*libc.TLS, uintptr, int32) int32](ioMethods(w.orig).FxSync)(tls, f, flags)
}

func walFileSize(tls *libc.TLS, f, pSize uintptr) int32 {
	w := walOf(f)
	w.mu.Lock()
	defer w.mu.Unlock()
	if rc := w.flush(tls); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return fn[func(*libc.TLS, uintptr, uintptr) int32](ioMethods(w.orig).FxFileSize)(tls, f, pSize)
}

func walFileControl(tls *libc.TLS, f uintptr, op int32, pArg uintptr) int32 {
	w := walOf(f)
	w.mu.Lock()
	defer w.mu.Unlock()
	if rc := w.flush(tls); rc != sqlite3.SQLITE_OK {
		return rc
	}
	return fn[func(*libc.TLS, uintptr, int32, uintptr) int32](ioMethods(w.orig).FxFileControl)(tls, f, op, pArg)
}

func walClose(tls *libc.TLS, f uintptr) int32 {
	walVFS.mu.Lock()
	w := walVFS.wals[f]
	delete(walVFS.wals, f)
	list := slices.DeleteFunc(slices.Clone(walVFS.byDB[w.db]), func(x *walFile) bool { return x == w })
	if len(list) == 0 {
		delete(walVFS.byDB, w.db)
	} else {
		walVFS.byDB[w.db] = list
	}
	walVFS.mu.Unlock()
	w.mu.Lock()
	defer w.mu.Unlock()
	rc := w.flush(tls)
	if w.buf != 0 {
		libc.Xfree(tls, w.buf)
		w.buf, w.cap = 0, 0
	}
	// The file is closed whatever the flush said; its error is reported.
	(*sqlite3.Tsqlite3_file)(ptr(f)).FpMethods = w.orig
	if crc := fn[func(*libc.TLS, uintptr) int32](ioMethods(w.orig).FxClose)(tls, f); rc == sqlite3.SQLITE_OK {
		rc = crc
	}
	return rc
}

// dbShmBarrier writes out what any connection gathered for this database's
// WAL before SQLite publishes a commit in the wal-index.
func dbShmBarrier(tls *libc.TLS, f uintptr) {
	walVFS.mu.Lock()
	d := walVFS.dbs[f]
	var wals []*walFile
	if d != nil {
		wals = walVFS.byDB[d.path]
	}
	walVFS.mu.Unlock()
	for _, w := range wals {
		w.mu.Lock()
		// A failure here cannot be returned; the bytes stay gathered
		// for the sync or the next call to report it.
		if w.n > 0 {
			n := w.n
			if w.flush(tls) != sqlite3.SQLITE_OK {
				w.n = n
			}
		}
		w.mu.Unlock()
	}
	if d != nil {
		fn[func(*libc.TLS, uintptr)](ioMethods(d.orig).FxShmBarrier)(tls, f)
	}
}

func dbClose(tls *libc.TLS, f uintptr) int32 {
	walVFS.mu.Lock()
	d := walVFS.dbs[f]
	delete(walVFS.dbs, f)
	walVFS.mu.Unlock()
	(*sqlite3.Tsqlite3_file)(ptr(f)).FpMethods = d.orig
	return fn[func(*libc.TLS, uintptr) int32](ioMethods(d.orig).FxClose)(tls, f)
}
