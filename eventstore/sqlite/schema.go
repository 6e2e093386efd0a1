package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver

	"github.com/referral-ledger/ledger/eventstore"
)

// migration brings a database from one user_version to the next: its SQL,
// then, if set, its Go step, in the migration's transaction.
type migration struct {
	sql string
	run func(ctx context.Context, conn *sql.Conn) error
}

// migrations brings a database from user_version i to i+1 at index i. Only
// append to this list: a released migration never changes, because files in
// the field were created by it.
var migrations = []migration{
	// 1: the event log. position is AUTOINCREMENT so a deleted last event
	// leaves its number behind in sqlite_sequence, which Verify compares
	// against. metadata is the JSON of eventstore.Metadata, hashes included.
	{sql: `CREATE TABLE events (
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
	BEGIN SELECT RAISE(ABORT, 'events are immutable'); END;`},
	// 2: metadata in the compact binary form (metadata.go), which reads
	// several times faster than JSON. Existing rows are rewritten in place
	// when the compact form holds their values exactly; the hash chain
	// covers the values, not their encoding, so every chain verifies as it
	// did. The immutability trigger is lifted for this one rewrite only.
	{sql: `DROP TRIGGER events_no_update`, run: compactMetadata},
	// 3: the Merkle tree over the events (R-AUD-1); see audit.go.
	{sql: auditMigration},
}

// compactMetadata rewrites each row's JSON metadata in the compact form
// when that form decodes to exactly the same metadata (and so to the same
// hashed bytes); other rows keep their JSON, which still reads.
func compactMetadata(ctx context.Context, conn *sql.Conn) error {
	update, err := conn.PrepareContext(ctx, `UPDATE events SET metadata = ? WHERE position = ?`)
	if err != nil {
		return err
	}
	defer update.Close()
	type row struct {
		pos  int64
		meta []byte
	}
	const page = 1000
	var rows []row
	for after := int64(0); ; {
		rows = rows[:0]
		rs, err := conn.QueryContext(ctx, `SELECT position, metadata FROM events WHERE position > ? ORDER BY position LIMIT ?`, after, page)
		if err != nil {
			return err
		}
		for rs.Next() {
			var r row
			if err := rs.Scan(&r.pos, &r.meta); err != nil {
				rs.Close()
				return err
			}
			rows = append(rows, r)
		}
		if err := errors.Join(rs.Err(), rs.Close()); err != nil {
			return err
		}
		if len(rows) == 0 {
			break
		}
		for _, r := range rows {
			if compact, ok := compactForm(r.meta); ok {
				if _, err := update.ExecContext(ctx, compact, r.pos); err != nil {
					return fmt.Errorf("rewrite metadata of position %d: %w", r.pos, err)
				}
			}
		}
		after = rows[len(rows)-1].pos
	}
	_, err = conn.ExecContext(ctx, `CREATE TRIGGER events_no_update BEFORE UPDATE ON events
	BEGIN SELECT RAISE(ABORT, 'events are immutable'); END;`)
	return err
}

// compactForm returns the compact form of stored JSON metadata, or false
// when there is none that decodes to exactly the same values.
func compactForm(stored []byte) ([]byte, bool) {
	if len(stored) == 0 || stored[0] != jsonMeta {
		return nil, false
	}
	var meta eventstore.Metadata
	if err := json.Unmarshal(stored, &meta); err != nil || !compactable(meta) {
		return nil, false
	}
	compact := encodeMeta(nil, meta)
	back, err := decodeMeta(compact)
	if err != nil || back.Hash != meta.Hash {
		return nil, false
	}
	back.Hash, meta.Hash = "", ""
	a, errA := json.Marshal(back)
	b, errB := json.Marshal(meta)
	if errA != nil || errB != nil || !bytes.Equal(a, b) {
		return nil, false
	}
	return compact, true
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
		m := migrations[v]
		_, err := conn.ExecContext(ctx, m.sql)
		if err == nil && m.run != nil {
			err = m.run(ctx, conn)
		}
		if err != nil {
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
