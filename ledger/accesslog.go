package ledger

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/eventstore"
)

// DefaultAccessLogInterval is how often the reads of unlocked cases are
// written to the access log: each is durable within a second of the read.
const DefaultAccessLogInterval = 200 * time.Millisecond

// maxPendingReads bounds the reads waiting to be written; past it a read
// is written before it is answered, as a locked case's is, so a store that
// cannot keep up slows reads down instead of losing their records.
const maxPendingReads = 10000

// accessWriter writes the access records of reads of unlocked cases in
// batches, after the answer (issue 14 point 6). The record itself is made
// (encoded, stamped with its time) when the read happens; only the append
// waits, at most an interval. Reads of locked cases and auditors' reads
// are not queued: they are written before the answer (R-LOCK-9).
type accessWriter struct {
	store    eventstore.Store
	interval time.Duration
	log      zerolog.Logger

	mu      sync.Mutex
	pending map[string][]eventstore.EventData // access stream → records, in read order
	count   int
	closed  bool       // after CloseAccessLog: every read is written before its answer
	flushMu sync.Mutex // one flush at a time, so a stream's records stay in order

	stop chan struct{}
	done chan struct{}

	// failing is set while the store refuses appends (full storage, an
	// outage): reads are then written before they are answered, so none
	// is answered without its record when the store cannot take it.
	failing atomic.Bool
}

// appendWatch notes whether the store's last append failed, other than
// by a conflict.
type appendWatch struct {
	eventstore.Store
	w *accessWriter
}

func (a *appendWatch) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	res, err := a.Store.Append(ctx, stream, expected, events...)
	var conflict *eventstore.ConflictError
	switch {
	case err == nil:
		a.w.failing.Store(false)
	case !errors.As(err, &conflict):
		a.w.failing.Store(true)
	}
	return res, err
}

// SetAsyncAccessLog makes reads of unlocked cases by anyone but an auditor
// record their access-log entry in batches written every interval (at
// most DefaultAccessLogInterval when interval is zero or less) instead of
// before answering. CloseAccessLog writes what is left. Without it every read is
// recorded before it is answered.
func (s *Service) SetAsyncAccessLog(interval time.Duration, log zerolog.Logger) {
	if interval <= 0 {
		interval = DefaultAccessLogInterval
	}
	w := &accessWriter{store: s.store, interval: interval, log: log, pending: make(map[string][]eventstore.EventData),
		stop: make(chan struct{}), done: make(chan struct{})}
	s.store = &appendWatch{Store: s.store, w: w}
	w.store = s.store
	s.access = w
	go w.run()
}

// CloseAccessLog writes the access records still queued and stops the writer.
// No read may be recorded after it.
func (s *Service) CloseAccessLog(ctx context.Context) error {
	if s.access == nil {
		return nil
	}
	s.access.mu.Lock()
	already := s.access.closed
	s.access.closed = true
	s.access.mu.Unlock()
	if !already {
		close(s.access.stop)
		<-s.access.done
	}
	return s.access.flush(ctx)
}

// FlushAccessLog writes the access records queued so far.
func (s *Service) FlushAccessLog(ctx context.Context) error {
	if s.access == nil {
		return nil
	}
	return s.access.flush(ctx)
}

type readsFirstKey struct{}

// WithReadsRecordedFirst returns ctx under which every read is recorded in
// the access log before it is answered, as when no batching is set.
func WithReadsRecordedFirst(ctx context.Context) context.Context {
	return context.WithValue(ctx, readsFirstKey{}, true)
}

func readsRecordedFirst(ctx context.Context) bool {
	first, _ := ctx.Value(readsFirstKey{}).(bool)
	return first
}

// enqueue queues records for stream; false when the caller must write them
// itself: the queue is full, closed, or the store is refusing appends.
func (w *accessWriter) enqueue(stream string, data []eventstore.EventData) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || w.failing.Load() || w.count+len(data) > maxPendingReads {
		return false
	}
	w.pending[stream] = append(w.pending[stream], data...)
	w.count += len(data)
	return true
}

func (w *accessWriter) run() {
	defer close(w.done)
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := w.flush(ctx); err != nil {
			w.log.Error().Err(err).Msg("writing the access log failed; will retry")
		}
		cancel()
	}
}

// flush appends every queued record, the streams side by side so that the
// store's group commit shares their fsync. Records that could not be
// written are queued again, before any read since.
func (w *accessWriter) flush(ctx context.Context) error {
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	w.mu.Lock()
	batch := w.pending
	if len(batch) == 0 {
		w.mu.Unlock()
		return nil
	}
	w.pending = make(map[string][]eventstore.EventData, len(batch))
	w.mu.Unlock()

	var wg sync.WaitGroup
	var failedMu sync.Mutex
	failed := map[string][]eventstore.EventData{}
	var errs []error
	sem := make(chan struct{}, 32)
	for stream, data := range batch {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			if _, err := w.store.Append(ctx, stream, eventstore.Any(), data...); err != nil {
				failedMu.Lock()
				failed[stream] = data
				errs = append(errs, err)
				failedMu.Unlock()
			}
		}()
	}
	wg.Wait()
	w.mu.Lock()
	written := 0
	for _, data := range batch {
		written += len(data)
	}
	for stream, data := range failed {
		written -= len(data)
		w.pending[stream] = append(data, w.pending[stream]...)
	}
	w.count -= written
	w.mu.Unlock()
	if len(errs) > 0 {
		return storeError(errors.Join(errs...))
	}
	return nil
}
