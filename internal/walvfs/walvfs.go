// Package walvfs is SQLite's default VFS with one change: what a
// connection writes to a WAL goes to the file in one pwrite per run of
// consecutive writes instead of two per frame. SQLite writes each WAL frame
// as two calls, its 24-byte header and then the page, so a commit of n
// pages costs 2n system calls, which were the largest part of the event
// store writer's CPU and a large part of the views'. Here consecutive
// writes are gathered in memory and written together before anything can
// depend on them being in the file:
//
//   - within the write of a commit's last frame: SQLite marks a commit's
//     last frame in its header (the database size after the commit), and
//     the write of that frame's page writes out everything gathered before
//     it returns, its error (a full disk, say) coming back from the call,
//     so a commit that could not be written fails and is never published.
//     SQLite publishes a commit in the wal-index after its frames are
//     written and, at synchronous=FULL, synced; at synchronous=NORMAL no
//     sync comes in between, so this write is the last call that can fail
//     the commit. A commit frame's header written on its own (the
//     checksums SQLite rewrites after a transaction overwrote one of its
//     own frames) is written at once, the same way;
//   - before the WAL is synced;
//   - before anything else touches the WAL file (a read, its size, a
//     truncate, a file control, a write elsewhere in it, closing it);
//   - before SQLite publishes a commit by rewriting the wal-index header,
//     with a memory barrier (xShmBarrier on the database file) in between:
//     a safety net only, the barrier cannot report an error, and there is
//     nothing gathered left by then.
//
// What a transaction gathered and did not commit (frames of a transaction
// larger than the page cache, rolled back) is written out when the
// connection releases the WAL's write lock, not later, when another
// connection may have written its own frames there.
//
// Nothing else changes: the bytes, their offsets and the syncs are the
// ones SQLite asked for, written by SQLite's own xWrite.
package walvfs

import (
	"encoding/binary"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// Name is the name a DSN asks for (vfs=...), once Register has returned.
const Name = "ledger-gathered-wal"

// maxGathered bounds the bytes gathered before they are written anyway;
// they go to the file maxWrite bytes per call (a multiple of it, so a full
// buffer takes no short call). Each connection that writes holds a buffer
// of this size.
const (
	maxWrite    = 124 << 10
	maxGathered = 4 * maxWrite
)

// frameHeader is the size of a WAL frame's header; its bytes 4 to 7 hold,
// for the last frame of a commit, the database's size in pages after it,
// 0 for any other frame.
const frameHeader = 24

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
		// reached them; fail, when set, fails every write of gathered
		// bytes to the WAL of that database.
		asked, written atomic.Int64
		fail           atomic.Pointer[string]
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
	// commitPage is the offset of the page of the commit frame whose
	// header was the last write, -1 if it was not one.
	commitPage int64
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

// Register registers the VFS (as Name) once per process.
func Register() error {
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
		name, err := libc.CString(Name)
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

const errNoVFS = vfsError("sqlite: cannot register the gathering WAL VFS")

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
		if m.FiVersion >= 2 && m.FxShmLock != 0 {
			m.FxShmLock = fnPtr(dbShmLock)
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
		w := &walFile{file: pFile, orig: orig, db: strings.TrimSuffix(name, "-wal"), commitPage: -1}
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
	if f := walVFS.fail.Load(); f != nil && *f == filepath.Clean(w.db) {
		return sqlite3.SQLITE_IOERR_WRITE
	}
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
	commitPage := w.commitPage
	w.commitPage = -1
	if amt == frameHeader && binary.BigEndian.Uint32((*[frameHeader]byte)(ptr(p))[4:8]) != 0 {
		// The header of a commit's last frame. Appended after the frames
		// gathered before it, its page follows and writes them all out;
		// on its own, it is written now.
		w.commitPage = off + frameHeader
		if w.n == 0 || off != w.off+int64(w.n) || w.n+int(amt) > w.cap {
			if rc := w.flush(tls); rc != sqlite3.SQLITE_OK {
				return rc
			}
			walVFS.written.Add(1)
			return fn[func(*libc.TLS, uintptr, uintptr, int32, int64) int32](ioMethods(w.orig).FxWrite)(tls, f, p, amt, off)
		}
	}
	rc := w.gather(tls, f, p, amt, off)
	if rc == sqlite3.SQLITE_OK && off == commitPage {
		// The page of a commit's last frame: the commit is written out
		// before SQLite can publish it, or fails.
		rc = w.flush(tls)
	}
	return rc
}

// gather adds a write to the bytes gathered, writing those out first when
// it does not follow them; w.mu is held.
func (w *walFile) gather(tls *libc.TLS, f, p uintptr, amt int32, off int64) int32 {
	if w.n > 0 && off == w.off+int64(w.n) && w.n+int(amt) <= w.cap {
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
// WAL before SQLite publishes a commit in the wal-index: a safety net, as a
// commit is written out within the write of its last frame.
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

// walWriteLock is the wal-index lock SQLite holds while it writes the WAL.
const walWriteLock = 0

// dbShmLock writes out what was gathered for this database's WAL when a
// connection releases the WAL's write lock, while it still holds it: the
// frames of a transaction rolled back (past the last commit, as SQLite
// would have written them), never left to land later where the next writer
// writes its own. Only the connection that held the lock can have gathered
// anything.
func dbShmLock(tls *libc.TLS, f uintptr, ofst, n, flags int32) int32 {
	walVFS.mu.Lock()
	d := walVFS.dbs[f]
	var wals []*walFile
	if flags&sqlite3.SQLITE_SHM_UNLOCK != 0 && ofst <= walWriteLock && walWriteLock < ofst+n {
		wals = walVFS.byDB[d.path]
	}
	walVFS.mu.Unlock()
	for _, w := range wals {
		w.mu.Lock()
		// Whatever it says, nothing stays gathered: an error here is
		// one SQLite would have had from its own writes of frames it
		// does not keep.
		_ = w.flush(tls)
		w.commitPage = -1
		w.mu.Unlock()
	}
	return fn[func(*libc.TLS, uintptr, int32, int32, int32) int32](ioMethods(d.orig).FxShmLock)(tls, f, ofst, n, flags)
}

// Counts returns, for tests, how many writes SQLite asked of WAL files
// opened through the VFS, and how many reached them.
func Counts() (asked, written int64) { return walVFS.asked.Load(), walVFS.written.Load() }

// Paired returns, for tests, how many open database files the VFS knows at
// path and how many WALs it pairs with them.
func Paired(path string) (dbs, wals int) {
	walVFS.mu.Lock()
	defer walVFS.mu.Unlock()
	for _, d := range walVFS.dbs {
		if filepath.Clean(d.path) == filepath.Clean(path) {
			dbs++
			wals += len(walVFS.byDB[d.path])
		}
	}
	return dbs, wals
}

// Gathered returns, for tests, how many bytes the connections of the
// database at path have gathered for its WAL and not written out.
func Gathered(path string) int {
	walVFS.mu.Lock()
	var wals []*walFile
	for db, list := range walVFS.byDB {
		if filepath.Clean(db) == filepath.Clean(path) {
			wals = append(wals, list...)
		}
	}
	walVFS.mu.Unlock()
	n := 0
	for _, w := range wals {
		w.mu.Lock()
		n += w.n
		w.mu.Unlock()
	}
	return n
}

// FailWrites makes, for tests, every write of gathered bytes to the WAL of
// the database at path fail (as a full or failing disk would) until the
// function it returns is called.
func FailWrites(path string) (restore func()) {
	p := filepath.Clean(path)
	walVFS.fail.Store(&p)
	return func() { walVFS.fail.Store(nil) }
}

func dbClose(tls *libc.TLS, f uintptr) int32 {
	walVFS.mu.Lock()
	d := walVFS.dbs[f]
	delete(walVFS.dbs, f)
	walVFS.mu.Unlock()
	(*sqlite3.Tsqlite3_file)(ptr(f)).FpMethods = d.orig
	return fn[func(*libc.TLS, uintptr) int32](ioMethods(d.orig).FxClose)(tls, f)
}
