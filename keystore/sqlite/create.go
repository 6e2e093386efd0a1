package sqlite

import (
	"context"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/keystore"
)

// maxCreateBatch caps how many new keys one transaction commits.
const maxCreateBatch = 256

// createReq is a new key waiting to be committed: the client, its key
// wrapped under the master key kekID, and where to answer with what the
// store holds for the client once the batch has committed.
type createReq struct {
	ctx      context.Context
	clientID uuid.UUID
	kekID    string
	wrapped  []byte
	done     chan createRes // buffered, so the committer never blocks on it
}

type createRes struct {
	r   row
	err error
}

// committer group-commits new keys: every Create that needs a new key
// queues it here, and one transaction, so one fsync, takes all the keys
// that queued while the previous one was syncing (issue 14, point 4).
// It runs until Close closes s.creates.
func (s *Store) committer() {
	defer close(s.createsDone)
	batch := make([]*createReq, 0, maxCreateBatch)
	for req := range s.creates {
		batch = append(batch[:0], req)
	fill:
		for len(batch) < maxCreateBatch {
			select {
			case r, ok := <-s.creates:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			default:
				break fill
			}
		}
		s.commitKeys(batch)
		clear(batch)
	}
}

// commitKeys inserts batch's keys in one transaction and answers each
// request, after COMMIT, with what the store then holds for its client:
// the key inserted, or the one that won, or a tombstone.
func (s *Store) commitKeys(batch []*createReq) {
	ctx := context.Background() // a batch serves many callers; no one caller's ctx may abort it
	fail := func(err error) {
		for _, req := range batch {
			req.done <- createRes{err: keystore.Unavailable("create key", err)}
		}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		fail(err)
		return
	}
	defer tx.Rollback()
	insert, look := tx.StmtContext(ctx, s.insert), tx.StmtContext(ctx, s.lookup)
	answers := make([]createRes, len(batch))
	for i, req := range batch {
		if err := req.ctx.Err(); err != nil {
			answers[i].err = keystore.Unavailable("create key", err) // the caller has gone; do not write on its behalf
			continue
		}
		// Whether the insert wins, loses to a key inserted since the
		// caller's lookup (maybe earlier in this batch) or is skipped for a
		// client erased since, the lookup after it reads what the store
		// now holds.
		if _, err := insert.ExecContext(ctx, req.clientID.String(), req.kekID, req.wrapped, s.now().Unix()); err != nil {
			fail(err)
			return
		}
		r, err := lookup(ctx, look, req.clientID)
		if err != nil {
			fail(err)
			return
		}
		answers[i].r = r
	}
	if err := tx.Commit(); err != nil {
		fail(err)
		return
	}
	for i, req := range batch {
		req.done <- answers[i]
	}
}
