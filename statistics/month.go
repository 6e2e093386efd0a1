package statistics

import (
	"fmt"
	"time"
)

// Month is a calendar month, the period of one row of statistics. The zero
// Month means "all months" in an aggregate row.
type Month struct {
	Year  int
	Month time.Month
}

// MonthOf returns the month of a civil date's year and month.
func MonthOf(year int, month time.Month) Month {
	t := time.Date(year, month, 1, 0, 0, 0, 0, time.UTC)
	return Month{Year: t.Year(), Month: t.Month()}
}

// String writes the month as YYYY-MM, and the zero Month as "".
func (m Month) String() string {
	if m.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d", m.Year, int(m.Month))
}

// IsZero reports whether m is the zero Month.
func (m Month) IsZero() bool { return m == Month{} }

// Next returns the month after m.
func (m Month) Next() Month { return MonthOf(m.Year, m.Month+1) }

// Before reports whether m is earlier than o.
func (m Month) Before(o Month) bool {
	return m.Year < o.Year || (m.Year == o.Year && m.Month < o.Month)
}

// MonthsBetween lists the months from from to to, both included; none
// when to is before from.
func MonthsBetween(from, to Month) []Month {
	var out []Month
	for m := from; !to.Before(m); m = m.Next() {
		out = append(out, m)
	}
	return out
}
