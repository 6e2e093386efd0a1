package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// The durability and privacy settings are in force on both the writer's
// connection and the read pool, not just requested.
func TestPragmas(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	want := map[string]string{
		"journal_mode":  "wal",
		"synchronous":   "2", // FULL
		"secure_delete": "1",
		"busy_timeout":  "5000",
	}
	for name, q := range map[string]interface {
		QueryRowContext(context.Context, string, ...any) *sql.Row
	}{"writer": s.wconn, "reader": s.read} {
		for pragma, v := range want {
			var got string
			if err := q.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatalf("%s: PRAGMA %s: %v", name, pragma, err)
			}
			if got != v {
				t.Errorf("%s: PRAGMA %s = %s, want %s", name, pragma, got, v)
			}
		}
	}
	var v int
	if err := s.read.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil || v != schemaVersion {
		t.Errorf("user_version = %d, %v; want %d", v, err, schemaVersion)
	}
}
