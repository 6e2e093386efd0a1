// Package scaleledger generates large ledgers of realistic referral lives
// for the scale measurements and benchmarks of issue 14 (node's
// TestScaleMeasure, the notifier's restart benchmark). It writes through
// the store's Append, with events encoded by the real codec.
package scaleledger

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
)

// OneKey seals every client's data under one key: events of their real
// size and shape without a key store write per client.
type OneKey struct{}

// KeyForWrite implements ledger.Keys: the same key for every client.
func (OneKey) KeyForWrite(context.Context, uuid.UUID) (ledger.DataKey, error) {
	return ledger.DataKey{7}, nil
}

// KeyForRead implements ledger.Keys.
func (OneKey) KeyForRead(context.Context, uuid.UUID) (ledger.DataKey, bool, error) {
	return ledger.DataKey{7}, false, nil
}

// Network is the generated network: its organisations and, for each, its
// users (the first an org lead, the others advisers).
type Network struct {
	Orgs  []uuid.UUID
	Users map[uuid.UUID][]uuid.UUID
}

// Generate appends about events events to store, encoded with codec: 50
// organisations of 10 users, then referrals with realistic lives (made, a
// third urgent; assigned; most acknowledged, with a note, half agreeing a
// date; 70% of those closed), each appended as its stream's events by one
// of 16 concurrent writers, as the service does. The same events come out
// of every run (a fixed seed).
func Generate(tb testing.TB, store eventstore.Store, codec *ledger.Codec, events int) Network {
	rng := rand.New(rand.NewPCG(14, 8))
	id := func() uuid.UUID {
		var u uuid.UUID
		for i := range u {
			u[i] = byte(rng.Uint32())
		}
		u[6], u[8] = u[6]&0x0f|0x40, u[8]&0x3f|0x80
		return u
	}
	ctx := context.Background()
	start := time.Date(2025, time.January, 6, 9, 0, 0, 0, time.UTC)
	type life struct {
		stream string
		evs    []domain.Event
		actor  uuid.UUID
		org    uuid.UUID
		at     time.Time
	}
	encode := func(l life) []eventstore.EventData {
		var out []eventstore.EventData
		for i, ev := range l.evs {
			d, err := codec.Encode(ctx, id(), ev, eventstore.Metadata{RecordedAt: l.at.Add(time.Duration(i) * 26 * time.Hour),
				ActorUserID: l.actor.String(), ActorOrganisationID: l.org.String(), CorrelationID: id().String()})
			if err != nil {
				tb.Fatal(err)
			}
			out = append(out, d)
		}
		return out
	}
	net := Network{Users: map[uuid.UUID][]uuid.UUID{}}
	for o := range 50 {
		org := id()
		net.Orgs = append(net.Orgs, org)
		l := life{stream: ledger.OrganisationStream(org), at: start, org: org,
			evs: []domain.Event{&domain.OrganisationRegistered{OrganisationID: org, Name: fmt.Sprintf("Organisation %d", o),
				AdminEmail: fmt.Sprintf("admin@org%d.example", o), Services: []domain.Service{}}}}
		for u := range 10 {
			user := id()
			net.Users[org] = append(net.Users[org], user)
			role := domain.RoleAdviser
			if u == 0 {
				role = domain.RoleOrgLead
			}
			l.evs = append(l.evs, &domain.OrganisationUserAdded{UserID: user, Username: user.String()[:8],
				Email: fmt.Sprintf("u%d@org%d.example", u, o), Roles: []domain.Role{role}})
		}
		if _, err := store.Append(ctx, l.stream, eventstore.NoStream(), encode(l)...); err != nil {
			tb.Fatal(err)
		}
	}
	type batch struct {
		stream string
		data   []eventstore.EventData
	}
	work := make(chan batch, 64)
	var wg sync.WaitGroup
	var failed error
	var once sync.Once
	for range 16 {
		wg.Go(func() {
			for w := range work {
				if _, err := store.Append(ctx, w.stream, eventstore.NoStream(), w.data...); err != nil {
					once.Do(func() { failed = err })
				}
			}
		})
	}
	for made := 550; made < events; {
		ref, client := id(), id()
		from, to := net.Orgs[rng.IntN(len(net.Orgs))], net.Orgs[rng.IntN(len(net.Orgs))]
		for to == from {
			to = net.Orgs[rng.IntN(len(net.Orgs))]
		}
		at := start.Add(time.Duration(rng.IntN(700*24)) * time.Hour)
		l := life{stream: ledger.ReferralStream(ref), actor: net.Users[from][rng.IntN(10)], org: from, at: at}
		l.evs = append(l.evs, &domain.ReferralMade{ReferralID: ref, FromOrganisationID: from, ToOrganisationID: to, ClientID: client,
			Urgent: rng.IntN(3) == 0, PrivacyNoticeGiven: true, Reason: "debt advice and help with a benefits appeal",
			Client: domain.Client{Name: fmt.Sprintf("Client %d", made), DateOfBirth: "1980-04-12"}})
		l.evs = append(l.evs, &domain.ReferralAssigned{UserID: net.Users[to][rng.IntN(10)]})
		if rng.IntN(10) < 8 {
			l.evs = append(l.evs, &domain.ReferralAcknowledged{})
			note := &domain.ReferralNoteAdded{NoteID: id(), ClientID: client, Text: "called the client and agreed next steps"}
			if rng.IntN(2) == 0 {
				note.AgreedCloseBy = at.AddDate(0, 0, 14).Format("2006-01-02")
			}
			l.evs = append(l.evs, note)
			if rng.IntN(10) < 7 {
				l.evs = append(l.evs, &domain.ReferralClosed{ClientID: client, Outcome: domain.OutcomePositive, Comment: "housed"})
			}
		}
		made += len(l.evs)
		work <- batch{stream: l.stream, data: encode(l)}
	}
	close(work)
	wg.Wait()
	if failed != nil {
		tb.Fatal(failed)
	}
	return net
}
