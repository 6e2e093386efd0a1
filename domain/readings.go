package domain

import (
	"fmt"
	"slices"
)

// Reading is what a reader of the log (a read model, the notifier) does
// with one event type. Every reader declares a reading for every event
// type of the domain, so that a new event type cannot pass one by unseen:
// a reopened referral left counted as closed, say, and its client's data
// shredded by the retention rule.
type Reading uint8

// The readings.
const (
	// Undeclared is the reading of a type the reader says nothing about:
	// the reader is out of date, and must stop rather than guess.
	Undeclared Reading = iota
	// Handled: the reader derives something from events of the type,
	// through the domain's evolve of their aggregate or, for what no
	// aggregate keeps (a notice, an index of ids), on its own.
	Handled
	// Ignored: the reader deliberately needs nothing from the type.
	Ignored
)

// Readings declares a reader's reading of each event type. Build it with
// Handle and Ignore, which panic on a type declared twice or unknown to
// the domain, so a declaration cannot contradict itself.
type Readings map[string]Reading

// Handle declares types handled.
func (r Readings) Handle(types ...string) Readings { return r.declare(Handled, types) }

// Ignore declares types deliberately ignored.
func (r Readings) Ignore(types ...string) Readings { return r.declare(Ignored, types) }

func (r Readings) declare(how Reading, types []string) Readings {
	known := EventTypes()
	for _, t := range types {
		if !slices.Contains(known, t) {
			panic(fmt.Sprintf("domain: no event type %q to declare", t))
		}
		if _, dup := r[t]; dup {
			panic(fmt.Sprintf("domain: event type %q declared twice", t))
		}
		r[t] = how
	}
	return r
}

// Of returns the reading of an event type.
func (r Readings) Of(eventType string) Reading { return r[eventType] }

// Undeclared lists the event types of the domain that r does not declare,
// in the order of EventTypes; none when r is complete.
func (r Readings) Undeclared() []string {
	var out []string
	for _, t := range EventTypes() {
		if r[t] == Undeclared {
			out = append(out, t)
		}
	}
	return out
}

// Except returns types without those in leave out, for declaring the rest
// of an aggregate's types after those read one by one.
func Except(types []string, leaveOut ...string) []string {
	return slices.DeleteFunc(slices.Clone(types), func(t string) bool { return slices.Contains(leaveOut, t) })
}
