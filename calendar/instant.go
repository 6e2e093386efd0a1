package calendar

import "time"

// DateOf returns the Europe/London calendar date of the instant t, whatever
// t's own location: 23:30 UTC on 30 June is 1 July in London.
func (c *Calendar) DateOf(t time.Time) Date {
	return dateOfTime(t.In(c.loc))
}

// StartOfDay returns the first instant of d in Europe/London, in UTC.
func (c *Calendar) StartOfDay(d Date) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, c.loc).UTC()
}

// EndOfDay returns the last instant of d in Europe/London (one nanosecond
// before the next local midnight), in UTC: the deadline for something due on
// d. In winter (GMT) that is 23:59:59.999999999Z on d; in summer (BST) it is
// 22:59:59.999999999Z. On the days the clocks change the local day is 23 or
// 25 hours long, which counting from the next midnight handles; London's
// changes happen at 01:00 UTC, so local midnight always exists.
func (c *Calendar) EndOfDay(d Date) time.Time {
	next := d.AddDays(1)
	return time.Date(next.Year, next.Month, next.Day, 0, 0, 0, 0, c.loc).Add(-time.Nanosecond).UTC()
}
