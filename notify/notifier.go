package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
)

// Options configures a Notifier.
type Options struct {
	// PublicURL is the base URL of links in notices, without a trailing
	// slash, like https://referrals.example.org.
	PublicURL string
	// DigestAt is when the daily overdue digest goes out, Europe/London.
	// It goes out on working days only.
	DigestAt TimeOfDay
	// IntakeOffReminderDays is how many days after intake is switched off
	// the org leads are reminded (R-ORG-2).
	IntakeOffReminderDays int
	// MaxAttempts is how many times the mail server may refuse a notice
	// for good (5xx) before it is marked failed (deferrals and outages do
	// not count); RetryBackoff is the wait after the first failure, doubling
	// after each further one up to an hour (or RetryBackoff, if longer).
	MaxAttempts  int
	RetryBackoff time.Duration
	// Timescales and Calendar decide which referrals are overdue.
	Timescales domain.Timescales
	Calendar   *calendar.Calendar
	// Clock is the time source; nil means the system clock.
	Clock Clock
	// Log receives the notifier's own lines, which never carry client data.
	Log zerolog.Logger
	// Turn, when set, is shared with the other nodes deriving the same
	// notices (nodes sharing PostgreSQL): this notifier derives every
	// notice but sends only while it holds the turn, so each goes out
	// once (R-OPS-2). The notifier closes it. Nil: it sends what it
	// derives, as a node on its own.
	Turn Turn
	// TurnRetry is how often a notifier without the turn tries to take
	// it; 0 means DefaultTurnRetry.
	TurnRetry time.Duration
}

// deliveryBatch is how many due notices the delivery loop reads at a time;
// each is recorded as sent before the next is sent (R-NOTE-3).
const deliveryBatch = 50

// checkpointEvery bounds how many events without notices may pass before
// the checkpoint is written anyway during a long catch-up.
const checkpointEvery = 1000

// rebuildCommitEvery is how many events may pass between commits of the
// state while it is rebuilt up to the checkpoint: what changed meanwhile
// is held in memory, a few hundred bytes per referral.
const rebuildCommitEvery = 10000

// checkpointInterval is how long the checkpoint may lag behind the events
// applied while the log is idle: it is written on this timer, not every
// time the feed goes idle (each write is an fsync). A lagging checkpoint
// costs nothing but replay: events after it that derived notices were
// committed with those notices and their own checkpoint.
const checkpointInterval = time.Second

// Notifier derives notices from the event store into its outbox and
// delivers them. Open it, Run it, and Close it after Run returns.
type Notifier struct {
	store  eventstore.Store
	codec  *ledger.Codec
	sender Sender
	outbox *outbox
	opts   Options
	clock  Clock
	log    zerolog.Logger
	links  links
	wake   chan struct{} // tells the delivery loop new notices are due
	turn   Turn          // nil: this notifier sends alone

	running atomic.Bool
	sending atomic.Bool // the delivery loop sends (it holds the turn, or has none to share)
	state   *state      // owned by the projecting goroutine of Run, which opens it from the database

	mu             sync.Mutex
	pos            eventstore.Position
	changed        chan struct{}        // closed and replaced whenever pos changes
	sentUnrecorded map[string]time.Time // notices sent whose sending the outbox could not record
	unsettled      map[string]bool      // notices settled (true: given up) whose record in the turn failed
}

// Open opens (creating it if need be) the notifications database at path,
// e.g. data/notifications.db, for notices about store's events. A new
// database starts at the store's current head: notices are sent for what
// happens from then on, not for history.
func Open(ctx context.Context, path string, store eventstore.Store, sender Sender, opts Options) (*Notifier, error) {
	switch {
	case sender == nil:
		return nil, errors.New("notify: no sender")
	case opts.Calendar == nil:
		return nil, errors.New("notify: no calendar")
	case opts.MaxAttempts < 1 || opts.RetryBackoff <= 0 || opts.IntakeOffReminderDays < 1:
		return nil, errors.New("notify: max attempts, retry backoff and intake-off reminder days must be positive")
	}
	if opts.Clock == nil {
		opts.Clock = systemClock{}
	}
	ob, err := openOutbox(ctx, path)
	if err != nil {
		return nil, err
	}
	head, err := store.Head(ctx)
	if err == nil {
		var cp eventstore.Position
		var wound bool
		if cp, wound, err = ob.initCheckpoint(ctx, head); wound {
			opts.Log.Warn().Uint64("checkpoint", uint64(cp)).
				Msg("notifications.db was ahead of the event log (restored from a backup?): notices resume from the log's end")
		}
	}
	if err == nil {
		err = ob.purge(ctx, opts.Clock.Now().Add(-keepFinished))
	}
	if err != nil {
		ob.close()
		return nil, fmt.Errorf("notifications: %w", err)
	}
	return &Notifier{store: store, codec: ledger.NewPublicCodec(), sender: sender, outbox: ob, opts: opts,
		clock: opts.Clock, log: opts.Log, links: links{base: strings.TrimRight(opts.PublicURL, "/")},
		wake: make(chan struct{}, 1), changed: make(chan struct{}), turn: opts.Turn}, nil
}

// Close closes the database, and the turn if there is one (which gives it
// up). Call it after Run has returned.
func (n *Notifier) Close() error {
	err := n.outbox.close()
	if n.turn != nil {
		err = errors.Join(err, n.turn.Close())
	}
	return err
}

// Run derives and delivers notices until ctx ends, then returns nil; or
// returns the error that stopped it (the store's subscription failing, an
// event it cannot decode, the database failing). Notices derived but not
// yet sent stay in the outbox for the next Run.
func (n *Notifier) Run(parent context.Context) error {
	return n.RunReporting(parent, func() {})
}

// RunReporting is Run, calling healthy whenever the notifier has shown it
// works: a notice or checkpoint committed, or caught up with nothing to
// write. A supervisor (worker.Health) restarts a Run that failed and uses
// healthy to know when the failure is over; a restarted Run derives again
// every notice that was not committed, and notices committed once are
// never derived twice (R-OPS-4).
func (n *Notifier) RunReporting(parent context.Context, healthy func()) error {
	if !n.running.CompareAndSwap(false, true) {
		return errors.New("notify: Run is already running")
	}
	defer n.running.Store(false)
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	delivered := make(chan struct{})
	go func() {
		defer close(delivered)
		n.deliver(ctx)
	}()
	err := n.project(ctx, healthy)
	cancel()
	<-delivered
	if parent.Err() != nil {
		return nil // stopping: work cut short is rolled back and redone next time
	}
	return err
}

// project replays the store into the state and derives notices for every
// event after the checkpoint; it also runs the daily digest once caught up.
func (n *Notifier) project(ctx context.Context, healthy func()) error {
	cp, err := n.outbox.checkpoint(ctx)
	if err != nil {
		return fmt.Errorf("notifications: %w", err)
	}
	lastDigest, err := n.outbox.lastDigest(ctx)
	if err != nil {
		return fmt.Errorf("notifications: %w", err)
	}
	// Healthy once idle past the store's head as it is now: a restart
	// replaying old events is not yet proof that the failure is over.
	startHead, err := n.store.Head(ctx)
	if err != nil {
		return fmt.Errorf("notifications: %w", err)
	}
	// The state resumes where it was stored with the checkpoint, so no
	// event up to it is read again; a state not yet built is built from
	// the log's start, deriving no notice for events up to the checkpoint.
	st, statePos, err := n.openState(ctx, cp)
	if err != nil {
		return fmt.Errorf("notifications: %w", err)
	}
	n.state = st
	// The digest's timer is set before the position is published: whoever
	// sees the notifier caught up and then moves the clock past the digest
	// time finds the timer there to fire.
	timer := n.digestTimer(lastDigest)
	n.advance(statePos)
	persisted := cp            // the checkpoint stored
	statePersisted := statePos // the position the stored state is at
	applied := statePos

	// The digest waits for the state to catch up with the store as it was
	// when the digest fell due, so it never lists a referral acknowledged
	// just before.
	var digestDue bool
	var digestAfter eventstore.Position
	// checkpointDue fires when an idle checkpoint is to be written; nil
	// while none is pending.
	var checkpointDue <-chan time.Time
	// save commits the state at applied, and the checkpoint with it once
	// applied is past it.
	save := func(ctx context.Context) error {
		if applied <= persisted && applied <= statePersisted {
			return nil
		}
		c := change{state: n.state, statePos: applied}
		if applied > persisted {
			c.checkpoint = applied
		}
		if _, _, err := n.outbox.commit(ctx, c, n.clock.Now()); err != nil {
			return err
		}
		persisted, statePersisted = max(persisted, applied), applied
		return nil
	}
	// stopping keeps the state and checkpoint, so the next start replays
	// less; a failure here costs only replay.
	stopping := func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		_ = save(stopCtx)
		cancel()
	}
	saveCheckpoint := func() error {
		checkpointDue = nil
		if applied <= persisted {
			return nil
		}
		if err := save(ctx); err != nil {
			return fmt.Errorf("notifications: checkpoint: %w", err)
		}
		if applied >= startHead {
			healthy() // caught up, everything committed
		}
		return nil
	}

	sub := n.store.Subscribe(ctx, statePos)
	defer sub.Close()
	events := sub.Events()
	for {
		var ev eventstore.RecordedEvent
		received, open := false, true
		select {
		case ev, open = <-events:
			received = true
		default:
			// Idle: the checkpoint is written within checkpointInterval.
			if applied > persisted && checkpointDue == nil {
				checkpointDue = n.clock.After(checkpointInterval)
			}
			if applied >= startHead && applied <= persisted {
				healthy() // caught up, everything committed
			}
			select {
			case ev, open = <-events:
				received = true
			case <-checkpointDue:
				if err := saveCheckpoint(); err != nil {
					return err
				}
				continue
			case <-timer:
				head, err := n.store.Head(ctx)
				if err != nil {
					n.log.Warn().Err(err).Msg("overdue digest postponed: the event store is unavailable")
					timer = n.clock.After(time.Minute)
					continue
				}
				digestDue, digestAfter, timer = true, head, nil
			case <-ctx.Done():
				stopping()
				return nil
			}
		}
		if received && open {
			// Every event already waiting is handled with it, and what
			// they derive committed in one transaction.
			// A due digest reads the state as the first event at or past
			// digestAfter left it.
			until := eventstore.Position(0)
			if digestDue {
				until = digestAfter
			}
			last, closed, err := n.handleBatch(ctx, ev, events, cp, until, &persisted, &statePersisted, healthy)
			if err != nil {
				return err
			}
			applied, open = last, !closed
		}
		if received && !open {
			if ctx.Err() != nil {
				stopping()
				return nil
			}
			if err := sub.Err(); err != nil {
				return fmt.Errorf("notifications: subscription ended: %w", err)
			}
			return nil
		}
		if digestDue && applied >= digestAfter {
			digestDue = false
			prev := lastDigest
			if lastDigest, err = n.runDigest(ctx, lastDigest, applied); err != nil {
				return err
			}
			if lastDigest != prev { // committed with the state and checkpoint
				persisted, statePersisted = max(persisted, applied), applied
			}
			timer = n.digestTimer(lastDigest)
		}
	}
}

// handleBatch handles ev and then every event already waiting in events
// (up to notifyBatchMax, and up to until when it is not 0), without
// waiting for more, and returns the
// position of the last one and whether events was found closed. Events
// after the checkpoint cp have their notices derived and the state
// applied, and what they derived is committed in one transaction with the
// state and the new checkpoint, in the order derived, so the checkpoint
// never passes an event whose notices are not stored; the position moves
// once it is committed. While the state is rebuilt up to cp, it is
// committed on its own now and then.
func (n *Notifier) handleBatch(ctx context.Context, ev eventstore.RecordedEvent, events <-chan eventstore.RecordedEvent,
	cp, until eventstore.Position, persisted, statePersisted *eventstore.Position, healthy func()) (last eventstore.Position, closed bool, err error) {
	var derived []change // each event's notices and cancellations, in order
	commit := false      // whether the events after cp need a commit
	var after eventstore.Position
	var linger *time.Timer // started when the first notices wait for others
	lingered := false      // linger has run out
	for handled := 1; ; handled++ {
		if ev.Position <= cp {
			if err := n.rebuildState(ctx, ev, cp, statePersisted); err != nil {
				return last, false, err
			}
		} else {
			c, err := n.apply(ctx, ev, true, derived)
			if err != nil {
				return last, false, err
			}
			if len(c.notices) > 0 || len(c.cancel) > 0 || len(c.readdress) > 0 {
				derived, commit = append(derived, c), true
			}
			if ev.Position-*persisted >= checkpointEvery {
				commit = true
			}
			after = ev.Position
		}
		last = ev.Position
		if handled >= notifyBatchMax || (until > 0 && ev.Position >= until) {
			break
		}
		var more bool
		select {
		case ev, more = <-events:
			closed = !more
		default:
			// Nothing waiting. Notices to commit wait a moment for the
			// events that follow, so that under load one commit (one
			// fsync) carries many events' notices; the position, and so
			// WaitFor, moves only once they are committed.
			if !commit || lingered {
				break
			}
			if linger == nil {
				linger = time.NewTimer(notifyLinger)
				defer linger.Stop()
			}
			select {
			case ev, more = <-events:
				closed = !more
			case <-linger.C:
				lingered = true
			case <-ctx.Done():
			}
		}
		if !more {
			break
		}
	}
	if commit {
		c := change{checkpoint: after, state: n.state, statePos: after, then: derived}
		inserted, dropped, err := n.outbox.commit(ctx, c, n.clock.Now())
		if err != nil {
			return last, false, fmt.Errorf("notifications: enqueue: %w", err)
		}
		for _, d := range dropped {
			switch {
			case d.refused && len(d.rerouted) > 0:
				n.log.Info().Str("notice_id", d.id).Str("kind", d.kind).Str("reference", d.reference).
					Strs("rerouted_as", d.rerouted).
					Msg("email notice rerouted: its recipient may no longer be told of the case, it goes to whom it now goes instead")
			case d.refused && d.already:
				n.log.Info().Str("notice_id", d.id).Str("kind", d.kind).Str("reference", d.reference).
					Msg("email notice not sent: its recipient may no longer be told of the case and those it now goes to have it already")
			case d.refused:
				n.log.Warn().Str("notice_id", d.id).Str("kind", d.kind).Str("reference", d.reference).
					Msg("email notice not sent: its recipient may no longer be told of the case and nobody else is left to receive it")
			case len(d.rerouted) > 0:
				n.log.Info().Str("notice_id", d.id).Str("kind", d.kind).Str("reference", d.reference).
					Strs("rerouted_as", d.rerouted).
					Msg("email notice rerouted: its recipient's account is closed, it goes to whom it now goes instead")
			case d.nobody:
				n.log.Warn().Str("notice_id", d.id).Str("kind", d.kind).Str("reference", d.reference).
					Msg("email notice not sent: its recipient's account is closed and nobody else is left to receive it")
			case d.already:
				n.log.Info().Str("notice_id", d.id).Str("kind", d.kind).Str("reference", d.reference).
					Msg("email notice not sent: its recipient's account is closed and those it now goes to have it already")
			default:
				n.log.Info().Str("notice_id", d.id).Str("kind", d.kind).Str("reference", d.reference).
					Msg("email notice not sent: its recipient's account is closed")
			}
		}
		if len(dropped) > 0 {
			inserted++ // rerouted notices are due now
		}
		*persisted, *statePersisted = after, after
		healthy()
		if inserted > 0 {
			n.wakeDelivery()
		}
	}
	// Every event of the batch is applied, and those after cp committed:
	// the position moves past them all, as it did event by event.
	n.advance(last)
	return last, closed, nil
}

// notifyBatchMax bounds how many events one transaction of the outbox
// commits.
const notifyBatchMax = 512

// notifyLinger is how long derived notices wait, uncommitted, for further
// events to commit with them. Notices are emails: a few milliseconds more
// before they are enqueued is nothing to a reader, while a commit per
// event under load costs an fsync each.
const notifyLinger = 25 * time.Millisecond

// apply decodes ev, derives its notices when derive is set (from the
// state before the event, and the intake-off reminders from the state
// after it) and applies it to the state. uncommitted are the changes
// derived before ev that are not committed yet: when ev closes an
// account, the pending notices to it among them are rerouted too.
func (n *Notifier) apply(ctx context.Context, ev eventstore.RecordedEvent, derive bool, uncommitted []change) (change, error) {
	rec, err := n.codec.Decode(ctx, ev)
	if err != nil {
		return change{}, fmt.Errorf("notifications stopped at position %d: %w", ev.Position, err)
	}
	if readings.Of(ev.Type) == domain.Undeclared {
		return change{}, fmt.Errorf("notifications stopped at position %d: the notifier does not declare the event type %q", ev.Position, ev.Type)
	}
	var c change
	var org uuid.UUID
	var leads []string
	var watch bool
	var boxKey, boxBefore string
	var boxNow func() string
	if derive {
		c = n.derive(ev, rec, n.clock.Now())
		org, leads, watch = n.reminderWatch(ev, rec)
		boxKey, boxBefore, boxNow = n.mailboxWatch(ev, rec)
	}
	n.state.apply(ev, rec)
	if err := n.state.err; err != nil {
		return change{}, fmt.Errorf("notifications stopped at position %d: %w", ev.Position, err)
	}
	if watch {
		r := n.intakeReminders(org, rec, leads)
		c.cancel, c.notices = append(c.cancel, r.cancel...), append(c.notices, r.notices...)
	}
	if r, ok := readdressed(boxKey, boxBefore, boxNow); ok {
		if r.to == "" {
			// The account closed: its pending notices go where a notice
			// derived now would, by the state as this event left it.
			if r.reroute, err = n.reroutes(ctx, r.key, append(uncommitted[:len(uncommitted):len(uncommitted)], c), rec.At); err != nil {
				return change{}, fmt.Errorf("notifications stopped at position %d: %w", ev.Position, err)
			}
			if err := n.state.err; err != nil { // a lock read from the store
				return change{}, fmt.Errorf("notifications stopped at position %d: %w", ev.Position, err)
			}
		}
		c.readdress = append(c.readdress, r)
	}
	if derive {
		// Pending notices whose recipient the rules they were derived
		// by now refuse go where a notice derived now would, as for a
		// closure (R-LOCK-8, R-LOCK-12).
		var refused []readdress
		prior := append(uncommitted[:len(uncommitted):len(uncommitted)], c)
		if user, ok := n.refusalWatch(ev, rec); ok {
			refused, err = n.refusedFor(ctx, user, prior, rec.At)
		} else if client, ok := lockWatch(ev, rec); ok && n.state.lock(client).Status == domain.LockLocked {
			refused, err = n.refusedAbout(ctx, client, prior, rec.At)
		}
		if err == nil {
			err = n.state.err // a lock read from the store
		}
		if err != nil {
			return change{}, fmt.Errorf("notifications stopped at position %d: %w", ev.Position, err)
		}
		c.readdress = append(c.readdress, refused...)
	}
	return c, nil
}

// refusalWatch returns the account ev, applied, may have made a case lock
// refuse, or a hidden lock keep out (moved into another team, given other
// roles): one still open, on the stream of its organisation. A closed
// account's notices are rerouted by its closure (readdressed).
func (n *Notifier) refusalWatch(stored eventstore.RecordedEvent, rec domain.Recorded) (uuid.UUID, bool) {
	if _, ok := orgOfStream(stored.Stream); !ok {
		return uuid.Nil, false
	}
	e, ok := rec.Event.(domain.UserEvent)
	if !ok {
		return uuid.Nil, false
	}
	if _, added := e.(*domain.OrganisationUserAdded); added {
		return uuid.Nil, false
	}
	u, known := n.state.users[e.AccountID()]
	return e.AccountID(), known && !u.Closed
}

// lockWatch returns the client whose lock ev, on its stream, may have
// made refuse someone it let in: a lock coming into force, or a temporary
// grant ending early. A lock in force changes whom it lets in no other
// way; one lifted refuses nobody.
func lockWatch(stored eventstore.RecordedEvent, rec domain.Recorded) (uuid.UUID, bool) {
	switch rec.Event.(type) {
	case *domain.LockApproved, *domain.TemporaryAccessEnded:
		return clientOfStream(stored.Stream)
	}
	return uuid.Nil, false
}

// rebuildState applies an event up to the checkpoint cp to the state,
// deriving nothing, and commits the state at cp and now and then before.
func (n *Notifier) rebuildState(ctx context.Context, ev eventstore.RecordedEvent, cp eventstore.Position,
	statePersisted *eventstore.Position) error {
	if _, err := n.apply(ctx, ev, false, nil); err != nil {
		return err
	}
	if ev.Position == cp || ev.Position-*statePersisted >= rebuildCommitEvery {
		if _, _, err := n.outbox.commit(ctx, change{state: n.state, statePos: ev.Position}, n.clock.Now()); err != nil {
			return fmt.Errorf("notifications: state: %w", err)
		}
		*statePersisted = ev.Position
	}
	n.advance(ev.Position)
	return nil
}

func (n *Notifier) wakeDelivery() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

func (n *Notifier) advance(pos eventstore.Position) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.pos = pos
	close(n.changed)
	n.changed = make(chan struct{})
}

// Position returns the position of the last event the notifier has
// applied; notices for every event up to it are in the outbox.
func (n *Notifier) Position() eventstore.Position {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.pos
}

// WaitFor blocks until every event up to pos has been applied (and its
// notices enqueued) or ctx ends, returning ctx's error then.
func (n *Notifier) WaitFor(ctx context.Context, pos eventstore.Position) error {
	for {
		n.mu.Lock()
		cur, ch := n.pos, n.changed
		n.mu.Unlock()
		if cur >= pos {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
