package kurrentdb

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/kurrentdb/kurrentdbtest"
)

// With the server gone, a call fails with ErrUnavailable within the time
// the client's discovery takes (its default: 10 attempts 100ms apart), not
// the caller's deadline; the Store then sees the client has closed for
// good and fails every call at once, without touching the network, until
// the server is back, when it recreates the client and carries on, its
// subscriptions included.
func TestServerDownAndBack(t *testing.T) {
	url, ctl := kurrentdbtest.Start(t)
	s := openInternal(t, url)
	stream := "referral-" + uuid.NewString()
	first := mustAppendInternal(t, s, stream, eventstore.NoStream(), newEvent())
	sub := s.Subscribe(testCtx(t), eventstore.Start)
	defer sub.Close()
	if ev := <-sub.Events(); ev.Position != first.Position {
		t.Fatalf("subscription delivered %d, want %d", ev.Position, first.Position)
	}
	client := s.current()

	ctl.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.Append(ctx, stream, eventstore.Any(), newEvent()); !errors.Is(err, eventstore.ErrUnavailable) {
		t.Fatalf("Append with the server down = %v, want ErrUnavailable before the caller's deadline", err)
	}
	waitUntil(t, "the Store has retired the closed client", func() bool { return s.current() == nil })
	if s.Healthy() {
		t.Error("Healthy() = true with the server down")
	}
	sends := ctl.Appends()
	calls := map[string]func() error{
		"Append": func() error { _, err := s.Append(ctx, stream, eventstore.Any(), newEvent()); return err },
		"Head":   func() error { _, err := s.Head(ctx); return err },
		"Ping":   func() error { return s.Ping(ctx) },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, errNoClient) {
			t.Errorf("%s while reconnecting = %v, want the immediate errNoClient", name, err)
		}
	}
	if ctl.Appends() != sends {
		t.Error("an append reached the server while it was down")
	}

	ctl.Restart()
	waitUntil(t, "the Store is healthy again", func() bool { return s.Ping(ctx) == nil && s.Healthy() })
	if s.current() == client {
		t.Error("the Store kept the client that had closed for good")
	}
	next := mustAppendInternal(t, s, stream, eventstore.Exact(0), newEvent())
	if ev := <-sub.Events(); ev.Position != next.Position {
		t.Errorf("after the restart the subscription delivered %d, want %d", ev.Position, next.Position)
	}
	if _, err := eventstore.VerifyAll(ctx, s); err != nil {
		t.Errorf("VerifyAll: %v", err)
	}
}

// A node that is up but answers every call Unavailable (starting, or
// without a leader) gives ErrUnavailable, and the Store recovers when it
// serves again.
func TestServerUnavailable(t *testing.T) {
	url, ctl := kurrentdbtest.Start(t)
	s := openInternal(t, url)
	stream := "referral-" + uuid.NewString()
	mustAppendInternal(t, s, stream, eventstore.NoStream(), newEvent())

	ctl.SetUnavailable(true)
	ctx := testCtx(t)
	if _, err := s.Append(ctx, stream, eventstore.Exact(0), newEvent()); !errors.Is(err, eventstore.ErrUnavailable) {
		t.Fatalf("Append = %v, want ErrUnavailable", err)
	}
	if _, err := s.ReadStream(ctx, stream, 0, 10); !errors.Is(err, eventstore.ErrUnavailable) {
		t.Errorf("ReadStream = %v, want ErrUnavailable", err)
	}
	if err := s.Ping(ctx); !errors.Is(err, eventstore.ErrUnavailable) {
		t.Errorf("Ping = %v, want ErrUnavailable", err)
	}

	ctl.SetUnavailable(false)
	waitUntil(t, "the Store answers again", func() bool { return s.Ping(ctx) == nil })
	if res := mustAppendInternal(t, s, stream, eventstore.Exact(0), newEvent()); res.Revision != 1 {
		t.Errorf("Append landed at revision %d, want 1", res.Revision)
	}
	if n := len(ctl.Stream(stream)); n != 2 {
		t.Errorf("the server holds %d events, want 2", n)
	}
}

// Open gives up with ErrUnavailable when nothing listens, and refuses a
// malformed connection string with ErrInvalid.
func TestOpenErrors(t *testing.T) {
	_, ctl := kurrentdbtest.Start(t)
	ctl.Stop() // a port nothing listens on
	cases := []struct {
		name string
		url  string
		want error
	}{
		{"NothingListening", fmt.Sprintf("kurrentdb://%s?tls=false", ctl.Addr()), eventstore.ErrUnavailable},
		{"UnknownScheme", "postgres://localhost:5432", eventstore.ErrInvalid},
		{"NoHost", "esdb://?tls=false", eventstore.ErrInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Open(testCtx(t), c.url)
			if !errors.Is(err, c.want) {
				t.Errorf("Open(%q) = %v, want %v", c.url, err, c.want)
			}
			if s != nil {
				_ = s.Close()
			}
		})
	}
}

func openInternal(tb testing.TB, url string) *Store {
	tb.Helper()
	s, err := Open(testCtx(tb), url, WithReconnectBackoff(10*time.Millisecond, 200*time.Millisecond))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

func mustAppendInternal(tb testing.TB, s *Store, stream string, expected eventstore.ExpectedRevision, evs ...eventstore.EventData) eventstore.AppendResult {
	tb.Helper()
	res, err := s.Append(testCtx(tb), stream, expected, evs...)
	if err != nil {
		tb.Fatalf("Append: %v", err)
	}
	return res
}

func newEvent() eventstore.EventData {
	id := uuid.New()
	return eventstore.EventData{ID: id, Type: "referral.note_added", SchemaVersion: 1, Data: fmt.Appendf(nil, `{"id":%q}`, id)}
}

func testCtx(tb testing.TB) context.Context {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	tb.Cleanup(cancel)
	return ctx
}

func waitUntil(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
