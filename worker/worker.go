// Package worker keeps a node's background jobs running (R-OPS-4): a job
// that fails is restarted after a backoff that doubles up to a limit, and
// Health says which jobs cannot run, for readiness.
package worker

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// Backoff is how long a failed job waits before its restart: Min after the
// first failure, doubling after each further one, up to Max.
type Backoff struct {
	Min, Max time.Duration
}

// DefaultBackoff restarts within a second at first and at least every
// minute however long the failure lasts.
var DefaultBackoff = Backoff{Min: 500 * time.Millisecond, Max: time.Minute}

func (b Backoff) after(failures int) time.Duration {
	d := b.Min
	for i := 1; i < failures && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// Job is a background job. It runs until ctx ends (then it returns nil or
// ctx's error) or it fails. It calls healthy whenever it has shown that it
// works (made progress, or is idle with nothing left to do), which ends a
// failure episode.
type Job func(ctx context.Context, healthy func()) error

// Health records which jobs cannot run. The zero value is not usable; call
// NewHealth. It is safe for concurrent use.
type Health struct {
	mu      sync.Mutex
	failing map[string]error
}

// NewHealth returns a Health with every job well.
func NewHealth() *Health { return &Health{failing: map[string]error{}} }

// Failing returns the names of the jobs that cannot run now, sorted.
func (h *Health) Failing() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	names := make([]string, 0, len(h.failing))
	for name := range h.failing {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// Err returns why the job name cannot run, or nil while it runs.
func (h *Health) Err(name string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.failing[name]
}

// fail records err for name and reports whether it starts an episode.
func (h *Health) fail(name string, err error) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, already := h.failing[name]
	h.failing[name] = err
	return !already
}

// heal clears name's failure and reports whether it had one.
func (h *Health) heal(name string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, had := h.failing[name]
	delete(h.failing, name)
	return had
}

// Run runs job until ctx ends, restarting it after every failure (an
// error, a panic, or a return before ctx ended) with backoff b, in this
// goroutine. While the job is failing Health names it; the first error of
// an episode is logged with its cause as an error, later ones at debug
// level, and the end of an episode as a warning.
func (h *Health) Run(ctx context.Context, log zerolog.Logger, name string, b Backoff, job Job) {
	log = log.With().Str("worker", name).Logger()
	var failures atomic.Int64
	healthy := func() {
		failures.Store(0)
		if h.heal(name) {
			log.Warn().Msg("background job recovered")
		}
	}
	for ctx.Err() == nil {
		err := runOnce(ctx, job, healthy)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			err = errors.New("stopped by itself")
		}
		wait := b.after(int(failures.Add(1)))
		if h.fail(name, err) {
			log.Error().Err(err).Dur("retry_in", wait).Msg("background job failed; restarting it with backoff until it works")
		} else {
			log.Debug().Err(err).Dur("retry_in", wait).Msg("background job failed again")
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// runOnce runs job once, turning a panic into an error that names the
// panic's type only (its value may hold anything).
func runOnce(ctx context.Context, job Job, healthy func()) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("panic of type %T", v)
		}
	}()
	return job(ctx, healthy)
}
