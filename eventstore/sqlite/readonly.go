package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"time"

	"github.com/referral-ledger/ledger/eventstore"
)

// WithImmutable tells OpenReadOnly and Verify that no process can write
// the file while it is open (the data directory's writer lock is free and
// held shared). SQLite then opens it with immutable=1: no locks, and no
// -wal or -shm file created beside it. Without it the file is opened
// read-only beside a possible writer, sharing that writer's WAL.
func WithImmutable() Option { return func(o *options) { o.immutable = true } }

// errReadOnly is returned by Append on a Store opened with OpenReadOnly.
var errReadOnly = fmt.Errorf("%w: the store was opened read-only", eventstore.ErrInvalid)

// readOnlyDSN opens path for reading only: mode=ro, query_only, and
// immutable=1 when o says nothing can write it meanwhile.
func readOnlyDSN(path string, o options) string {
	extra := []string{"mode", "ro"}
	if o.immutable {
		extra = append(extra, "immutable", "1")
	}
	return dsn(path, []string{fmt.Sprintf("busy_timeout(%d)", o.busyTimeout.Milliseconds()), "query_only(1)"}, extra...)
}

// OpenReadOnly opens the ledger at path for reading only, for the offline
// tools: it never creates, migrates or writes the file, and Append fails
// with an error wrapping eventstore.ErrInvalid. Reads and subscriptions
// work as on a Store from Open (a subscription sees only what was there
// when it read, since no commit of this Store wakes it).
//
// Errors: an error wrapping eventstore.ErrUnavailable if the file does not
// exist, cannot be read, or is not a ledger of a schema this program knows.
func OpenReadOnly(path string, opts ...Option) (*Store, error) {
	o := options{busyTimeout: 5 * time.Second, maxBatch: 1, readConns: 4, poll: time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	if _, err := os.Stat(path); err != nil {
		return nil, unavailable("open "+path, err)
	}
	s := &Store{
		path: path, readOnly: true, poll: max(o.poll, time.Millisecond),
		reqs:       make(chan *request),
		commits:    newSignal(),
		writerDone: make(chan struct{}),
		stopping:   make(chan struct{}),
	}
	close(s.writerDone) // there is no writer
	var err error
	s.read, err = sql.Open("sqlite", readOnlyDSN(path, o))
	if err == nil {
		s.read.SetMaxOpenConns(o.readConns)
		s.read.SetMaxIdleConns(o.readConns)
		err = checkVersion(context.Background(), s.read)
	}
	if err != nil {
		_ = s.closeDBs()
		return nil, unavailable("open "+path+" read-only", err)
	}
	return s, nil
}

// checkVersion refuses a file that is not a ledger this program can read.
func checkVersion(ctx context.Context, db *sql.DB) error {
	var version int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return err
	}
	return knownVersion(version)
}

// knownVersion refuses a schema version this program cannot read, naming
// the cause: a file a newer version of the ledger wrote, or one that is no
// ledger at all.
func knownVersion(version int) error {
	switch {
	case version > schemaVersion:
		return fmt.Errorf("the ledger's schema version %d is newer than this program's %d: "+
			"a newer version of the ledger wrote it; use that version", version, schemaVersion)
	case version < 1:
		return fmt.Errorf("not a ledger of a known schema (user_version %d)", version)
	}
	return nil
}
