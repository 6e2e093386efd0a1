package projections

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
)

// Locks is the read model of case locks (seed 004): every client's lock
// as its stream records it (public fields only: the reasons stay sealed),
// and which lock or unlock request belongs to which client.
//
// A lock's fold needs only the lock before it, so the read model keeps
// only the locks that are not the zero lock: in memory, where every read
// of a case looks (R-LOCK-9), and in the views database with the view's
// checkpoint, in the same transaction, so a restart loads them instead of
// replaying the log. Memory holds the cases locked or awaiting a decision,
// not every client. Which request belongs to which client is looked up in
// the views database, rarely (a decision on a request). Changes applied in
// a batch are seen by readers once the batch commits.
type Locks struct {
	views *Views

	mu    sync.RWMutex
	locks map[uuid.UUID]domain.Lock // committed; no zero lock

	// The batch being applied, held back until it commits; bmu is taken
	// before mu when both are.
	batchCursor
	checkpoint eventstore.Position
	dirty      map[uuid.UUID]domain.Lock // a zero lock is a lock removed
	requests   map[uuid.UUID]lockRequest
}

type lockRequest struct {
	client uuid.UUID
	unlock bool
}

// locksView names the locks' checkpoint.
const locksView = "locks"

// NewLocks returns an empty read model, kept in a private in-memory
// database.
func NewLocks() *Locks {
	p, err := OpenLocks(context.Background(), openMemoryViews())
	if err != nil {
		panic(err)
	}
	return p
}

// OpenLocks returns the read model kept in views, loaded from its rows
// there and resuming from its checkpoint.
func OpenLocks(ctx context.Context, views *Views) (*Locks, error) {
	p := &Locks{views: views, locks: map[uuid.UUID]domain.Lock{}}
	var err error
	if p.checkpoint, err = views.Checkpoint(ctx, locksView); err != nil {
		return nil, err
	}
	if err := loadRows(ctx, views, `SELECT client, state FROM locks`, func(id uuid.UUID, state []byte) error {
		var l domain.Lock
		if err := json.Unmarshal(state, &l); err != nil {
			return err
		}
		p.locks[id] = l
		return nil
	}); err != nil {
		return nil, fmt.Errorf("views: load locks: %w", err)
	}
	return p, nil
}

func (p *Locks) forget() {
	p.bmu.Lock()
	defer p.bmu.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.checkpoint, p.batchPos, p.batch, p.dirty, p.requests = 0, 0, nil, nil, nil
	clear(p.locks)
}

// ViewName implements Persistent.
func (p *Locks) ViewName() string { return locksView }

// ViewsDB implements Persistent.
func (p *Locks) ViewsDB() *Views { return p.views }

// Apply implements Projection, applying one event in a transaction of its
// own; one at or before the checkpoint is ignored. It panics if the views
// database fails: the runner applies through ApplyIn.
func (p *Locks) Apply(stored eventstore.RecordedEvent, rec domain.Recorded) {
	if err := applyAlone(p, stored, rec); err != nil {
		panic(err)
	}
}

// ApplyIn implements Persistent.
func (p *Locks) ApplyIn(b *Batch, stored eventstore.RecordedEvent, rec domain.Recorded) error {
	p.bmu.Lock()
	defer p.bmu.Unlock()
	if !p.admit(b, stored.Position, p.join) {
		return nil
	}
	if !strings.HasPrefix(stored.Type, "client.") {
		return nil
	}
	client, ok := clientOfStream(stored.Stream)
	if !ok {
		return nil
	}
	was, ok := p.dirty[client]
	if !ok {
		p.mu.RLock()
		was = p.locks[client]
		p.mu.RUnlock()
	}
	// The client's fold; of its state only the lock is kept, which the
	// fold derives from the lock before it alone.
	l := domain.EvolveClient(domain.ClientRecord{ID: client, Lock: was}, rec).Lock
	p.dirty[client] = l
	// The requests the lock names, as the fold leaves it: each is indexed
	// the moment it is pending, and stays indexed after it is decided.
	if l.RequestID != uuid.Nil {
		p.requests[l.RequestID] = lockRequest{client: client}
	}
	if l.UnlockRequestID != uuid.Nil {
		p.requests[l.UnlockRequestID] = lockRequest{client: client, unlock: true}
	}
	return nil
}

// join makes b the batch the read model's changes go to: they are written
// with its checkpoint before b commits, and shown to readers once it has.
func (p *Locks) join(b *Batch) {
	p.batch, p.batchPos = b, p.checkpoint
	p.dirty, p.requests = map[uuid.UUID]domain.Lock{}, map[uuid.UUID]lockRequest{}
	b.onFlush(func(b *Batch) error {
		p.bmu.Lock()
		defer p.bmu.Unlock()
		for client, l := range p.dirty {
			if isZeroLock(l) {
				if err := b.exec(`DELETE FROM locks WHERE client = ?`, client[:]); err != nil {
					return err
				}
				continue
			}
			state, err := json.Marshal(l)
			if err != nil {
				return err
			}
			if err := b.exec(`INSERT OR REPLACE INTO locks (client, status, state) VALUES (?, ?, ?)`,
				client[:], string(l.Status), state); err != nil {
				return err
			}
		}
		for id, r := range p.requests {
			if err := b.exec(`INSERT OR REPLACE INTO lock_requests (request, client, unlock) VALUES (?, ?, ?)`,
				id[:], r.client[:], r.unlock); err != nil {
				return err
			}
		}
		return b.SetCheckpoint(locksView, p.batchPos)
	})
	b.onCommit(func() {
		p.bmu.Lock()
		defer p.bmu.Unlock()
		p.mu.Lock()
		for client, l := range p.dirty {
			if isZeroLock(l) {
				delete(p.locks, client)
			} else {
				p.locks[client] = l
			}
		}
		p.mu.Unlock()
		p.checkpoint, p.batch, p.dirty, p.requests = p.batchPos, nil, nil, nil
	})
	b.onRollback(func() {
		p.bmu.Lock()
		defer p.bmu.Unlock()
		p.batch, p.batchPos, p.dirty, p.requests = nil, p.checkpoint, nil, nil
	})
}

// isZeroLock reports whether l is the lock of a case never locked, or no
// longer: nothing to keep. Every field counts, new ones included.
func isZeroLock(l domain.Lock) bool { return reflect.ValueOf(l).IsZero() }

// ClientOfLockRequest returns the client a lock or unlock request is about,
// whether it is an unlock request, and false when there is no such
// request. Errors: ErrUnreadable, rather than "no such request".
func (p *Locks) ClientOfLockRequest(request uuid.UUID) (uuid.UUID, bool, bool, error) {
	var client []byte
	var unlock bool
	switch err := p.views.db.QueryRow(`SELECT client, unlock FROM lock_requests WHERE request = ?`, request[:]).Scan(&client, &unlock); {
	case errors.Is(err, sql.ErrNoRows):
		return uuid.Nil, false, false, nil
	case err != nil:
		return uuid.Nil, false, false, unreadable("a lock request's client", err)
	}
	id, err := uuid.FromBytes(client)
	if err != nil {
		return uuid.Nil, false, false, unreadable("a lock request's client", err)
	}
	return id, unlock, true, nil
}

// LockOf returns the lock on a client's case (zero when none).
func (p *Locks) LockOf(client uuid.UUID) domain.Lock {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.locks[client]
}

// LockedCase is a locked case as the locked-cases report lists it.
type LockedCase struct {
	ClientID uuid.UUID
	Lock     domain.Lock
}

// LockedCases lists the cases locked now, by review date; with a manager
// (an actor with a user id), only those reported to them
// (domain.Lock.ReportedTo: requested, approved or responsible for, and
// not refused them by the lock) (R-LOCK-5, R-LOCK-7, R-LOCK-12).
func (p *Locks) LockedCases(manager domain.Actor) []LockedCase {
	return p.lockedCases(func(l domain.Lock) bool { return manager.UserID == uuid.Nil || l.ReportedTo(manager) })
}

// CoordinatorLockedCases is the coordinator's locked-cases report: every
// case locked now, by review date, but those whose lock refuses the
// coordinator (domain.Lock.ReportedToCoordinator: the deny list names them
// or their team, or they hold the helpdesk role) (R-LOCK-7, R-LOCK-2,
// R-LOCK-12).
func (p *Locks) CoordinatorLockedCases(coordinator domain.Actor) []LockedCase {
	return p.lockedCases(func(l domain.Lock) bool { return l.ReportedToCoordinator(coordinator) })
}

func (p *Locks) lockedCases(listed func(domain.Lock) bool) []LockedCase {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var out []LockedCase
	for id, l := range p.locks {
		if l.Status != domain.LockLocked || !listed(l) {
			continue
		}
		out = append(out, LockedCase{ClientID: id, Lock: l})
	}
	slices.SortFunc(out, func(a, b LockedCase) int {
		if c := a.Lock.ReviewDue().Compare(b.Lock.ReviewDue()); c != 0 {
			return c
		}
		return strings.Compare(a.ClientID.String(), b.ClientID.String())
	})
	return out
}

// CountsAt returns how many cases are locked and awaiting a lock decision
// now.
func (p *Locks) CountsAt(time.Time) (locked, requested int) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	for _, l := range p.locks {
		switch l.Status {
		case domain.LockLocked:
			locked++
		case domain.LockPending:
			requested++
		}
	}
	return locked, requested
}
