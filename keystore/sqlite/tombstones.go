package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/keystore"
)

// Tombstones lists the clients the key store at path holds a tombstone of:
// those whose key was destroyed. After an older event log is restored, a
// tombstone can be the only record left of an erasure, so whatever replaces
// the key store must carry them over (R-PRIV-8, R-OPS-3). It reads the
// tombstones alone and needs no master key, so they are found even when the
// keys do not open under the configured one.
//
// The caller must be the file's only writer (it holds the data directory's
// writer lock): the file is opened as a writer would, so a WAL left by a
// crash, which may hold the latest tombstones, is read too. It never
// creates the file, nor changes its schema or rows.
//
// Errors: keystore.ErrUnavailable, when path does not exist, is not a key
// store or cannot be read.
func Tombstones(ctx context.Context, path string) ([]uuid.UUID, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, keystore.Unavailable("read tombstones", err)
	}
	db, err := sql.Open("sqlite", dsn(path, 5*time.Second))
	if err != nil {
		return nil, keystore.Unavailable("read tombstones", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var app, have int
	if err := db.QueryRowContext(ctx, "PRAGMA application_id").Scan(&app); err != nil {
		return nil, keystore.Unavailable("read tombstones", err)
	}
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
		return nil, keystore.Unavailable("read tombstones", err)
	}
	if app != applicationID || have < 1 {
		return nil, keystore.Unavailable("read tombstones",
			fmt.Errorf("not a key store (application id %#x, schema version %d)", app, have))
	}
	rows, err := db.QueryContext(ctx, `SELECT client_id FROM destroyed ORDER BY client_id`)
	if err != nil {
		return nil, keystore.Unavailable("read tombstones", err)
	}
	defer rows.Close()
	var out []uuid.UUID
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, keystore.Unavailable("read tombstones", err)
		}
		client, err := uuid.Parse(id)
		if err != nil {
			continue // not a client id: no client can be it
		}
		out = append(out, client)
	}
	if err := rows.Err(); err != nil {
		return nil, keystore.Unavailable("read tombstones", err)
	}
	return out, nil
}
