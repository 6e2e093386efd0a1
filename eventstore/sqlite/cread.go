package sqlite

import (
	"context"
	"reflect"
	"unsafe"

	"github.com/google/uuid"
	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/referral-ledger/ledger/eventstore"
)

// Reading events straight from SQLite's C API (as modernc.org/sqlite
// translates it to Go), on the connection database/sql hands out.
//
// The driver's rows.Next gives every column as a driver.Value: a type
// call, one or two calls for the value, a fresh copy of every text and
// blob and an interface box for each, fourteen allocations an event before
// it is decoded. Here a row is read with the same calls less the copies:
// the id is parsed, and the metadata decoded, from SQLite's own memory,
// stream and type names are shared within a page, and only the data is
// copied, once. Replay spends most of its time doing exactly this.
//
// The driver does not export its connection's handles, so they are read
// from its struct by reflection; a driver whose struct differs (another
// version) is detected and read the general way (eachRow), as is any row
// whose values are not of the schema's types, and any failure of SQLite:
// cQuery then returns errOddRow and the caller reads the whole answer
// again through database/sql, so errors, tampered rows and all are
// reported exactly as they always were.

// cHandles are a connection's SQLite handle and the libc thread state the
// driver calls it with.
type cHandles struct {
	tls *libc.TLS
	db  uintptr
}

var tlsPtrType = reflect.TypeOf((*libc.TLS)(nil))

// handlesOf returns the handles of dc, a modernc.org/sqlite connection,
// or false when dc does not hold them where this version of the driver
// does.
func handlesOf(dc any) (cHandles, bool) {
	v := reflect.ValueOf(dc)
	if v.Kind() != reflect.Pointer || v.IsNil() {
		return cHandles{}, false
	}
	e := v.Elem()
	if e.Kind() != reflect.Struct || e.Type().PkgPath() != "modernc.org/sqlite" || e.Type().Name() != "conn" {
		return cHandles{}, false
	}
	db, tls := e.FieldByName("db"), e.FieldByName("tls")
	if !db.IsValid() || db.Kind() != reflect.Uintptr || !tls.IsValid() || tls.Type() != tlsPtrType || tls.IsNil() {
		return cHandles{}, false
	}
	h := cHandles{tls: (*libc.TLS)(tls.UnsafePointer()), db: uintptr(db.Uint())}
	if h.db == 0 {
		return cHandles{}, false
	}
	return h, true
}

// cArgs converts query arguments to the int64s and strings cQuery binds,
// or reports false for any other kind.
func cArgs(args []any) ([]any, bool) {
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case int:
			out[i] = int64(v)
		case int64:
			out[i] = v
		case eventstore.Position:
			out[i] = clampInt64(uint64(v))
		case string:
			out[i] = v
		default:
			return nil, false
		}
	}
	return out, true
}

// cQuery runs query, a SELECT of eventColumns, with args (int64s and
// strings) and appends the events it returns to out. It returns errOddRow,
// with the rows before appended, at a row it cannot take or when SQLite
// fails; ctx.Err() if ctx ends.
//
// With a cache, the statement is taken from it or prepared and kept there
// for dc, the driver connection whose handles h are, and reset after the
// read; without, it is prepared and finalized.
func cQuery(ctx context.Context, h cHandles, cache *cStmts, dc any, out []eventstore.RecordedEvent, query string, args []any) ([]eventstore.RecordedEvent, error) {
	tls := h.tls
	pstmt, kept := cache.get(dc, h.db, query), true
	if pstmt == 0 {
		var ok bool
		if pstmt, ok = cPrepare(tls, h.db, query); !ok {
			return out, errOddRow
		}
		kept = cache.put(dc, h.db, query, pstmt)
	}
	defer func() {
		if kept {
			cRelease(tls, pstmt)
		} else {
			sqlite3.Xsqlite3_finalize(tls, pstmt)
		}
	}()
	var rc int32
	for i, a := range args {
		switch v := a.(type) {
		case int64:
			rc = sqlite3.Xsqlite3_bind_int64(tls, pstmt, int32(i+1), v)
		case string:
			z, err := libc.CString(v)
			if err != nil {
				return out, errOddRow
			}
			// SQLITE_TRANSIENT: SQLite copies the string, so a kept
			// statement holds no pointer to memory freed here.
			rc = sqlite3.Xsqlite3_bind_text(tls, pstmt, int32(i+1), z, int32(len(v)), sqliteTransient)
			libc.Xfree(tls, z)
		default:
			return out, errOddRow
		}
		if rc != sqlite3.SQLITE_OK {
			return out, errOddRow
		}
	}
	// Every call below enters the connection's mutex (the driver opens it
	// SQLITE_OPEN_FULLMUTEX) and leaves it again: taking that recursive
	// mutex once for the whole read makes each of those a nested entry,
	// without the lock itself, a fifth of a replay's CPU. Nothing else
	// uses the connection meanwhile: database/sql has handed it to this
	// goroutine alone (conn.Raw).
	mu := sqlite3.Xsqlite3_db_mutex(tls, h.db)
	sqlite3.Xsqlite3_mutex_enter(tls, mu)
	defer sqlite3.Xsqlite3_mutex_leave(tls, mu)
	names := make(map[string]string) // the page's stream and type names, each allocated once
	for n := 1; ; n++ {
		if n%256 == 0 {
			if err := ctx.Err(); err != nil {
				return out, err
			}
		}
		switch sqlite3.Xsqlite3_step(tls, pstmt) {
		case sqlite3.SQLITE_ROW:
		case sqlite3.SQLITE_DONE:
			return out, ctx.Err()
		default:
			return out, errOddRow
		}
		ev, ok := cRow(tls, pstmt, names)
		if !ok {
			return out, errOddRow
		}
		out = append(out, ev)
	}
}

// cPrepare prepares query, a SELECT of eventColumns, on db.
func cPrepare(tls *libc.TLS, db uintptr, query string) (uintptr, bool) {
	zSQL, err := libc.CString(query)
	if err != nil {
		return 0, false
	}
	defer libc.Xfree(tls, zSQL)
	pp := sqlite3.Xsqlite3_malloc(tls, int32(unsafe.Sizeof(uintptr(0))))
	if pp == 0 {
		return 0, false
	}
	*(*uintptr)(cPtr(pp)) = 0
	rc := sqlite3.Xsqlite3_prepare_v2(tls, db, zSQL, -1, pp, 0)
	pstmt := *(*uintptr)(cPtr(pp))
	sqlite3.Xsqlite3_free(tls, pp)
	if rc != sqlite3.SQLITE_OK || pstmt == 0 || sqlite3.Xsqlite3_column_count(tls, pstmt) != 8 {
		if pstmt != 0 {
			sqlite3.Xsqlite3_finalize(tls, pstmt)
		}
		return 0, false
	}
	return pstmt, true
}

// cRelease readies a kept statement for its next use: it ends the read,
// releasing its snapshot. Its bindings, copies (sqliteTransient), stay
// until the next read binds its own: clearing them would make SQLite
// compile the statement again on its next step, as parsing it would.
func cRelease(tls *libc.TLS, pstmt uintptr) {
	sqlite3.Xsqlite3_reset(tls, pstmt)
}

// sqliteTransient is SQLITE_TRANSIENT, the destructor that asks SQLite to
// copy a bound value.
const sqliteTransient = ^uintptr(0)

// cBytes returns column i's bytes as SQLite holds them, valid until the
// statement steps or the column is read as another type.
func cBytes(tls *libc.TLS, pstmt uintptr, i int32, text bool) []byte {
	var p uintptr
	if text {
		p = sqlite3.Xsqlite3_column_text(tls, pstmt, i)
	} else {
		p = sqlite3.Xsqlite3_column_blob(tls, pstmt, i)
	}
	n := sqlite3.Xsqlite3_column_bytes(tls, pstmt, i)
	if p == 0 || n <= 0 {
		return nil
	}
	return unsafe.Slice((*byte)(cPtr(p)), n)
}

// cPtr turns an address in SQLite's memory into a pointer. That memory is
// the C library's, outside the Go heap: Go never moves nor frees it.
func cPtr(p uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&p)) }

// intern returns b as a string, the same one for the same bytes.
func intern(names map[string]string, b []byte) string {
	if s, ok := names[string(b)]; ok {
		return s
	}
	s := string(b)
	names[s] = s
	return s
}

// cRow decodes the current row of eventColumns, or reports false when a
// value is not of the type (or range) the schema stores or does not
// decode: the general path then reads it and reports why.
func cRow(tls *libc.TLS, pstmt uintptr, names map[string]string) (eventstore.RecordedEvent, bool) {
	var t [8]int32
	for i := range t {
		t[i] = sqlite3.Xsqlite3_column_type(tls, pstmt, int32(i))
	}
	const integer, text, blob, null = sqlite3.SQLITE_INTEGER, sqlite3.SQLITE_TEXT, sqlite3.SQLITE_BLOB, sqlite3.SQLITE_NULL
	if t[0] != integer || t[1] != text || t[2] != text || t[3] != integer || t[4] != text || t[5] != integer ||
		(t[6] != blob && t[6] != null) || t[7] != blob {
		return eventstore.RecordedEvent{}, false
	}
	pos := sqlite3.Xsqlite3_column_int64(tls, pstmt, 0)
	rev := sqlite3.Xsqlite3_column_int64(tls, pstmt, 3)
	sv := sqlite3.Xsqlite3_column_int64(tls, pstmt, 5)
	if pos < 0 || rev < 0 || int64(int(sv)) != sv {
		return eventstore.RecordedEvent{}, false
	}
	id, err := uuid.ParseBytes(cBytes(tls, pstmt, 1, true))
	if err != nil {
		return eventstore.RecordedEvent{}, false
	}
	ev := eventstore.RecordedEvent{
		ID:            id,
		Stream:        intern(names, cBytes(tls, pstmt, 2, true)),
		Revision:      uint64(rev),
		Position:      eventstore.Position(pos),
		Type:          intern(names, cBytes(tls, pstmt, 4, true)),
		SchemaVersion: int(sv),
	}
	var data []byte
	if t[6] == blob {
		data = cBytes(tls, pstmt, 6, false)
	}
	// Reading column 7 leaves column 6's bytes where they are: SQLite
	// keeps each column of the row in its own memory until the next step.
	meta := cBytes(tls, pstmt, 7, false)
	if len(meta) == 0 {
		return eventstore.RecordedEvent{}, false
	}
	// decodeMetaWith keeps nothing of meta nor data: it copies what it
	// returns, the data and the metadata's strings in one allocation.
	if ev.Metadata, ev.Data, err = decodeMetaWith(meta, data); err != nil {
		return eventstore.RecordedEvent{}, false
	}
	return ev, true
}
