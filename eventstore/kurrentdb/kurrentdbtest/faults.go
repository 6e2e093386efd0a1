package kurrentdbtest

import (
	"sync"
	"time"

	"github.com/google/uuid"
)

// appendFault is what the double does to one append instead of answering it
// normally.
type appendFault int

const (
	// faultAfterCommit writes the events, then answers Unavailable.
	faultAfterCommit appendFault = iota + 1
	// faultBeforeCommit answers Unavailable without writing.
	faultBeforeCommit
	// faultWrongExpected answers WrongExpectedVersion without writing.
	faultWrongExpected
	// faultHold waits for the test before handling the append normally.
	faultHold
)

func (c *Controller) inject(f appendFault) {
	c.mu.Lock()
	c.faults = append(c.faults, f)
	c.mu.Unlock()
}

// hold is the rendezvous of a held append.
type hold struct {
	reached chan struct{} // closed when the append has arrived and waits
	release chan struct{} // closed by the test to let it go on
}

// takeFault returns the fault for the append being handled, if one is
// queued.
func (c *Controller) takeFault() appendFault {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.faults) == 0 {
		return 0
	}
	f := c.faults[0]
	c.faults = c.faults[1:]
	return f
}

// FailNextAppendAfterCommit makes the next append write its events and then
// answer codes.Unavailable, as when a connection drops after the server
// committed: the client cannot know whether the append happened.
func (c *Controller) FailNextAppendAfterCommit() { c.inject(faultAfterCommit) }

// FailNextAppendBeforeCommit makes the next append answer
// codes.Unavailable without writing anything. To the client it looks the
// same as FailNextAppendAfterCommit.
func (c *Controller) FailNextAppendBeforeCommit() { c.inject(faultBeforeCommit) }

// RejectNextAppend makes the next append answer WrongExpectedVersion without
// writing, reporting the stream's true current revision, as if another
// writer had raced it.
func (c *Controller) RejectNextAppend() { c.inject(faultWrongExpected) }

// HoldNextAppend makes the next append wait, once it has arrived and before
// the double looks at the stream, until release is called: a test can then
// let another writer move the stream first, so the held append meets a
// genuine WrongExpectedVersion. reached is closed when the append waits.
// Stop also lets it go (and its call fails).
func (c *Controller) HoldNextAppend() (reached <-chan struct{}, release func()) {
	h := hold{reached: make(chan struct{}), release: make(chan struct{})}
	c.mu.Lock()
	c.faults = append(c.faults, faultHold)
	c.holds = append(c.holds, h)
	c.mu.Unlock()
	var once sync.Once
	return h.reached, func() { once.Do(func() { close(h.release) }) }
}

// HoldNextAppendTo is HoldNextAppend for the next append to stream only:
// appends to other streams (sessions, the access log, a notifier's
// checkpoint) go through meanwhile, so a test holds the write it means
// whatever else the nodes write in the background.
func (c *Controller) HoldNextAppendTo(stream string) (reached <-chan struct{}, release func()) {
	h := hold{reached: make(chan struct{}), release: make(chan struct{})}
	c.mu.Lock()
	if c.streamHolds == nil {
		c.streamHolds = map[string][]hold{}
	}
	c.streamHolds[stream] = append(c.streamHolds[stream], h)
	c.mu.Unlock()
	var once sync.Once
	return h.reached, func() { once.Do(func() { close(h.release) }) }
}

// takeStreamHold returns the rendezvous of a hold HoldNextAppendTo set on
// stream, if there is one.
func (c *Controller) takeStreamHold(stream string) (hold, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	hs := c.streamHolds[stream]
	if len(hs) == 0 {
		return hold{}, false
	}
	c.streamHolds[stream] = hs[1:]
	return hs[0], true
}

// wait closes reached and waits for the test to release the append, or for
// the call to end.
func (h hold) wait(done <-chan struct{}) bool {
	close(h.reached)
	select {
	case <-h.release:
		return true
	case <-done:
		return false
	}
}

// takeHold returns the rendezvous of the held append being handled.
func (c *Controller) takeHold() hold {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.holds[0]
	c.holds = c.holds[1:]
	return h
}

// DropSubscriptions ends every live subscription with codes.Aborted while
// keeping the connections open, and returns how many it ended.
func (c *Controller) DropSubscriptions() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.subs)
	for id, kill := range c.subs {
		close(kill)
		delete(c.subs, id)
	}
	return n
}

// Subscriptions returns how many subscriptions are live.
func (c *Controller) Subscriptions() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.subs)
}

// register records a live subscription and returns the channel that
// DropSubscriptions closes, and a function to forget it.
func (c *Controller) register() (<-chan struct{}, func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := c.nextSub
	c.nextSub++
	kill := make(chan struct{})
	c.subs[id] = kill
	return kill, func() {
		c.mu.Lock()
		delete(c.subs, id)
		c.mu.Unlock()
	}
}

// AppendRaw writes one event to stream whatever its revision, as another
// application or KurrentDB itself would: use it for system streams
// ("$stats-…") and streams outside the ledger. It returns the event's
// position.
func (c *Controller) AppendRaw(stream, eventType string, data []byte) uint64 {
	out := c.log.append(stream, expectation{kind: expectAny},
		[]proposed{{id: uuid.New(), typ: eventType, contentType: "application/json", data: data}}, time.Now())
	return out.last.Position
}

// Stream returns the events the double holds in stream, in revision order.
func (c *Controller) Stream(stream string) []Record {
	return deref(c.log.stream(stream))
}

// All returns every event the double holds, in position order.
func (c *Controller) All() []Record {
	all, _ := c.log.snapshot()
	return deref(all)
}

func deref(rs []*Record) []Record {
	out := make([]Record, len(rs))
	for i, r := range rs {
		out[i] = *r
	}
	return out
}
