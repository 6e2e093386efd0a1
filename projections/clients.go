package projections

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
)

// Clients indexes clients by id only, never by their data: which
// organisations hold a referral for each client (so a new referral may name
// an existing client only where its referrer knows it, and only they may
// request erasure), which erasure request belongs to which client, and
// which clients are being or have been erased.
//
// It interprets no event itself: each referral is folded by
// domain.EvolveReferral and each client's record by domain.EvolveClient,
// and the index reads the states they return (whether a referral is open,
// when it ended, who it involves; which erasure requests a client has,
// whether their erasure started or completed). So whatever the domain
// counts as open again (a reopened referral) keeps the client from the
// retention rule (R-PRIV-5) without any change here.
type Clients struct {
	mu        sync.RWMutex
	orgs      map[uuid.UUID]map[uuid.UUID]struct{}
	referral  map[uuid.UUID][]uuid.UUID         // client → referrals, in order made
	referrals map[uuid.UUID]domain.Referral     // referral → its state, without client data or notes
	records   map[uuid.UUID]domain.ClientRecord // client → the state of their stream
	requests  map[uuid.UUID]uuid.UUID           // erasure request → client
	erasing   map[uuid.UUID]struct{}
	erased    map[uuid.UUID]struct{}
	open      map[uuid.UUID]int            // client → referrals open now
	endedAt   map[uuid.UUID]time.Time      // client → when a referral of theirs last ended
	sealed    map[uuid.UUID]struct{}       // clients with data sealed under their key
	erasures  map[uuid.UUID]ErasureRequest // erasure requests, by id
	// erasureSeq numbers the erasure requests in the order the log
	// holds them, which orders requests made in the same instant.
	erasureSeq uint64
}

// NewClients returns an empty index.
func NewClients() *Clients {
	return &Clients{orgs: map[uuid.UUID]map[uuid.UUID]struct{}{}, referral: map[uuid.UUID][]uuid.UUID{},
		referrals: map[uuid.UUID]domain.Referral{}, records: map[uuid.UUID]domain.ClientRecord{},
		requests: map[uuid.UUID]uuid.UUID{}, erasing: map[uuid.UUID]struct{}{}, erased: map[uuid.UUID]struct{}{},
		open: map[uuid.UUID]int{}, endedAt: map[uuid.UUID]time.Time{}, sealed: map[uuid.UUID]struct{}{},
		erasures: map[uuid.UUID]ErasureRequest{}}
}

// Apply implements Projection.
func (p *Clients) Apply(stored eventstore.RecordedEvent, rec domain.Recorded) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if subject, ok := rec.Event.(domain.Sensitive); ok && rec.Withheld {
		// The public codec withholds only what was sealed: the client's
		// key is needed to read this event.
		p.sealed[subject.DataSubject()] = struct{}{}
	}
	if id, ok := ledger.ReferralIDFromStream(stored.Stream); ok {
		p.applyReferral(id, rec)
		return
	}
	if id, ok := clientOfStream(stored.Stream); ok {
		p.applyClient(id, rec)
	}
}

// applyReferral folds a referral's event and moves its client's counts by
// what changed. The caller holds p.mu.
func (p *Clients) applyReferral(id uuid.UUID, rec domain.Recorded) {
	was := p.referrals[id]
	r := withoutClientData(domain.EvolveReferral(was, rec))
	if !r.Exists {
		return // a stream always starts with referral.made
	}
	p.referrals[id] = r
	client := r.ClientID
	if !was.Exists {
		p.referral[client] = append(p.referral[client], id)
	}
	set := p.orgs[client]
	if set == nil {
		set = map[uuid.UUID]struct{}{}
		p.orgs[client] = set
	}
	set[r.FromOrganisationID] = struct{}{}
	set[r.ToOrganisationID] = struct{}{}
	switch {
	case r.Open() && !was.Open():
		p.open[client]++
	case !r.Open() && was.Open():
		p.open[client]--
	}
	if ended := r.EndedAt(); !r.Open() && ended.After(p.endedAt[client]) {
		p.endedAt[client] = ended
	}
}

// applyClient folds an event of a client's stream into their record and
// takes the erasure requests and the erasure's progress from it. The
// caller holds p.mu.
func (p *Clients) applyClient(client uuid.UUID, rec domain.Recorded) {
	c := domain.EvolveClient(p.records[client], rec)
	c.Lock = domain.Lock{} // the locks read model keeps locks
	p.records[client] = c
	for request, r := range c.Requests {
		p.requests[request] = client
		// The coordinator's list: who asked and when is the event that
		// first showed the request; who decided and when, the one that
		// changed its status.
		e, known := p.erasures[request]
		switch {
		case !known:
			p.erasureSeq++
			e = ErasureRequest{RequestID: request, ClientID: client, Status: r.Status, OrganisationID: r.OrganisationID,
				RequestedBy: rec.ActorUserID, RequestedAt: rec.At, seq: p.erasureSeq}
		case e.Status != r.Status:
			e.Status, e.DecidedBy, e.DecidedAt = r.Status, rec.ActorUserID, rec.At
		}
		p.erasures[request] = e
	}
	if c.Erasing != uuid.Nil {
		p.erasing[client] = struct{}{}
	} else {
		delete(p.erasing, client)
	}
	if c.Erased {
		p.erased[client] = struct{}{}
	}
}

func clientOfStream(stream string) (uuid.UUID, bool) {
	const prefix = "client-"
	if len(stream) <= len(prefix) || stream[:len(prefix)] != prefix {
		return uuid.Nil, false
	}
	id, err := uuid.Parse(stream[len(prefix):])
	return id, err == nil
}

// OrganisationKnowsClient reports whether org made or received a referral
// for client.
func (p *Clients) OrganisationKnowsClient(org, client uuid.UUID) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	_, ok := p.orgs[client][org]
	return ok
}

// ReferralsOf lists the client's referrals in the order they were made.
func (p *Clients) ReferralsOf(client uuid.UUID) []uuid.UUID {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return slices.Clone(p.referral[client])
}

// ClientOfErasureRequest returns the client an erasure request is about.
func (p *Clients) ClientOfErasureRequest(request uuid.UUID) (uuid.UUID, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	c, ok := p.requests[request]
	return c, ok
}

// IsErased reports whether the ledger records the client's erasure as
// started or complete: from the intent on, no key of theirs may be used.
func (p *Clients) IsErased(client uuid.UUID) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	_, started := p.erasing[client]
	_, done := p.erased[client]
	return started || done
}

// RetentionDue is a client whose data the retention rule will shred.
type RetentionDue struct {
	ClientID   uuid.UUID
	LastClosed time.Time
	Due        time.Time
}

// DueForRetention lists the clients, not yet erased, none of whose
// referrals is open (domain.Referral.Open) and whose last referral ended
// at least period before now, soonest due first (R-PRIV-5). With upcoming
// true it lists every client none of whose referrals is open, with when
// each will be due.
func (p *Clients) DueForRetention(now time.Time, period time.Duration, upcoming bool) []RetentionDue {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var out []RetentionDue
	for client, last := range p.endedAt {
		if p.open[client] > 0 {
			continue
		}
		if _, ok := p.erased[client]; ok {
			continue
		}
		if _, ok := p.erasing[client]; ok {
			continue
		}
		due := last.Add(period)
		if upcoming || !due.After(now) {
			out = append(out, RetentionDue{ClientID: client, LastClosed: last, Due: due})
		}
	}
	slices.SortFunc(out, func(a, b RetentionDue) int { return a.Due.Compare(b.Due) })
	return out
}

// ClientsWithData lists the clients, not erased or being erased, with
// data in the ledger sealed under their key: those whose key must be in
// the key store (R-OPS-4).
func (p *Clients) ClientsWithData() []uuid.UUID {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make([]uuid.UUID, 0, len(p.sealed))
	for id := range p.sealed {
		_, erasing := p.erasing[id]
		_, erased := p.erased[id]
		if !erasing && !erased {
			out = append(out, id)
		}
	}
	return out
}

// ErasingClients lists clients whose erasure is started but not complete.
func (p *Clients) ErasingClients() []uuid.UUID { return p.list(p.erasing) }

// ErasedClients lists clients whose erasure is complete.
func (p *Clients) ErasedClients() []uuid.UUID { return p.list(p.erased) }

func (p *Clients) list(m map[uuid.UUID]struct{}) []uuid.UUID {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make([]uuid.UUID, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	return out
}

// ErasureRequest is an erasure request as the coordinator's list shows it
// (R-PRIV-2): ids, who asked and what was decided, never the request's
// reason, which is client data.
type ErasureRequest struct {
	RequestID      uuid.UUID
	ClientID       uuid.UUID
	Status         domain.ErasureStatus
	OrganisationID uuid.UUID // the organisation that passed the request on
	RequestedBy    uuid.UUID
	RequestedAt    time.Time
	DecidedBy      uuid.UUID
	DecidedAt      time.Time
	seq            uint64 // its place among the requests, in log order
	// ClientErased is true when the client's data is erased, or being
	// erased: by this request, another, or the retention rule. A request
	// still waiting can then only be refused.
	ClientErased bool
}

// erasedNow fills in ClientErased; the caller holds the lock.
func (p *Clients) erasedNow(r ErasureRequest) ErasureRequest {
	_, erasing := p.erasing[r.ClientID]
	_, erased := p.erased[r.ClientID]
	r.ClientErased = erasing || erased
	return r
}

// WaitingErasures lists the erasure requests waiting for a decision,
// oldest first.
func (p *Clients) WaitingErasures() []ErasureRequest {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var out []ErasureRequest
	for _, r := range p.erasures {
		if r.Status == domain.ErasureRequested {
			out = append(out, p.erasedNow(r))
		}
	}
	slices.SortFunc(out, func(a, b ErasureRequest) int {
		if c := a.RequestedAt.Compare(b.RequestedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.seq, b.seq)
	})
	return out
}

// ErasureRequest returns the erasure request with id.
func (p *Clients) ErasureRequest(id uuid.UUID) (ErasureRequest, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	r, ok := p.erasures[id]
	if ok {
		r = p.erasedNow(r)
	}
	return r, ok
}
