package projections

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
)

// TestMessageRate_LOCK8 (R-LOCK-8): the limit counts a node's own
// reservations and the messages other nodes recorded, each once; a
// released reservation does not count; the window slides.
func TestMessageRate_LOCK8(t *testing.T) {
	now := time.Date(2026, 12, 14, 9, 0, 0, 0, time.UTC)
	p := NewMessageRate(3, time.Hour, func() time.Time { return now })
	sender, client := uuid.New(), uuid.New()
	var pos eventstore.Position
	recorded := func(id uuid.UUID, at time.Time) {
		pos++
		p.Apply(eventstore.RecordedEvent{Position: pos}, domain.Recorded{At: at, ActorUserID: sender,
			Event: &domain.MessageForResponsiblePerson{MessageID: id, ClientID: client}})
	}
	own := uuid.New()
	if _, ok := p.Reserve(sender, client, own, now); !ok {
		t.Fatal("first message refused")
	}
	recorded(own, now)                             // our own, seen again by the projection: not counted twice
	recorded(uuid.New(), now.Add(-2*time.Hour))    // too old to count
	recorded(uuid.New(), now.Add(-30*time.Minute)) // another node's
	failed := uuid.New()
	if _, ok := p.Reserve(sender, client, failed, now); !ok {
		t.Fatal("third message refused")
	}
	p.Release(failed)
	if _, ok := p.Reserve(sender, client, uuid.New(), now); !ok {
		t.Fatal("a released reservation still counts")
	}
	wait, ok := p.Reserve(sender, client, uuid.New(), now)
	if ok || wait != 30*time.Minute {
		t.Fatalf("fourth message: ok %v, wait %v; want refused, 30m", ok, wait)
	}
	if _, ok := p.Reserve(uuid.New(), client, uuid.New(), now); !ok {
		t.Fatal("another sender refused")
	}
	if _, ok := p.Reserve(sender, uuid.New(), uuid.New(), now); !ok {
		t.Fatal("another client id refused")
	}
	now = now.Add(30*time.Minute + time.Second)
	if _, ok := p.Reserve(sender, client, uuid.New(), now); !ok {
		t.Fatal("refused after the oldest message left the window")
	}
}
