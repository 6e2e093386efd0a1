package projections_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/projections"
)

// gated holds up the events of referral streams until open is closed.
type gated struct{ open chan struct{} }

func (g gated) Apply(ev eventstore.RecordedEvent, _ domain.Recorded) {
	if strings.HasPrefix(ev.Stream, ledger.ReferralPrefix) {
		<-g.open
	}
}

func (gated) Readings() domain.Readings { return domain.Readings{}.Handle(domain.EventTypes()...) }

// TestAccountsWaitOnlyForTheirStreams_AUTH6_Issue14: every request waits
// until the accounts show the head (R-AUTH-6, R-ORG-3). WaitForStreams
// answers that for the organisations' streams once the runner has read up
// to the head and applied the last of their events, while the views still
// apply a referral's; an organisation event not yet applied is still
// waited for.
func TestAccountsWaitOnlyForTheirStreams_AUTH6_Issue14(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	codec := ledger.NewPublicCodec()
	// appendTo appends an event to stream; the runner here reads only
	// stream names, so every event is an organisation's registration.
	appendTo := func(stream string) eventstore.Position {
		t.Helper()
		id := uuid.New()
		data, err := codec.Encode(ctx, uuid.New(), &domain.OrganisationRegistered{OrganisationID: id, Name: "Org " + id.String()},
			eventstore.Metadata{RecordedAt: time.Now().UTC()})
		if err != nil {
			t.Fatal(err)
		}
		res, err := store.Append(ctx, stream, eventstore.NoStream(), data)
		if err != nil {
			t.Fatal(err)
		}
		return res.Position
	}
	done := func() context.Context { // a wait that must answer at once
		c, cancel := context.WithCancel(ctx)
		cancel()
		return c
	}

	gate := gated{open: make(chan struct{})}
	opened := false
	openGate := func() {
		if !opened {
			close(gate.open)
			opened = true
		}
	}
	r := projections.NewRunner(store, codec, gate)
	r.WatchStreams(ledger.OrganisationPrefix, ledger.UsernamePrefix)
	runCtx, stop := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() { ran <- r.Run(runCtx) }()
	defer func() {
		openGate()
		stop()
		<-ran
	}()
	org := appendTo(ledger.OrganisationStream(uuid.New()))
	if err := r.WaitFor(ctx, org); err != nil {
		t.Fatal(err)
	}

	// A referral's event, held up in the views.
	referral := appendTo(ledger.ReferralStream(uuid.New()))
	if err := r.WaitFor(done(), referral); domain.ErrorCode(err) != domain.Unavailable {
		t.Fatalf("WaitFor a referral's event still being applied = %v, want Unavailable", err)
	}
	if err := r.WaitForStreams(ctx, referral, ledger.OrganisationPrefix); err != nil {
		t.Fatalf("the accounts wait for a referral's event: %v", err)
	}

	// An organisation's event behind it is read, not applied: waited for.
	later := appendTo(ledger.OrganisationStream(uuid.New()))
	if err := r.WaitForStreams(ctx, later, ledger.UsernamePrefix); err != nil {
		t.Fatalf("the runner never read up to %d: %v", later, err)
	}
	if err := r.WaitForStreams(done(), later, ledger.OrganisationPrefix); domain.ErrorCode(err) != domain.Unavailable {
		t.Fatalf("the accounts' wait for an organisation event not yet applied = %v, want Unavailable", err)
	}
	openGate()
	if err := r.WaitForStreams(ctx, later, ledger.OrganisationPrefix); err != nil {
		t.Fatal(err)
	}
	if r.Position() < later {
		t.Fatalf("the accounts' wait answered at %d, before the organisation event at %d was applied", r.Position(), later)
	}
}
