package sqlite

import (
	"sync"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// cStmts keeps the direct reads' statements (cQuery) prepared, one per
// query and read connection: parsing the SQL cost most of a short read.
//
// A statement belongs to its connection, so the cache is keyed by the
// driver's connection itself (a pointer, which the map keeps alive, so no
// later connection can have its address) and a statement is only ever
// used while database/sql has handed that connection out, by the one
// goroutine holding it. The read pool keeps its connections for the
// store's life (as many idle as open, no lifetime); should it close one
// anyway, SQLite keeps it as a zombie until its statements are finalized,
// which close does. close finalizes every statement before the pool
// closes, and from then on nothing is cached.
type cStmts struct {
	mu     sync.Mutex
	conns  map[any]*connStmts
	closed bool
}

// connStmts are one connection's statements, by query.
type connStmts struct {
	db    uintptr
	stmts map[string]uintptr
}

// get returns the statement prepared for query on the connection dc, whose
// SQLite handle is db, or 0.
func (c *cStmts) get(dc any, db uintptr, query string) uintptr {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cs := c.conns[dc]
	if cs == nil || cs.db != db {
		return 0
	}
	return cs.stmts[query]
}

// put keeps pstmt, prepared for query on dc, and reports whether it did:
// if not (the store is closing), the caller finalizes it.
func (c *cStmts) put(dc any, db uintptr, query string, pstmt uintptr) bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return false
	}
	cs := c.conns[dc]
	if cs == nil || cs.db != db {
		if cs != nil {
			return false // not seen: a connection's handle does not change
		}
		if c.conns == nil {
			c.conns = make(map[any]*connStmts)
		}
		cs = &connStmts{db: db, stmts: make(map[string]uintptr)}
		c.conns[dc] = cs
	}
	if _, ok := cs.stmts[query]; ok {
		return false
	}
	cs.stmts[query] = pstmt
	return true
}

// close finalizes every statement kept. No read may be running: Close
// calls it once every call has left, before it closes the read pool.
func (c *cStmts) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if len(c.conns) == 0 {
		return
	}
	// The connections' own thread states belong to the driver; finalizing
	// needs one, and SQLite does not mind which while nothing else runs.
	tls := libc.NewTLS()
	defer tls.Close()
	for _, cs := range c.conns {
		for _, pstmt := range cs.stmts {
			sqlite3.Xsqlite3_finalize(tls, pstmt)
		}
	}
	c.conns = nil
}
