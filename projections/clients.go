package projections

import (
	"sync"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
)

// Clients indexes which organisations hold a referral for each client, so a
// new referral may name an existing client only where its referrer knows it.
// It holds ids only, never client data.
type Clients struct {
	mu   sync.RWMutex
	orgs map[uuid.UUID]map[uuid.UUID]struct{}
}

// NewClients returns an empty index.
func NewClients() *Clients { return &Clients{orgs: map[uuid.UUID]map[uuid.UUID]struct{}{}} }

// Apply implements Projection.
func (p *Clients) Apply(_ eventstore.RecordedEvent, rec domain.Recorded) {
	e, ok := rec.Event.(*domain.ReferralMade)
	if !ok {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	set := p.orgs[e.ClientID]
	if set == nil {
		set = map[uuid.UUID]struct{}{}
		p.orgs[e.ClientID] = set
	}
	set[e.FromOrganisationID] = struct{}{}
	set[e.ToOrganisationID] = struct{}{}
}

// OrganisationKnowsClient reports whether org made or received a referral
// for client.
func (p *Clients) OrganisationKnowsClient(org, client uuid.UUID) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	_, ok := p.orgs[client][org]
	return ok
}
