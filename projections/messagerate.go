package projections

import (
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
type MessageRate struct {
	limit  int
	window time.Duration
	now    func() time.Time

	mu        sync.Mutex
	sent      map[rateKey][]sentMessage
	seen      map[uuid.UUID]rateKey // messages counted, by id, so none is counted twice
	lastSweep time.Time
}

type rateKey struct{ sender, client uuid.UUID }

type sentMessage struct {
	id uuid.UUID
	at time.Time
}

var _ ledger.MessageQuota = (*MessageRate)(nil)

// NewMessageRate allows each sender limit messages about each client id in
// any window; now is the clock that ages recorded messages out.
func NewMessageRate(limit int, window time.Duration, now func() time.Time) *MessageRate {
	return &MessageRate{limit: limit, window: window, now: now,
		sent: map[rateKey][]sentMessage{}, seen: map[uuid.UUID]rateKey{}}
}

// Apply implements Projection: a message recorded by any node counts
// towards its sender's limit until it is older than the window.
func (p *MessageRate) Apply(_ eventstore.RecordedEvent, rec domain.Recorded) {
	m, ok := rec.Event.(*domain.MessageForResponsiblePerson)
	if !ok {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if !rec.At.After(now.Add(-p.window)) {
		return // too old to count; replaying history keeps no memory of it
	}
	p.add(rateKey{rec.ActorUserID, m.ClientID}, m.MessageID, rec.At)
	p.sweep(now)
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
