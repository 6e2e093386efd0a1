package eventstore_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/eventstore"
)

// sliceStore serves ReadAll from a slice; VerifyAll needs nothing else.
type sliceStore struct {
	eventstore.Store
	events []eventstore.RecordedEvent
}

func (s *sliceStore) ReadAll(_ context.Context, after eventstore.Position, limit int) ([]eventstore.RecordedEvent, error) {
	var out []eventstore.RecordedEvent
	for _, ev := range s.events {
		if ev.Position > after && len(out) < limit {
			out = append(out, ev)
		}
	}
	return out, nil
}

// sealed builds n events round-robin over streams, sealed as a store would,
// more than one VerifyAll page so paging is exercised.
func sealed(n int, streams ...string) []eventstore.RecordedEvent {
	prev := map[string]string{}
	next := map[string]uint64{}
	out := make([]eventstore.RecordedEvent, n)
	for i := range out {
		stream := streams[i%len(streams)]
		if _, ok := prev[stream]; !ok {
			prev[stream] = eventstore.GenesisHash
		}
		ev := eventstore.EventData{ID: uuid.New(), Type: "t", SchemaVersion: 1, Data: []byte{byte(i)}}
		meta := eventstore.Seal(stream, next[stream], prev[stream], ev)
		out[i] = eventstore.RecordedEvent{ID: ev.ID, Stream: stream, Revision: next[stream], Position: eventstore.Position(i + 1),
			Type: ev.Type, SchemaVersion: 1, Data: ev.Data, Metadata: meta}
		prev[stream], next[stream] = meta.Hash, next[stream]+1
	}
	return out
}

// R-LEDGER-4 through the Store interface alone.
func TestVerifyAll(t *testing.T) {
	cases := []struct {
		name     string
		tamper   func([]eventstore.RecordedEvent) []eventstore.RecordedEvent
		brokenAt eventstore.Position
	}{
		{"OK", func(evs []eventstore.RecordedEvent) []eventstore.RecordedEvent { return evs }, 0},
		{"ChangedData", func(evs []eventstore.RecordedEvent) []eventstore.RecordedEvent {
			evs[1500].Data = []byte("x")
			return evs
		}, 1501},
		{"DeletedEvent", func(evs []eventstore.RecordedEvent) []eventstore.RecordedEvent {
			return append(evs[:1200], evs[1201:]...) // stream of 1201 next appears at 1204
		}, 1204},
		{"PositionsOutOfOrder", func(evs []eventstore.RecordedEvent) []eventstore.RecordedEvent {
			evs[10].Position = 5
			return evs
		}, 5},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			store := &sliceStore{events: c.tamper(sealed(2500, "a", "b", "c"))}
			rep, err := eventstore.VerifyAll(context.Background(), store)
			if c.brokenAt == 0 {
				want := eventstore.VerifyReport{Events: 2500, Streams: 3, Last: 2500}
				if err != nil || rep != want {
					t.Fatalf("VerifyAll = %+v, %v; want %+v, nil", rep, err, want)
				}
				return
			}
			var broken *eventstore.BrokenLinkError
			if !errors.As(err, &broken) || broken.Position != c.brokenAt {
				t.Fatalf("VerifyAll = %v, want a broken link at position %d", err, c.brokenAt)
			}
		})
	}
}

func TestVerifyAllReadError(t *testing.T) {
	store := &failingStore{}
	if _, err := eventstore.VerifyAll(context.Background(), store); !errors.Is(err, eventstore.ErrUnavailable) {
		t.Errorf("VerifyAll = %v, want the read error", err)
	}
}

type failingStore struct{ eventstore.Store }

func (failingStore) ReadAll(context.Context, eventstore.Position, int) ([]eventstore.RecordedEvent, error) {
	return nil, eventstore.ErrUnavailable
}
