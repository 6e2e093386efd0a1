package kurrentdbtest

import (
	"sync"
	"time"

	"github.com/google/uuid"
)

// Record is an event as the double stores it, for tests to inspect what
// went over the wire.
type Record struct {
	ID          uuid.UUID
	Stream      string
	Revision    uint64
	Position    uint64 // commit and prepare position alike
	Type        string
	ContentType string // "application/json" or "application/octet-stream"
	Created     time.Time
	Metadata    []byte // the custom metadata, as the client sent it
	Data        []byte
}

// proposed is one event of an append request.
type proposed struct {
	id          uuid.UUID
	typ         string
	contentType string
	metadata    []byte
	data        []byte
}

// expectKind is KurrentDB's expected stream revision option.
type expectKind int

const (
	expectAny expectKind = iota
	expectNoStream
	expectExists
	expectRevision
)

type expectation struct {
	kind     expectKind
	revision uint64
}

// outcome is the answer to an append.
type outcome struct {
	wrong      bool    // the expectation failed; nothing written
	current    int64   // the stream's last revision, -1 when it has no events
	last       *Record // the last event written or recognised
	idempotent bool    // the ids were already there; nothing written
}

// eventLog is the double's whole store: every event in position order, each
// stream's events in revision order, and a channel closed (and replaced) on
// every write to wake subscriptions.
type eventLog struct {
	mu      sync.Mutex
	all     []*Record
	streams map[string][]*Record
	next    uint64
	changed chan struct{}
}

func newEventLog() *eventLog {
	return &eventLog{streams: make(map[string][]*Record), next: 1, changed: make(chan struct{})}
}

// recordSize is how far a record moves the log position: a fixed header and
// the variable parts, roughly as in KurrentDB's transaction file, so
// positions are sparse and irregular.
func recordSize(stream string, p proposed) uint64 {
	return uint64(120 + len(stream) + len(p.typ) + len(p.metadata) + len(p.data))
}

// append writes evs to stream if exp holds, or recognises a retry of
// events already written, following KurrentDB's rules: an exact revision
// equal to the current one, no stream on a stream with no events, or any
// writes; a write whose ids are exactly the events after the expected
// revision (or, for any, wherever the first id is) is idempotent.
func (l *eventLog) append(stream string, exp expectation, evs []proposed, now time.Time) outcome {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.streams[stream]
	current := int64(len(s)) - 1
	wrong := outcome{wrong: true, current: current}
	switch exp.kind {
	case expectNoStream:
		if current >= 0 {
			return l.retryAt(s, 0, evs, wrong)
		}
	case expectRevision:
		switch {
		case current == int64(exp.revision):
		case current > int64(exp.revision):
			return l.retryAt(s, int(exp.revision)+1, evs, wrong)
		default:
			return wrong
		}
	case expectExists, expectAny:
		if exp.kind == expectExists && current < 0 {
			return wrong
		}
		for i, r := range s {
			if r.ID == evs[0].id {
				return l.retryAt(s, i, evs, wrong)
			}
		}
	}
	created := now.UTC()
	var last *Record
	for i, p := range evs {
		r := &Record{
			ID: p.id, Stream: stream, Revision: uint64(current + 1 + int64(i)), Position: l.next,
			Type: p.typ, ContentType: p.contentType, Created: created, Metadata: p.metadata, Data: p.data,
		}
		l.next += recordSize(stream, p)
		l.all = append(l.all, r)
		s = append(s, r)
		last = r
	}
	l.streams[stream] = s
	l.notify()
	return outcome{current: int64(last.Revision), last: last}
}

// retryAt recognises evs as the events of s from index from on, or returns
// otherwise.
func (l *eventLog) retryAt(s []*Record, from int, evs []proposed, otherwise outcome) outcome {
	if from+len(evs) > len(s) {
		return otherwise
	}
	for i, p := range evs {
		if s[from+i].ID != p.id {
			return otherwise
		}
	}
	last := s[from+len(evs)-1]
	return outcome{current: int64(last.Revision), last: last, idempotent: true}
}

// stream returns a copy of stream's events.
func (l *eventLog) stream(name string) []*Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*Record(nil), l.streams[name]...)
}

// snapshot returns every event and the channel the next write will close.
func (l *eventLog) snapshot() ([]*Record, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.all[:len(l.all):len(l.all)], l.changed
}

// current returns stream's last revision, -1 when it has no events.
func (l *eventLog) current(stream string) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int64(len(l.streams[stream])) - 1
}

// notify wakes every subscription waiting for a write. l.mu must be held.
func (l *eventLog) notify() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// poke wakes every subscription, as notify, taking l.mu.
func (l *eventLog) poke() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.notify()
}
