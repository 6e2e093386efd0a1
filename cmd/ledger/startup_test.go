package main

import (
	"bytes"
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/eventstore"
)

type fixedHead eventstore.Position

func (h fixedHead) Head(context.Context) (eventstore.Position, error) {
	return eventstore.Position(h), nil
}

// stalledRunner applies nothing until release is closed.
type stalledRunner struct {
	pos     atomic.Uint64
	release chan struct{}
}

func (r *stalledRunner) Position() eventstore.Position { return eventstore.Position(r.pos.Load()) }

func (r *stalledRunner) WaitFor(ctx context.Context, pos eventstore.Position) error {
	select {
	case <-r.release:
		r.pos.Store(uint64(pos))
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestStartupHasNoTimeLimit: building the views of a large log is never cut
// short by a clock; progress (events replayed of total) is logged at every
// tick, here a simulated ten hours of them (issue 10 point 10, R-OPS-4).
func TestStartupHasNoTimeLimit(t *testing.T) {
	var logs bytes.Buffer
	runner := &stalledRunner{release: make(chan struct{})}
	ticks := make(chan time.Time) // unbuffered: a send returns once catchUp has taken the tick
	done := make(chan error, 1)
	go func() {
		done <- catchUp(context.Background(), fixedHead(2_000_000), runner, ticks, true, zerolog.New(&logs))
	}()
	const hours = 10
	runner.pos.Store(123_456)
	for i := 0; i < hours*3600/int(startupProgressEvery/time.Second); i++ {
		ticks <- time.Time{}
		select {
		case err := <-done:
			t.Fatalf("start-up gave up after %d ticks: %v", i, err)
		default:
		}
	}
	close(runner.release)
	if err := <-done; err != nil {
		t.Fatalf("catchUp = %v", err)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if want := hours*3600/5 + 1; len(lines) != want {
		t.Fatalf("%d log lines, want %d progress lines and one final", len(lines), want)
	}
	if !strings.Contains(lines[100], `"events_replayed":123456,"events_total":2000000,"percent":6,"message":"building the views"`) ||
		!strings.Contains(lines[len(lines)-1], `"events_replayed":2000000,"events_total":2000000,"percent":100,"message":"views built"`) {
		t.Fatalf("progress lines:\n%s\n%s", lines[100], lines[len(lines)-1])
	}
}

// TestStartupStopsOnSignal: the only thing that ends a long start early is
// the process being told to stop.
func TestStartupStopsOnSignal(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	runner := &stalledRunner{release: make(chan struct{})}
	done := make(chan error, 1)
	go func() { done <- catchUp(ctx, fixedHead(10), runner, nil, true, zerolog.Nop()) }()
	cancel()
	if err := <-done; err == nil {
		t.Fatal("catchUp returned nil after its context ended")
	}
}
