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

// applicationID marks a file as a key store ("LKS1"), so pointing the key
// store at the event log, or the reverse, fails at once instead of creating
// tables in the wrong file.
const applicationID = 0x4c4b5331

// migrations brings a database from user_version i to i+1 at index i. Only
// append to this list: files in the field were created by it.
var migrations = []string{
	// 1: keys holds each client's data key wrapped under the master key
	// named by kek_id; destroyed is the tombstone of every erased client,
	// holding nothing but the id and when (unix seconds, UTC). A client is
	// never in both for longer than one transaction.
	`CREATE TABLE keys (
		client_id  TEXT    PRIMARY KEY,
		kek_id     TEXT    NOT NULL,
		wrapped    BLOB    NOT NULL,
		created_at INTEGER
	);
	CREATE TABLE destroyed (
		client_id    TEXT PRIMARY KEY,
		destroyed_at INTEGER
	);`,
}

var schemaVersion = len(migrations)

// pragmas are set on every connection. WAL lets a reader run beside the
// writer; synchronous=FULL fsyncs every commit, so a key handed out (and
// used to encrypt an event) is never lost to a crash; secure_delete zeroes
// deleted rows and freed pages, so a destroyed key does not linger in the
// file (R-PRIV-4).
func pragmas(busy time.Duration) []string {
	return []string{
		fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()),
		"journal_mode(WAL)",
		"synchronous(FULL)",
		"secure_delete(ON)",
	}
}

// dsn builds a modernc.org/sqlite URI for path. The path is escaped because
// SQLite URIs give '?', '#' and '%' a meaning of their own. _txlock=immediate
// makes every transaction take the write lock at BEGIN, so two writers
// queue on busy_timeout instead of failing when a read upgrades to a write.
func dsn(path string, busy time.Duration) string {
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	q := url.Values{}
	for _, p := range pragmas(busy) {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	return "file:" + esc + "?" + q.Encode()
}

// checkPragmas confirms the settings R-PRIV-4 relies on took effect: a
// driver that silently ignored one would leave destroyed keys on disk.
func checkPragmas(ctx context.Context, db *sql.DB) error {
	var mode string
	var secure int
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("read journal_mode: %w", err)
	}
	if err := db.QueryRowContext(ctx, "PRAGMA secure_delete").Scan(&secure); err != nil {
		return fmt.Errorf("read secure_delete: %w", err)
	}
	if mode != "wal" || secure != 1 {
		return fmt.Errorf("journal_mode=%s secure_delete=%d, want wal and 1", mode, secure)
	}
	return nil
}

// migrate brings the database to schemaVersion in one transaction. It
// refuses a file that belongs to another application or was written by a
// newer program.
func migrate(ctx context.Context, db *sql.DB) error {
	var app, have int
	if err := db.QueryRowContext(ctx, "PRAGMA application_id").Scan(&app); err != nil {
		return fmt.Errorf("read application id: %w", err)
	}
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if app != applicationID && (app != 0 || have != 0) {
		return fmt.Errorf("not a key store (application id %#x)", app)
	}
	if have > schemaVersion {
		return fmt.Errorf("key store schema version %d is newer than this program's %d", have, schemaVersion)
	}
	if have == schemaVersion {
		return nil
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin migration: %w", err)
	}
	defer tx.Rollback()
	for v := have; v < schemaVersion; v++ {
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			return fmt.Errorf("migrate schema to version %d: %w", v+1, err)
		}
	}
	// PRAGMA takes no bound parameters; both values are our own integers.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d; PRAGMA user_version = %d",
		applicationID, schemaVersion)); err != nil {
		return fmt.Errorf("record schema version: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit migration: %w", err)
	}
	return nil
}
