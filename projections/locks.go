package projections

import (
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
type Locks struct {
	mu       sync.RWMutex
	clients  map[uuid.UUID]domain.ClientRecord
	requests map[uuid.UUID]lockRequest
}

type lockRequest struct {
	client uuid.UUID
	unlock bool
}

// NewLocks returns an empty read model.
func NewLocks() *Locks {
	return &Locks{clients: map[uuid.UUID]domain.ClientRecord{}, requests: map[uuid.UUID]lockRequest{}}
}

// Apply implements Projection.
func (p *Locks) Apply(stored eventstore.RecordedEvent, rec domain.Recorded) {
	if !strings.HasPrefix(stored.Type, "client.") {
		return
	}
	client, ok := clientOfStream(stored.Stream)
	if !ok {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	c := domain.EvolveClient(p.clients[client], rec)
	c.ID = client
	p.clients[client] = c
	// The requests the lock names, as the fold leaves it: each is indexed
	// the moment it is pending, and stays indexed after it is decided.
	if l := c.Lock; l.RequestID != uuid.Nil {
		p.requests[l.RequestID] = lockRequest{client: client}
	}
	if l := c.Lock; l.UnlockRequestID != uuid.Nil {
		p.requests[l.UnlockRequestID] = lockRequest{client: client, unlock: true}
	}
}

// ClientOfLockRequest returns the client a lock or unlock request is about.
func (p *Locks) ClientOfLockRequest(request uuid.UUID) (uuid.UUID, bool, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	r, ok := p.requests[request]
	return r.client, r.unlock, ok
}

// LockOf returns the lock on a client's case (zero when none).
func (p *Locks) LockOf(client uuid.UUID) domain.Lock {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.clients[client].Lock
}

// LockedCase is a locked case as the locked-cases report lists it.
type LockedCase struct {
	ClientID uuid.UUID
	Lock     domain.Lock
}

// LockedCases lists the cases locked now, by review date; with manager
// set, only those the manager requested, approved or is responsible for
// (R-LOCK-5, R-LOCK-7).
func (p *Locks) LockedCases(manager uuid.UUID) []LockedCase {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var out []LockedCase
	for id, c := range p.clients {
		l := c.Lock
		if l.Status != domain.LockLocked {
			continue
		}
		if manager != uuid.Nil && manager != l.RequestedBy && manager != l.ApprovedBy && manager != l.ResponsibleUserID {
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
	for _, c := range p.clients {
		switch c.Lock.Status {
		case domain.LockLocked:
			locked++
		case domain.LockPending:
			requested++
		}
	}
	return locked, requested
}
