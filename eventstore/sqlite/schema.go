package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// migrations brings a database from user_version i to i+1 at index i. Only
// append to this list: a released migration never changes, because files in
// the field were created by it.
var migrations = []string{
	// 1: the event log. position is AUTOINCREMENT so a deleted last event
	// leaves its number behind in sqlite_sequence, which Verify compares
	// against. metadata is the JSON of eventstore.Metadata, hashes included.
	`CREATE TABLE events (
		position       INTEGER PRIMARY KEY AUTOINCREMENT,
		id             TEXT    NOT NULL UNIQUE,
		stream         TEXT    NOT NULL,
		revision       INTEGER NOT NULL,
		type           TEXT    NOT NULL,
		schema_version INTEGER NOT NULL,
		data           BLOB    NOT NULL,
		metadata       BLOB    NOT NULL,
		UNIQUE (stream, revision)
	);
	-- R-LEDGER-1: the log is append-only. The hash chain detects tampering
	-- from outside; these triggers stop this program's own bugs from doing it.
	CREATE TRIGGER events_no_update BEFORE UPDATE ON events
	BEGIN SELECT RAISE(ABORT, 'events are immutable'); END;
	CREATE TRIGGER events_no_delete BEFORE DELETE ON events
	BEGIN SELECT RAISE(ABORT, 'events are immutable'); END;`,
	// 2: the Merkle tree over the events (R-AUD-1); see audit.go.
	auditMigration,
}

// schemaVersion is the user_version of a fully migrated database.
var schemaVersion = len(migrations)

// pragmas are set on every connection. WAL lets readers run beside the one
// writer; synchronous=FULL fsyncs the WAL on every commit so an acknowledged
// append survives power loss; secure_delete zeroes freed pages so deleted
// bytes (such as shredded keys) do not linger in the file.
func pragmas(busy time.Duration) []string {
	return []string{
		fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()),
		"journal_mode(WAL)",
		"synchronous(FULL)",
		"secure_delete(ON)",
	}
}

// dsn builds a modernc.org/sqlite URI for path. The path is escaped because
// SQLite URIs give '?', '#' and '%' a meaning of their own.
func dsn(path string, pragmaList []string, extra ...string) string {
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	q := url.Values{}
	for _, p := range pragmaList {
		q.Add("_pragma", p)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Add(extra[i], extra[i+1])
	}
	return "file:" + esc + "?" + q.Encode()
}

// migrate brings the database to schemaVersion in one transaction, so a
// crash mid-migration leaves the previous version intact. It refuses a file
// written by a newer program, whose schema this one does not understand.
func migrate(ctx context.Context, conn *sql.Conn) error {
	var have int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if have > schemaVersion {
		return fmt.Errorf("database schema version %d is newer than this program's %d", have, schemaVersion)
	}
	if have == schemaVersion {
		return nil
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("begin migration: %w", err)
	}
	for v := have; v < schemaVersion; v++ {
		if _, err := conn.ExecContext(ctx, migrations[v]); err != nil {
			_, _ = conn.ExecContext(ctx, "ROLLBACK")
			return fmt.Errorf("migrate schema to version %d: %w", v+1, err)
		}
	}
	// PRAGMA takes no bound parameters; schemaVersion is our own integer.
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
		_, _ = conn.ExecContext(ctx, "ROLLBACK")
		return fmt.Errorf("record schema version: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		_, _ = conn.ExecContext(ctx, "ROLLBACK")
		return fmt.Errorf("commit migration: %w", err)
	}
	return nil
}
