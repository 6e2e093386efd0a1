package notify

import "time"

// Clock is the notifier's source of time: when notices are due, when the
// digest runs, how long to back off. Tests pass a clock they move by hand.
type Clock interface {
	Now() time.Time
	// After returns a channel that receives once d has passed (at once
	// for d <= 0).
	After(d time.Duration) <-chan time.Time
}

// systemClock is the real clock.
type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// TimeOfDay is a local time of day in Europe/London, like 07:00.
type TimeOfDay struct {
	Hour, Minute int
}

// on returns the instant of t on the London date (y, m, d). On the day the
// clocks go forward a time in the missing hour comes out an hour later.
func (t TimeOfDay) on(y int, m time.Month, d int, loc *time.Location) time.Time {
	return time.Date(y, m, d, t.Hour, t.Minute, 0, 0, loc)
}
