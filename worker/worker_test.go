package worker_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/worker"
)

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestRunRestartsAFailingJob: R-OPS-4. A job that fails, panics or stops
// by itself is restarted with backoff; Health names it until it reports
// itself healthy; the cause is logged once per episode, not once per
// restart.
func TestRunRestartsAFailingJob(t *testing.T) {
	for _, tc := range []struct {
		name string
		fail func() error
	}{
		{"Error", func() error { return errors.New("database or disk is full (13)") }},
		{"Panic", func() error { panic("boom") }},
		{"Return", func() error { return nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := worker.NewHealth()
			logs := &syncBuffer{}
			var runs atomic.Int64
			var broken atomic.Bool
			broken.Store(true)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() {
				defer close(done)
				h.Run(ctx, zerolog.New(logs).Level(zerolog.DebugLevel), "notices", worker.Backoff{Min: time.Millisecond, Max: 4 * time.Millisecond},
					func(ctx context.Context, healthy func()) error {
						runs.Add(1)
						if broken.Load() {
							return tc.fail()
						}
						healthy()
						<-ctx.Done()
						return ctx.Err()
					})
			}()
			waitFor(t, "three restarts", func() bool { return runs.Load() >= 3 })
			if got := h.Failing(); len(got) != 1 || got[0] != "notices" {
				t.Errorf("Failing() = %v while the job fails", got)
			}
			if h.Err("notices") == nil {
				t.Error("Err() = nil while the job fails")
			}
			broken.Store(false)
			waitFor(t, "recovery", func() bool { return len(h.Failing()) == 0 })
			cancel()
			<-done
			if n := strings.Count(logs.String(), `"level":"error"`); n != 1 {
				t.Errorf("the failure was logged as an error %d times in one episode, want once:\n%s", n, logs)
			}
			if !strings.Contains(logs.String(), "background job recovered") {
				t.Errorf("the recovery was not logged:\n%s", logs)
			}
		})
	}
}

// TestRunStopsWithItsContext: a job ended by its context is not a
// failure.
func TestRunStopsWithItsContext(t *testing.T) {
	h := worker.NewHealth()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	started := make(chan struct{})
	go func() {
		defer close(done)
		h.Run(ctx, zerolog.Nop(), "retention", worker.DefaultBackoff, func(ctx context.Context, healthy func()) error {
			close(started)
			<-ctx.Done()
			return ctx.Err()
		})
	}()
	<-started
	cancel()
	<-done
	if got := h.Failing(); len(got) != 0 {
		t.Errorf("Failing() = %v after a clean stop", got)
	}
}

func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			tb.Fatalf("timed out waiting for %s", what)
		case <-time.After(time.Millisecond):
		}
	}
}
