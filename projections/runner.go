// Package projections builds read models from the event stream. Each
// projection applies events in global order; the Runner feeds them from the
// store's subscription and lets readers wait until a write they made is
// visible (read your writes).
package projections

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
)

// Projection is a read model fed one event at a time, in global order.
// Apply must not fail: events are facts.
//
// Readings declares, for every event type of the domain, whether the read
// model handles it or deliberately ignores it. The runner feeds no event
// of a type some projection has not declared: it stops with an error
// naming the type, as for an event it cannot decode, rather than let a
// read model silently misread a fact it was never taught (a reopened
// referral left counted as closed).
type Projection interface {
	Apply(stored eventstore.RecordedEvent, ev domain.Recorded)
	Readings() domain.Readings
}

// preparer is a persistent view that does part of an event's work ahead
// of the batch that applies it, on the runner's goroutine that reads,
// hashes and decodes events, while the batch before is applied: the known
// clients index decrypts each referral's client and marks it there, off
// the goroutine that writes the views. prepareEvent returns that work's
// result (nil for none), which the runner hands to applyPrepared in place
// of ApplyIn; it must not change the view.
type preparer interface {
	prepareEvent(ctx context.Context, stored eventstore.RecordedEvent, rec domain.Recorded) any
	applyPrepared(b *Batch, stored eventstore.RecordedEvent, rec domain.Recorded, ahead any) error
}

// CheckReadings returns an error naming each projection and event type of
// the domain the projection does not declare; nil when all are declared.
func CheckReadings(projections ...Projection) error {
	var errs []error
	for _, p := range projections {
		if u := p.Readings().Undeclared(); len(u) > 0 {
			errs = append(errs, fmt.Errorf("the read model %T does not declare the event types %v", p, u))
		}
	}
	return errors.Join(errs...)
}

// Runner feeds projections from the store's subscription.
type Runner struct {
	store       eventstore.Store
	codec       *ledger.Codec
	projections []Projection
	preparers   []preparer // by projection: nil for one that prepares nothing
	log         zerolog.Logger
	// recovering is set while a run after a failure has applied nothing
	// yet: the first position it applies is logged as the recovery,
	// before anyone waiting on it is let go.
	recovering bool

	chains *eventstore.ChainVerifier // nil unless CheckChains was called
	views  *Views                    // where chain heads are kept; nil for none
	heads  *chainHeads               // the chain heads in views, when chains are checked

	// started is set once the first subscription's start is known:
	// startAt, a checkpoint when the runner resumed (above 0), or the
	// start of the log.
	started bool
	startAt eventstore.Position
	// beforeReplay, if set, runs once the start is known and before any
	// event after it is applied (SetBeforeReplay).
	beforeReplay func(ctx context.Context, after eventstore.Position) error

	// rebuild holds, while the runner rebuilds the persistent views from
	// the start of the log, the indexes it dropped in each database, to
	// create again in the batch that reaches rebuildTo (the head when the
	// rebuild started); nil otherwise.
	rebuild   map[*Views][]string
	rebuildTo eventstore.Position

	// held, during a rebuild, is the transaction of each database kept
	// open across batches, and heldEvents how many events it applied: a
	// rebuild commits every rebuildCommitMax events and when it catches
	// up, not at every batch (see applyBatch). nil when none is open.
	held       map[*Views]*Batch
	heldEvents int
	heldLast   eventstore.Position // the last event held
	// persistentOnly is true when every projection is Persistent: only
	// then can a rebuild hold its transactions across batches (a read
	// model in memory applies a batch once it is committed).
	persistentOnly bool

	// batchMax and catchUpMax bound a batch, and rebuildMax a rebuild's
	// transaction (batchMax, catchUpBatchMax and rebuildCommitMax; tests
	// make them small).
	batchMax, catchUpMax, rebuildMax int

	mu      sync.Mutex
	pos     eventstore.Position
	err     error
	changed chan struct{} // closed and replaced whenever pos or err changes
}

// NewRunner returns a runner for projections; call Run to start it.
func NewRunner(store eventstore.Store, codec *ledger.Codec, projections ...Projection) *Runner {
	r := &Runner{store: store, codec: codec, projections: projections, log: zerolog.Nop(), changed: make(chan struct{}),
		batchMax: batchMax, catchUpMax: catchUpBatchMax, rebuildMax: rebuildCommitMax}
	r.persistentOnly = true
	for i, p := range projections {
		if _, ok := p.(Persistent); !ok {
			r.persistentOnly = false
		}
		if pr, ok := p.(preparer); ok {
			if r.preparers == nil {
				r.preparers = make([]preparer, len(projections))
			}
			r.preparers[i] = pr
		}
	}
	return r
}

// CheckChains makes the runner recompute every event's hash link before
// applying it (R-LEDGER-4), so a changed or garbled event stops it with an
// error naming the event's position instead of feeding the views, and the
// start-up replay checks the whole log. Call it before Run.
func (r *Runner) CheckChains() { r.chains = eventstore.NewChainVerifier() }

// UseViews keeps the runner's own state (the chain heads it checks
// against) in views, so a restart resumes checking from the checkpoint.
// Call it before Run.
func (r *Runner) UseViews(v *Views) { r.views = v; r.heads = &chainHeads{views: v} }

// Run subscribes from the start of the store and applies every event until
// ctx ends, then returns ctx's error. When the subscription fails or an
// event cannot be decoded it records the failure (Err, and readiness, say
// so; WaitFor answers Unavailable at once), waits with a backoff that
// doubles from retryMin to retryMax, and subscribes again after the last
// event applied, so nothing is skipped or applied twice (R-OPS-4). The
// failure is cleared once the store answers again. The first failure of
// an episode is logged with its cause, and so is the recovery.
func (r *Runner) Run(ctx context.Context) error {
	failures := 0
	for {
		if failures > 0 {
			// Wait, then check the store answers before clearing the
			// failure: a restart against a store still down stays failed.
			wait := min(retryMin<<min(failures-1, 16), retryMax)
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
			if _, err := r.store.Head(ctx); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				failures++
				r.fail(fmt.Errorf("projections cannot restart: %w", err))
				continue
			}
			r.fail(nil)
		}
		progressed, err := r.runOnce(ctx, failures > 0)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if progressed {
			failures = 0
		}
		failures++
		if failures == 1 {
			r.log.Error().Err(err).Msg("projections stopped; retrying with backoff, and /readyz fails meanwhile")
		}
		r.fail(err)
	}
}

// SetLogger sets where the runner logs its failures and recoveries; call
// it before Run. The default discards them.
func (r *Runner) SetLogger(log zerolog.Logger) { r.log = log }

// SetBeforeReplay makes the runner call f with the position it resumes
// after (Start for a rebuild) each time it has worked that out, before it
// applies any event after it; an error stops the run as a failed one would
// (retried with backoff). Call it before Run.
func (r *Runner) SetBeforeReplay(f func(ctx context.Context, after eventstore.Position) error) {
	r.beforeReplay = f
}

// retryMin and retryMax bound the wait before a failed runner subscribes
// again.
const (
	retryMin = 250 * time.Millisecond
	retryMax = 30 * time.Second
)

// batchMax bounds how many events one transaction of the views applies
// once caught up, when events arrive faster than they are applied; when
// the log is idle each event commits at once. catchUpBatchMax bounds it
// while catching up, far behind the head: bigger transactions write each
// row (and each page) they change once for more events.
const (
	batchMax        = 2000
	catchUpBatchMax = 16384
)

// rebuildCommitMax bounds how many events one transaction of a rebuild
// applies. A rebuild from the start of the log keeps its transaction open
// across batches and commits every rebuildCommitMax events and when it
// catches up: the rows and pages its events change are written once per
// transaction rather than once per batch (a referral's rows, and most
// pages of each table keyed by random ids, are changed by every batch).
// Memory holds the rows the transaction changed until it commits.
const rebuildCommitMax = 65536

// runOnce applies events from one subscription until it ends, and says
// why and whether it applied any. recovering logs the first event applied.
// Events waiting in the subscription are applied in batches: the
// persistent views commit each batch with their checkpoints in one
// transaction, then the in-memory ones apply it, then the position moves.
func (r *Runner) runOnce(ctx context.Context, recovering bool) (progressed bool, err error) {
	r.mu.Lock()
	r.recovering = recovering
	r.mu.Unlock()
	if !r.started {
		start, err := r.startPosition(ctx)
		if err != nil {
			return false, err
		}
		if r.beforeReplay != nil {
			if err := r.beforeReplay(ctx, start); err != nil {
				return false, err
			}
		}
		r.started, r.startAt = true, start
	}
	// Up to the head as it is now the runner is catching up: it waits for
	// full batches. After it, it applies whatever is waiting at once.
	head, err := r.store.Head(ctx)
	if err != nil {
		return false, fmt.Errorf("projections: %w", err)
	}
	if err := r.startRebuild(ctx, head); err != nil {
		return false, err
	}
	from := max(r.Position(), r.startAt)
	sub := r.store.Subscribe(ctx, from)
	// The checkpoint counts as applied once the subscription after it is
	// made: a WaitFor answered from it finds the runner subscribed.
	if from > r.Position() {
		r.advance(from)
	}
	// Events are read, decoded and their hashes computed on one goroutine
	// while this one applies the batch before: two cores share a rebuild.
	// The events up to head come through a channel that holds a whole
	// catch-up batch, those after it through one of preparedMax, so once
	// caught up no more than that wait decoded when writes outrun the views.
	pctx, cancel := context.WithCancel(ctx)
	catchUp, live := make(chan prepared, r.prepareAhead(head)), make(chan prepared, preparedMax)
	events := preparedFeed{in: catchUp, live: live}
	preparing := make(chan struct{})
	go func(catchUp, live chan<- prepared) {
		defer close(preparing)
		r.prepare(pctx, sub.Events(), head, catchUp, live)
	}(catchUp, live)
	catchUp = nil // the feed lets it go once drained
	defer func() {
		cancel()
		sub.Close()
		<-preparing
		// A rebuild's transaction still open is abandoned: the next
		// subscription starts after the last event committed.
		r.rollbackHeld()
	}()
	size := r.batchMax
	if behind := uint64(head - min(head, r.Position())); behind > uint64(size) {
		size = int(min(behind, uint64(r.catchUpMax)))
	}
	batch := make([]prepared, 0, size)
	for {
		ev, _, open := events.next(true)
		if !open {
			break
		}
		batch = append(batch[:0], ev)
		limit := r.batchMax
		if ev.ev.Position < head {
			limit = r.catchUpMax
		}
		for len(batch) < limit {
			var got bool
			if ev, got, open = events.next(ev.ev.Position < head); !got {
				break
			}
			batch = append(batch, ev)
		}
		applied, err := r.applyBatch(ctx, batch)
		if applied > 0 {
			progressed = true
		}
		clear(batch) // let what was applied go
		if err != nil {
			return progressed, err
		}
		if !open {
			break
		}
	}
	if r.held != nil {
		if err := r.commitHeld(); err != nil {
			return progressed, err
		}
		progressed = true
	}
	if err := sub.Err(); err != nil {
		return progressed, fmt.Errorf("projection subscription ended: %w", err)
	}
	if ctx.Err() == nil {
		return progressed, errors.New("projection subscription ended without a reason")
	}
	return progressed, nil
}

// prepared is an event read from the subscription, decoded, its hash
// computed when the runner checks chains.
type prepared struct {
	ev   eventstore.RecordedEvent
	rec  domain.Recorded
	hash string // the hash of the event's contents; "" when chains are not checked
	err  error  // why the event could not be decoded
	// ahead holds, by projection, what a preparer prepared for the event;
	// nil when none did.
	ahead []any
}

// preparedMax bounds the events prepared ahead of the batch applied.
const preparedMax = 1024

// prepareAhead is how many events may be prepared ahead of the batch
// applied: while catching up, far behind head, a whole batch, so the next
// batch is read and decoded while this one is applied (the two take turns
// otherwise); preparedMax once caught up.
func (r *Runner) prepareAhead(head eventstore.Position) int {
	if behind := uint64(head - min(head, r.Position())); behind > uint64(r.batchMax) {
		return max(preparedMax, int(min(behind, uint64(r.catchUpMax))))
	}
	return preparedMax
}

// preparedFeed hands the applying goroutine the prepared events in order:
// first those of the catch-up channel, up to the head the runner started
// from, then, once prepare closes it, those of the live one.
type preparedFeed struct {
	in   <-chan prepared // catch-up until it is closed and drained, then live
	live <-chan prepared
}

// next returns the next prepared event (got). When wait is false and none
// is ready yet it returns at once, got false; open is false once the feed
// has ended.
func (f *preparedFeed) next(wait bool) (ev prepared, got, open bool) {
	for {
		if wait {
			ev, open = <-f.in
		} else {
			select {
			case ev, open = <-f.in:
			default:
				return ev, false, true
			}
		}
		if open {
			return ev, true, true
		}
		if f.in == f.live {
			return ev, false, false
		}
		f.in = f.live // caught up: the catch-up channel's buffer can go
	}
}

// prepare decodes the events of a subscription, in order, and computes
// their hashes, until the subscription ends (then it closes both
// channels) or ctx does. Events up to head go to catchUp; at the first
// after head it closes catchUp and sends the rest to live.
func (r *Runner) prepare(ctx context.Context, in <-chan eventstore.RecordedEvent, head eventstore.Position, catchUp, live chan<- prepared) {
	out := catchUp
	defer func() {
		if catchUp != nil {
			close(catchUp)
		}
		close(live)
	}()
	for {
		var ev eventstore.RecordedEvent
		var open bool
		select {
		case ev, open = <-in:
			if !open {
				return
			}
		case <-ctx.Done():
			return
		}
		if catchUp != nil && ev.Position > head {
			close(catchUp)
			catchUp, out = nil, live
		}
		select {
		case out <- r.prepareEvent(ctx, ev):
		case <-ctx.Done():
			return
		}
	}
}

// prepareEvent decodes ev and, when chains are checked, hashes it.
func (r *Runner) prepareEvent(ctx context.Context, ev eventstore.RecordedEvent) prepared {
	p := prepared{ev: ev}
	p.rec, p.err = r.codec.Decode(ctx, ev)
	if p.err == nil {
		for i, pr := range r.preparers {
			if pr == nil {
				continue
			}
			if a := pr.prepareEvent(ctx, ev, p.rec); a != nil {
				if p.ahead == nil {
					p.ahead = make([]any, len(r.preparers))
				}
				p.ahead[i] = a
			}
		}
	}
	if r.chains != nil {
		p.hash = eventstore.ComputeHash(ev.Stream, ev.Revision, ev.ID, ev.Type, ev.SchemaVersion, ev.Data, ev.Metadata)
	}
	return p
}

// startRebuild starts a rebuild when every persistent view is empty and
// the log is not: it drops the indexes the views defer (DeferredIndexes)
// and marks their databases as being rebuilt, so a rebuild cut short is
// started again at the next open; the batch that reaches head creates
// the indexes again and clears the mark.
func (r *Runner) startRebuild(ctx context.Context, head eventstore.Position) error {
	if r.rebuild != nil || r.Position() != eventstore.Start || head == eventstore.Start {
		return nil
	}
	dbs := map[*Views][]string{}
	for _, p := range r.projections {
		v, ok := p.(Persistent)
		if !ok {
			continue
		}
		cp, err := v.ViewsDB().Checkpoint(ctx, v.ViewName())
		if err != nil {
			return err
		}
		if cp != eventstore.Start {
			return nil // resuming
		}
		names := dbs[v.ViewsDB()]
		if d, ok := p.(DeferredIndexes); ok {
			names = append(names, d.DeferredIndexes()...)
		}
		dbs[v.ViewsDB()] = names
	}
	if len(dbs) == 0 {
		return nil
	}
	fresh := false
	if r.heads != nil && r.chains != nil {
		cp, err := r.views.Checkpoint(ctx, chainsView)
		if err != nil {
			return err
		}
		fresh = cp == eventstore.Start
	}
	for v, names := range dbs {
		b, err := v.Begin(ctx)
		if err != nil {
			return fmt.Errorf("projections: %w", err)
		}
		if err := b.dropIndexes(head, names); err != nil {
			b.Rollback()
			return fmt.Errorf("projections: start the rebuild: %w", err)
		}
		if err := b.Commit(); err != nil {
			return fmt.Errorf("projections: %w", err)
		}
	}
	r.rebuild, r.rebuildTo = dbs, head
	if fresh {
		r.heads.rebuilding(true)
	}
	return nil
}

// startPosition is where the first subscription starts: the lowest
// checkpoint of the persistent views (and of the chain heads they check
// against), or the start of the log when a read model lives in memory.
func (r *Runner) startPosition(ctx context.Context) (eventstore.Position, error) {
	start, err := r.lowestCheckpoint(ctx)
	if err != nil {
		return start, err
	}
	if start != eventstore.Start {
		same, err := r.sameLog(ctx)
		if err != nil {
			return start, err
		}
		changed := ""
		if same {
			if changed, err = r.changedSettings(ctx); err != nil {
				return start, err
			}
		}
		switch {
		case !same:
			// The views were built from another log, or from this one
			// before it was restored from an older backup.
			r.log.Warn().Uint64("checkpoint", uint64(start)).
				Msg("the views do not match the event log (restored from a backup?): rebuilding them from the start of the log")
		case changed != "":
			// Their rows hold what the old settings worked out
			// (deadlines, overdue lists, counts within timescale).
			r.log.Warn().Str("view", changed).
				Msg("the timescales or the calendar changed since the views were built: rebuilding them from the start of the log")
		}
		if !same || changed != "" {
			if err := r.ResetViews(ctx); err != nil {
				return start, err
			}
			start = eventstore.Start
		}
	}
	return start, r.recordSettings(ctx)
}

// changedSettings returns the name of a Configured view whose settings
// differ from those its rows were built with (or were not recorded),
// or "" when none does.
func (r *Runner) changedSettings(ctx context.Context) (string, error) {
	recorded := map[*Views]map[string]string{}
	for _, p := range r.projections {
		c, ok := p.(Configured)
		if !ok {
			continue
		}
		got, ok := recorded[c.ViewsDB()]
		if !ok {
			var err error
			if got, err = c.ViewsDB().settings(ctx); err != nil {
				return "", err
			}
			recorded[c.ViewsDB()] = got
		}
		if s, ok := got[c.ViewName()]; !ok || s != c.Settings() {
			return c.ViewName(), nil
		}
	}
	return "", nil
}

// recordSettings records the settings of the Configured views that are
// not recorded yet (views about to be built from the start of the log).
func (r *Runner) recordSettings(ctx context.Context) error {
	byDB := map[*Views]map[string]string{}
	for _, p := range r.projections {
		if c, ok := p.(Configured); ok {
			if byDB[c.ViewsDB()] == nil {
				byDB[c.ViewsDB()] = map[string]string{}
			}
			byDB[c.ViewsDB()][c.ViewName()] = c.Settings()
		}
	}
	for v, want := range byDB {
		got, err := v.settings(ctx)
		if err != nil {
			return err
		}
		for view, s := range want {
			if got[view] == s {
				delete(want, view)
			}
		}
		if len(want) > 0 {
			if err := v.recordSettings(ctx, want); err != nil {
				return err
			}
		}
	}
	return nil
}

// ResetViews empties every persistent view the runner feeds, and its
// chain heads, so the next Run rebuilds them from the start of the log
// (ledger rebuild-views). Call it while the runner is not running.
func (r *Runner) ResetViews(ctx context.Context) error {
	views := map[*Views]bool{}
	if r.views != nil {
		views[r.views] = true
	}
	for _, p := range r.projections {
		if v, ok := p.(Persistent); ok {
			views[v.ViewsDB()] = true
		}
	}
	for v := range views {
		if err := v.Reset(ctx); err != nil {
			return err
		}
	}
	for _, p := range r.projections {
		if v, ok := p.(Persistent); ok {
			v.forget()
		}
	}
	if r.heads != nil {
		r.heads.forget()
	}
	r.mu.Lock()
	r.pos = eventstore.Start
	r.mu.Unlock()
	r.started, r.rebuild = false, nil
	return nil
}

// sameLog reports whether the store holds, at the position of the last
// event the views applied, that same event.
func (r *Runner) sameLog(ctx context.Context) (bool, error) {
	if r.views == nil {
		return true, nil // nothing to compare with
	}
	pos, id, ok, err := r.views.mark(ctx)
	if err != nil || !ok {
		return !ok, err
	}
	head, err := r.store.Head(ctx)
	if err != nil {
		return false, fmt.Errorf("projections: %w", err)
	}
	if head < pos {
		return false, nil
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sub := r.store.Subscribe(sctx, pos-1)
	defer sub.Close()
	select {
	case ev, open := <-sub.Events():
		if !open {
			if err := sub.Err(); err != nil {
				return false, fmt.Errorf("projections: read the last event applied: %w", err)
			}
			return false, nil
		}
		return ev.Position == pos && string(ev.ID[:]) == string(id), nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

// lowestCheckpoint is the lowest checkpoint of the persistent views and
// the chain heads, or the start of the log when a read model lives in
// memory.
func (r *Runner) lowestCheckpoint(ctx context.Context) (eventstore.Position, error) {
	start, any := eventstore.Position(0), false
	lowest := func(cp eventstore.Position) {
		if !any || cp < start {
			start, any = cp, true
		}
	}
	for _, p := range r.projections {
		v, ok := p.(Persistent)
		if !ok {
			return eventstore.Start, nil
		}
		cp, err := v.ViewsDB().Checkpoint(ctx, v.ViewName())
		if err != nil {
			return 0, err
		}
		lowest(cp)
	}
	if r.chains != nil && r.views != nil {
		cp, err := r.views.Checkpoint(ctx, chainsView)
		if err != nil {
			return 0, err
		}
		lowest(cp)
	}
	return start, nil
}

// applyBatch applies events, in order, to every read model, and returns
// how many it applied: all of them, or those before the first that could
// not be verified, decoded or applied, with the error. What it applied is
// committed, and the position moved past it; except during a rebuild,
// which may hold its transaction open for the next batch (see
// rebuildCommitMax): it then returns 0, and the batch that commits counts
// its own events. A failure rolls back every event applied since the
// last commit.
func (r *Runner) applyBatch(ctx context.Context, events []prepared) (int, error) {
	batches := r.held
	heldEvents := r.heldEvents
	r.held, r.heldEvents = nil, 0
	if batches == nil {
		batches = map[*Views]*Batch{}
	}
	begin := func(v *Views) (*Batch, error) {
		if b, ok := batches[v]; ok {
			return b, nil
		}
		b, err := v.Begin(ctx)
		if err != nil {
			return nil, err
		}
		b.rebuild = r.rebuild != nil
		batches[v] = b
		return b, nil
	}
	rollback := func() {
		for _, b := range batches {
			b.Rollback()
		}
	}
	recs := make([]domain.Recorded, 0, len(events))
	var stop error
	for i := range events {
		ev, rec := events[i].ev, events[i].rec
		if err := r.check(ev, events[i].hash, begin); err != nil {
			stop = err
			break
		}
		if err := events[i].err; err != nil {
			stop = fmt.Errorf("projection stopped at position %d: %w", ev.Position, err)
			break
		}
		for _, p := range r.projections {
			if p.Readings().Of(ev.Type) == domain.Undeclared {
				stop = fmt.Errorf("projection stopped at position %d: the read model %T does not declare the event type %q", ev.Position, p, ev.Type)
				break
			}
		}
		if stop != nil {
			break
		}
		if err := r.applyPersistent(ev, rec, events[i].ahead, begin); err != nil {
			// The batch cannot be trusted: none of it is kept.
			rollback()
			return 0, fmt.Errorf("projection stopped at position %d: %w", ev.Position, err)
		}
		recs = append(recs, rec)
	}
	if r.views != nil && len(recs) > 0 {
		b, err := begin(r.views)
		if err == nil {
			err = b.setMark(events[len(recs)-1].ev)
		}
		if err != nil {
			rollback()
			return 0, fmt.Errorf("projections: %w", err)
		}
	}
	// The batch that catches up with a rebuild creates the indexes it
	// dropped: the views are never seen caught up without them.
	finishing := r.rebuild != nil && len(recs) > 0 && events[len(recs)-1].ev.Position >= r.rebuildTo
	if !finishing && stop == nil && r.rebuild != nil && r.persistentOnly && heldEvents+len(recs) < r.rebuildMax {
		// A rebuild far from its end: the transaction stays open.
		r.held, r.heldEvents, r.heldLast = batches, heldEvents+len(recs), events[len(recs)-1].ev.Position
		return 0, nil
	}
	if finishing {
		for v, names := range r.rebuild {
			b, err := begin(v)
			if err != nil {
				rollback()
				return 0, fmt.Errorf("projections: finish the rebuild: %w", err)
			}
			// After the views have written the rows they hold (their own
			// flushes, registered when they joined the batch): an index
			// is cheaper created over the rows than kept up to date as
			// they are written.
			b.onFlush(func(b *Batch) error {
				if err := b.finishRebuild(names); err != nil {
					return fmt.Errorf("finish the rebuild: %w", err)
				}
				return nil
			})
		}
	}
	for _, b := range batches {
		if err := b.Commit(); err != nil {
			for _, other := range batches {
				if other != b {
					other.Rollback()
				}
			}
			return 0, fmt.Errorf("projections: %w", err)
		}
	}
	if finishing {
		r.rebuild = nil
		if r.heads != nil {
			r.heads.rebuilding(false)
		}
	}
	for i, rec := range recs {
		for _, p := range r.projections {
			if _, ok := p.(Persistent); !ok {
				p.Apply(events[i].ev, rec)
			}
		}
	}
	if len(recs) > 0 {
		r.advance(events[len(recs)-1].ev.Position)
	}
	return len(recs), stop
}

// commitHeld commits a rebuild's transaction held open across batches,
// if any, and moves the position to its last event: the subscription
// ended before the rebuild caught up, and what it applied up to there is
// kept, as each batch's would be.
func (r *Runner) commitHeld() error {
	if r.held == nil {
		return nil
	}
	batches, last := r.held, r.heldLast
	r.held, r.heldEvents = nil, 0
	for _, b := range batches {
		if err := b.Commit(); err != nil {
			for _, other := range batches {
				if other != b {
					other.Rollback()
				}
			}
			return fmt.Errorf("projections: %w", err)
		}
	}
	r.advance(last)
	return nil
}

// rollbackHeld abandons a rebuild's transaction held open across
// batches, if any.
func (r *Runner) rollbackHeld() {
	for _, b := range r.held {
		b.Rollback()
	}
	r.held, r.heldEvents = nil, 0
}

// applyPersistent applies one event to the persistent read models, with
// what preparers prepared for it (ahead, by projection; nil for nothing).
func (r *Runner) applyPersistent(ev eventstore.RecordedEvent, rec domain.Recorded, ahead []any, begin func(*Views) (*Batch, error)) error {
	for i, p := range r.projections {
		v, ok := p.(Persistent)
		if !ok {
			continue
		}
		b, err := begin(v.ViewsDB())
		if err != nil {
			return err
		}
		if ahead != nil && ahead[i] != nil {
			err = r.preparers[i].applyPrepared(b, ev, rec, ahead[i])
		} else {
			err = v.ApplyIn(b, ev, rec)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// check verifies ev's hash link when the runner checks chains: against
// the chain heads in the views when it has them (every event after their
// checkpoint), else with the verifier, which sees the whole log from its
// start. hash is the hash of ev's contents, computed once.
func (r *Runner) check(ev eventstore.RecordedEvent, hash string, begin func(*Views) (*Batch, error)) error {
	if r.chains == nil {
		return nil
	}
	checked := false
	var err error
	if r.heads != nil {
		var b *Batch
		if b, err = begin(r.views); err == nil {
			checked, err = r.heads.check(b, ev, hash)
		}
	}
	// Resumed from a checkpoint, the events before it are not fed again;
	// from the start of the log, those up to the heads' checkpoint are
	// checked by the verifier.
	if err == nil && !checked && !(r.heads != nil && r.startAt > 0) {
		err = r.chains.Check(ev)
	}
	if err != nil {
		return fmt.Errorf("projection stopped at position %d: the event does not verify: %w", ev.Position, err)
	}
	return nil
}

func (r *Runner) advance(pos eventstore.Position) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.recovering {
		r.recovering = false
		r.log.Warn().Uint64("position", uint64(pos)).Msg("projections recovered")
	}
	r.pos = pos
	close(r.changed)
	r.changed = make(chan struct{})
}

func (r *Runner) fail(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.err = err
	close(r.changed)
	r.changed = make(chan struct{})
}

// Position returns the position of the last event applied.
func (r *Runner) Position() eventstore.Position {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pos
}

// Err returns why the runner cannot run now, or nil while it runs.
func (r *Runner) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// WaitFor blocks until every event up to pos has been applied, ctx ends or
// the runner fails. Errors: Unavailable when the views cannot catch up in
// time.
func (r *Runner) WaitFor(ctx context.Context, pos eventstore.Position) error {
	for {
		r.mu.Lock()
		cur, err, ch := r.pos, r.err, r.changed
		r.mu.Unlock()
		if cur >= pos {
			return nil
		}
		if err != nil {
			return &domain.Error{Code: domain.Unavailable, Message: "the views are not available; retry shortly", Cause: err}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return &domain.Error{Code: domain.Unavailable, Message: "the views are still catching up; retry shortly"}
		}
	}
}

// Lag returns how many positions the projections are behind the store.
func (r *Runner) Lag(ctx context.Context) (uint64, error) {
	head, err := r.store.Head(ctx)
	if err != nil {
		return 0, err
	}
	if pos := r.Position(); head > pos {
		return uint64(head - pos), nil
	}
	return 0, nil
}
