package datadir

import (
	"context"
	"database/sql"
)

// CloseSQLite closes a SQLite database in WAL mode so that what it leaves
// behind is the database file alone, its WAL folded in.
//
// SQLite folds the WAL into the file and removes it when its last
// connection closes, but not when that connection had a statement
// interrupted: database/sql drops a connection whose query a cancelled
// context interrupted (a request that went away, a stop), and SQLite skips
// the checkpoint of a connection closing with the interrupt still standing.
// The WAL then outlives a clean stop; nothing is lost (it is replayed at the
// next open), but the stopped file is not whole on its own. So the WAL is
// first checkpointed and truncated on a connection of its own (TRUNCATE
// waits for no reader: none is left at close). A checkpoint that fails
// loses nothing either and is not an error of the close: the WAL stays to
// be replayed, as after a crash.
func CloseSQLite(db *sql.DB) error {
	_, _ = db.ExecContext(context.Background(), "PRAGMA wal_checkpoint(TRUNCATE)")
	return db.Close()
}
