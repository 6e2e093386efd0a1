package projections

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
)

// Decoder decodes a stored event with its client's fields: a
// ledger.Codec with the client keys.
type Decoder interface {
	Decode(ctx context.Context, rec eventstore.RecordedEvent) (domain.Recorded, error)
}

// Marker computes a blind-index entry: a *ledger.IndexKey.
type Marker interface {
	Mark(ctx context.Context, name, dateOfBirth string) (ledger.Mark, error)
}

// KnownClients is the known clients index (R-REF-14): which clients each
// organisation referred, and a keyed blind index of each client's name
// and date of birth. It is the one read model fed client data: it decodes
// each referral.made with the client's key, keeps only the HMAC of the
// normalised name and date of birth (never the name or date), and keeps
// it only in memory, rebuilt from the log at every start. An erased
// client's entries are dropped when the erasure starts, and a rebuild
// cannot bring them back: their key is destroyed, so their referrals no
// longer decode.
//
// A referral whose key the key store cannot give now (unavailable) is kept
// pending, by event, and indexed at the next search; until then searches
// answer Unavailable rather than miss a client.
type KnownClients struct {
	decode Decoder
	marker Marker

	mu       sync.Mutex
	clients  map[ledger.Mark]map[uuid.UUID]struct{} // mark → clients
	marks    map[uuid.UUID]map[ledger.Mark]struct{} // client → their marks, to forget them
	referred map[uuid.UUID]map[uuid.UUID]struct{}   // organisation → clients it referred
	erased   map[uuid.UUID]struct{}
	pending  []pendingReferral
}

type pendingReferral struct {
	client uuid.UUID
	stored eventstore.RecordedEvent
}

// NewKnownClients returns an empty index decoding with decode and marking
// with marker.
func NewKnownClients(decode Decoder, marker Marker) *KnownClients {
	return &KnownClients{decode: decode, marker: marker, clients: map[ledger.Mark]map[uuid.UUID]struct{}{},
		marks: map[uuid.UUID]map[ledger.Mark]struct{}{}, referred: map[uuid.UUID]map[uuid.UUID]struct{}{},
		erased: map[uuid.UUID]struct{}{}}
}

// decodeTimeout bounds the key store's answer for one referral.
const decodeTimeout = 10 * time.Second

// Apply implements Projection.
func (k *KnownClients) Apply(stored eventstore.RecordedEvent, rec domain.Recorded) {
	k.mu.Lock()
	defer k.mu.Unlock()
	switch e := rec.Event.(type) {
	case *domain.ReferralMade:
		set := k.referred[e.FromOrganisationID]
		if set == nil {
			set = map[uuid.UUID]struct{}{}
			k.referred[e.FromOrganisationID] = set
		}
		set[e.ClientID] = struct{}{}
		if _, gone := k.erased[e.ClientID]; gone || !rec.Withheld {
			return // erased, or no client data sealed (a referral of a known client may give none)
		}
		ctx, cancel := context.WithTimeout(context.Background(), decodeTimeout)
		defer cancel()
		if !k.index(ctx, e.ClientID, stored) {
			k.pending = append(k.pending, pendingReferral{client: e.ClientID, stored: stored})
		}
	case *domain.ClientErasureStarted, *domain.ClientErased:
		if client, ok := clientOfStream(stored.Stream); ok {
			k.forget(client)
		}
	}
}

// index adds the marks of a referral's client, and says whether it could:
// false when the key store did not answer.
func (k *KnownClients) index(ctx context.Context, client uuid.UUID, stored eventstore.RecordedEvent) bool {
	rec, err := k.decode.Decode(ctx, stored)
	if err != nil {
		return false
	}
	made, ok := rec.Event.(*domain.ReferralMade)
	if !ok || rec.Erased || made.Client.Name == "" || made.Client.DateOfBirth == "" {
		return true // nothing to index: a search needs both
	}
	mark, err := k.marker.Mark(ctx, made.Client.Name, made.Client.DateOfBirth)
	if err != nil {
		return false
	}
	set := k.clients[mark]
	if set == nil {
		set = map[uuid.UUID]struct{}{}
		k.clients[mark] = set
	}
	set[client] = struct{}{}
	if k.marks[client] == nil {
		k.marks[client] = map[ledger.Mark]struct{}{}
	}
	k.marks[client][mark] = struct{}{}
	return true
}

// forget drops every mark of an erased client, and any referral of theirs
// still pending, and keeps them from being indexed again.
func (k *KnownClients) forget(client uuid.UUID) {
	k.erased[client] = struct{}{}
	for mark := range k.marks[client] {
		delete(k.clients[mark], client)
		if len(k.clients[mark]) == 0 {
			delete(k.clients, mark)
		}
	}
	delete(k.marks, client)
	k.pending = slices.DeleteFunc(k.pending, func(p pendingReferral) bool { return p.client == client })
}

// retry indexes the pending referrals it now can, and says whether none
// is left.
func (k *KnownClients) retry(ctx context.Context) bool {
	k.pending = slices.DeleteFunc(k.pending, func(p pendingReferral) bool { return k.index(ctx, p.client, p.stored) })
	return len(k.pending) == 0
}

var errIndexPending = &domain.Error{Code: domain.Unavailable,
	Message: "the key store did not answer, so the known clients cannot be searched yet; retry shortly"}

// ReferredBy implements ledger.KnownClientsIndex: the clients org referred
// whose name and date of birth, normalised, are those given, in no
// particular order. Errors: Unavailable (the key store).
func (k *KnownClients) ReferredBy(ctx context.Context, org uuid.UUID, name, dateOfBirth string) ([]uuid.UUID, error) {
	mark, err := k.marker.Mark(ctx, name, dateOfBirth)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.retry(ctx) {
		return nil, errIndexPending
	}
	out := []uuid.UUID{}
	for client := range k.clients[mark] {
		if _, ok := k.referred[org][client]; ok {
			out = append(out, client)
		}
	}
	return out, nil
}

// Len returns how many clients have marks in the index.
func (k *KnownClients) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.marks)
}

// ClientReferrals lists, in the order of ids, the referrals among ids that
// org made or received, as the outbox lists them, leaving out those of
// clients visible refuses (the caller's lock rule).
func (p *Referrals) ClientReferrals(ids []uuid.UUID, org uuid.UUID, visible func(client uuid.UUID) bool, now time.Time) []ReferralSummary {
	out := []ReferralSummary{}
	for _, id := range ids {
		e := p.get(id)
		if e == nil || !e.R.Involves(org) || (visible != nil && !visible(e.R.ClientID)) {
			continue
		}
		out = append(out, p.summary(e, now))
	}
	return out
}
