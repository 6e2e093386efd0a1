package projections

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
)

// MessageRate counts the messages each sender passed on about each client
// id within a sliding window, and limits them (R-LOCK-8). It implements
// ledger.MessageQuota.
//
// The count is derived from the ledger: every message is recorded, whatever
// the client (R-LOCK-12), so a node learns of messages sent through other
// nodes, or before a restart, as its projections catch up. A node's own
// messages are counted at once by Reserve, so on one node the limit is
// exact; across nodes it can be exceeded only by messages sent at the same
// moment through different nodes, before either sees the other's.
//
// The messages recorded within the window are kept in the views database
// with the view's checkpoint, in the same transaction, and loaded when the
// read model opens, so a restart counts them without replaying the log;
// older rows are pruned as the window slides.
type MessageRate struct {
	limit  int
	window time.Duration
	now    func() time.Time
	views  *Views

	mu        sync.Mutex
	sent      map[rateKey][]sentMessage
	seen      map[uuid.UUID]rateKey // messages counted, by id, so none is counted twice
	lastSweep time.Time

	// The batch being applied: the messages it records, counted once it
	// commits. bmu is taken before mu when both are.
	batchCursor
	checkpoint eventstore.Position
	recorded   []recordedMessage
	lastPrune  time.Time // when rows older than the window were last deleted
	pruneAt    time.Time // when the batch deletes them; zero if it does not
}

type rateKey struct{ sender, client uuid.UUID }

type sentMessage struct {
	id uuid.UUID
	at time.Time
}

type recordedMessage struct {
	key rateKey
	sentMessage
}

// messageRateView names the message rate's checkpoint.
const messageRateView = "message_rate"

// messageRatePruneEvery is how often, at most, a batch deletes the rows
// older than the window; the window itself when shorter.
const messageRatePruneEvery = time.Minute

var _ ledger.MessageQuota = (*MessageRate)(nil)

// NewMessageRate allows each sender limit messages about each client id in
// any window; now is the clock that ages recorded messages out. It is kept
// in a private in-memory database.
func NewMessageRate(limit int, window time.Duration, now func() time.Time) *MessageRate {
	p, err := OpenMessageRate(context.Background(), openMemoryViews(), limit, window, now)
	if err != nil {
		panic(err)
	}
	return p
}

// OpenMessageRate is NewMessageRate kept in views: it counts the messages
// recorded there within the window, and resumes from its checkpoint.
func OpenMessageRate(ctx context.Context, views *Views, limit int, window time.Duration, now func() time.Time) (*MessageRate, error) {
	p := &MessageRate{limit: limit, window: window, now: now, views: views,
		sent: map[rateKey][]sentMessage{}, seen: map[uuid.UUID]rateKey{}}
	var err error
	if p.checkpoint, err = views.Checkpoint(ctx, messageRateView); err != nil {
		return nil, err
	}
	rows, err := views.db.QueryContext(ctx, `SELECT message, sender, client, at FROM message_rate WHERE at > ? ORDER BY at, message`,
		now().Add(-window).UnixNano())
	if err != nil {
		return nil, fmt.Errorf("views: load the message rate: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, sender, client []byte
		var at int64
		if err := rows.Scan(&id, &sender, &client, &at); err != nil {
			return nil, fmt.Errorf("views: load the message rate: %w", err)
		}
		p.add(rateKey{uuid.UUID(sender), uuid.UUID(client)}, uuid.UUID(id), time.Unix(0, at).UTC())
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("views: load the message rate: %w", err)
	}
	return p, nil
}

func (p *MessageRate) forget() {
	p.bmu.Lock()
	defer p.bmu.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.checkpoint, p.batchPos, p.batch, p.recorded = 0, 0, nil, nil
	p.lastPrune, p.pruneAt, p.lastSweep = time.Time{}, time.Time{}, time.Time{}
	clear(p.sent)
	clear(p.seen)
}

// ViewName implements Persistent.
func (p *MessageRate) ViewName() string { return messageRateView }

// ViewsDB implements Persistent.
func (p *MessageRate) ViewsDB() *Views { return p.views }

// Apply implements Projection, applying one event in a transaction of its
// own; one at or before the checkpoint is ignored. It panics if the views
// database fails: the runner applies through ApplyIn.
func (p *MessageRate) Apply(stored eventstore.RecordedEvent, rec domain.Recorded) {
	if err := applyAlone(p, stored, rec); err != nil {
		panic(err)
	}
}

// ApplyIn implements Persistent: a message recorded by any node counts
// towards its sender's limit until it is older than the window.
func (p *MessageRate) ApplyIn(b *Batch, stored eventstore.RecordedEvent, rec domain.Recorded) error {
	p.bmu.Lock()
	defer p.bmu.Unlock()
	if !p.admit(b, stored.Position, p.join) {
		return nil
	}
	m, ok := rec.Event.(*domain.MessageForResponsiblePerson)
	if !ok {
		return nil
	}
	if !rec.At.After(p.now().Add(-p.window)) {
		return nil // too old to count; replaying history keeps no memory of it
	}
	p.recorded = append(p.recorded, recordedMessage{rateKey{rec.ActorUserID, m.ClientID}, sentMessage{m.MessageID, rec.At}})
	return nil
}

// join makes b the batch the read model's changes go to: its messages are
// written with its checkpoint before b commits, and counted once it has.
func (p *MessageRate) join(b *Batch) {
	p.batch, p.batchPos, p.recorded, p.pruneAt = b, p.checkpoint, nil, time.Time{}
	b.onFlush(func(b *Batch) error {
		p.bmu.Lock()
		defer p.bmu.Unlock()
		for _, m := range p.recorded {
			if err := b.exec(`INSERT OR IGNORE INTO message_rate (message, sender, client, at) VALUES (?, ?, ?, ?)`,
				m.id[:], m.key.sender[:], m.key.client[:], m.at.UnixNano()); err != nil {
				return err
			}
		}
		if now := p.now(); now.Sub(p.lastPrune) >= min(p.window, messageRatePruneEvery) {
			if err := b.exec(`DELETE FROM message_rate WHERE at <= ?`, now.Add(-p.window).UnixNano()); err != nil {
				return err
			}
			p.pruneAt = now
		}
		return b.SetCheckpoint(messageRateView, p.batchPos)
	})
	b.onCommit(func() {
		p.bmu.Lock()
		defer p.bmu.Unlock()
		p.mu.Lock()
		now := p.now()
		for _, m := range p.recorded {
			p.add(m.key, m.id, m.at)
		}
		p.sweep(now)
		p.mu.Unlock()
		if !p.pruneAt.IsZero() {
			p.lastPrune = p.pruneAt
		}
		p.checkpoint, p.batch, p.recorded, p.pruneAt = p.batchPos, nil, nil, time.Time{}
	})
	b.onRollback(func() {
		p.bmu.Lock()
		defer p.bmu.Unlock()
		p.batch, p.batchPos, p.recorded, p.pruneAt = nil, p.checkpoint, nil, time.Time{}
	})
}

// Reserve implements ledger.MessageQuota.
func (p *MessageRate) Reserve(sender, client, message uuid.UUID, now time.Time) (time.Duration, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	key := rateKey{sender, client}
	recent := p.recent(key, now)
	if len(recent) >= p.limit {
		// The oldest message in the window that must age out first.
		return recent[len(recent)-p.limit].at.Add(p.window).Sub(now), false
	}
	p.add(key, message, now)
	p.sweep(now)
	return 0, true
}

// Release implements ledger.MessageQuota.
func (p *MessageRate) Release(message uuid.UUID) {
	p.mu.Lock()
	defer p.mu.Unlock()
	key, ok := p.seen[message]
	if !ok {
		return
	}
	delete(p.seen, message)
	list := p.sent[key]
	for i, m := range list {
		if m.id == message {
			p.sent[key] = append(list[:i:i], list[i+1:]...)
			break
		}
	}
}

// add counts a message once, keeping each list in time order.
func (p *MessageRate) add(key rateKey, id uuid.UUID, at time.Time) {
	if _, dup := p.seen[id]; dup {
		return
	}
	p.seen[id] = key
	list := p.sent[key]
	i := len(list)
	for i > 0 && list[i-1].at.After(at) {
		i--
	}
	p.sent[key] = append(list[:i], append([]sentMessage{{id, at}}, list[i:]...)...)
}

// recent drops a key's messages older than the window and returns the rest.
func (p *MessageRate) recent(key rateKey, now time.Time) []sentMessage {
	list := p.sent[key]
	cut := 0
	for cut < len(list) && !list[cut].at.After(now.Add(-p.window)) {
		delete(p.seen, list[cut].id)
		cut++
	}
	if cut == len(list) {
		delete(p.sent, key)
		return nil
	}
	list = list[cut:]
	p.sent[key] = list
	return list
}

// sweep forgets every aged-out message once a window, so memory holds only
// the last window's messages.
func (p *MessageRate) sweep(now time.Time) {
	if now.Sub(p.lastSweep) < p.window {
		return
	}
	p.lastSweep = now
	for key := range p.sent {
		p.recent(key, now)
	}
}
