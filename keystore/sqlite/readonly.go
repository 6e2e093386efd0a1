package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/referral-ledger/ledger/keystore"
)

// WithImmutable tells OpenReadOnly that no process can write the file while
// it is open (the data directory's writer lock is free and held shared).
// SQLite then opens it with immutable=1: no locks, and no -wal or -shm
// file created beside it. Without it the file is opened read-only beside a
// possible writer, sharing that writer's WAL.
func WithImmutable() Option { return func(o *options) { o.immutable = true } }

// errReadOnly is the cause of every write refused by a read-only Store.
var errReadOnly = errors.New("the key store was opened read-only")

// OpenReadOnly opens the key store at path for reading only, for the
// offline tools (history): it never creates, migrates or scrubs the file,
// and Create, Destroy and Rewrap fail with keystore.ErrUnavailable. A key
// found beside its client's tombstone is still refused (ErrDestroyed); it
// is deleted the next time a writer opens the store.
//
// Errors: as Open, and keystore.ErrUnavailable if path does not exist or
// holds an older schema than this program's (a writer upgrades it).
func OpenReadOnly(path string, kek keystore.MasterKey, opts ...Option) (*Store, error) {
	if kek.IsZero() {
		return nil, errors.New("keystore/sqlite: OpenReadOnly needs a master key")
	}
	o := options{busyTimeout: 5 * time.Second, now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	if _, err := os.Stat(path); err != nil {
		return nil, keystore.Unavailable("open key store", err)
	}
	db, err := sql.Open("sqlite", readOnlyDSN(path, o))
	if err != nil {
		return nil, keystore.Unavailable("open key store", err)
	}
	db.SetMaxOpenConns(1)
	s := &Store{db: db, now: o.now, kek: kek, readOnly: true}
	if err := s.initReadOnly(context.Background()); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

// readOnlyDSN opens path with mode=ro and query_only, and immutable=1 when
// o says nothing can write it meanwhile.
func readOnlyDSN(path string, o options) string {
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", o.busyTimeout.Milliseconds()))
	q.Add("_pragma", "query_only(1)")
	q.Set("mode", "ro")
	if o.immutable {
		q.Set("immutable", "1")
	}
	return "file:" + esc + "?" + q.Encode()
}

// initReadOnly checks the file is a key store of this program's schema,
// prepares the lookup and refuses keys under an unknown master key.
func (s *Store) initReadOnly(ctx context.Context) error {
	var app, have int
	if err := s.db.QueryRowContext(ctx, "PRAGMA application_id").Scan(&app); err != nil {
		return keystore.Unavailable("open key store", err)
	}
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
		return keystore.Unavailable("open key store", err)
	}
	switch {
	case app != applicationID:
		return keystore.Unavailable("open key store", fmt.Errorf("not a key store (application id %#x)", app))
	case have > schemaVersion:
		return keystore.Unavailable("open key store", fmt.Errorf(
			"key store schema version %d is newer than this program's %d: a newer version of the ledger wrote it; use that version",
			have, schemaVersion))
	case have != schemaVersion:
		return keystore.Unavailable("open key store", fmt.Errorf(
			"key store schema version %d, this program reads %d (a writer such as ledger serve upgrades it)", have, schemaVersion))
	}
	var err error
	if s.lookup, err = s.db.PrepareContext(ctx, lookupSQL); err != nil {
		return keystore.Unavailable("prepare", err)
	}
	return s.checkMasterKeys(ctx)
}
