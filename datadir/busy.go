package datadir

// SQLite's primary result codes for a database another connection holds
// locked: SQLITE_BUSY (another process or connection) and SQLITE_LOCKED
// (a conflict within one connection), returned once the busy timeout has
// passed.
const (
	sqliteBusy   = 5
	sqliteLocked = 6
)

// StoreBusy reports whether err, anywhere in its chain, is SQLite saying
// a database stayed locked by someone else for longer than its busy
// timeout (R-OPS-4): a passing failure, to retry, not an internal error.
// Like StorageFull it recognises the driver's error by its Code() int
// method.
func StoreBusy(err error) bool {
	busy := false
	walk(err, func(e error) bool {
		if c, ok := e.(interface{ Code() int }); ok {
			code := c.Code() & 0xff
			busy = code == sqliteBusy || code == sqliteLocked
		}
		return busy
	})
	return busy
}
