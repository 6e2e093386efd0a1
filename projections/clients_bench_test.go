package projections

import (
	"math/rand/v2"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

// BenchmarkClientsReads_Issue14 measures the clients index's reads on the
// hot paths: IsErased (every key read, so every decode of a sealed event,
// GET of a referral included) and the access checks of the lock commands
// (OrganisationKnowsClient, ReferralsOf), for clients whose answers are
// cached ("hot") and for clients read in turn over more than the caches
// hold ("cold"), over 50,000 clients.
func BenchmarkClientsReads_Issue14(b *testing.B) {
	const clients = 50_000
	rng := rand.New(rand.NewPCG(14, 14))
	log := newEventLog()
	ids := make([]uuid.UUID, clients)
	orgs := []uuid.UUID{randomID(rng), randomID(rng), randomID(rng)}
	for i := range ids {
		ids[i] = randomID(rng)
		id := randomID(rng)
		log.referral(id, at(2026, 5, 1, 9), &domain.ReferralMade{ReferralID: id, FromOrganisationID: orgs[i%3],
			ToOrganisationID: orgs[(i+1)%3], ClientID: ids[i]})
		if i%10 == 0 {
			request := randomID(rng)
			log.add(ledger.ClientStream(ids[i]), at(2026, 5, 2, 9), randomID(rng), orgs[0],
				&domain.ClientErasureRequested{RequestID: request, ClientID: ids[i]})
			log.add(ledger.ClientStream(ids[i]), at(2026, 5, 3, 9), randomID(rng), orgs[0],
				&domain.ClientErasureStarted{RequestID: request})
		}
	}
	p := NewClients()
	feed(p, log.events)
	for _, tc := range []struct {
		name   string
		client func(i int) uuid.UUID
	}{
		{"hot", func(i int) uuid.UUID { return ids[i%64] }},
		{"cold", func(i int) uuid.UUID { return ids[(i*7919)%clients] }},
	} {
		b.Run("IsErased/"+tc.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				p.IsErased(tc.client(i))
				i++
			}
		})
		b.Run("AccessCheck/"+tc.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				c := tc.client(i)
				_, _ = p.OrganisationKnowsClient(orgs[i%3], c)
				_, _ = p.ReferralsOf(c)
				i++
			}
		})
	}
}
