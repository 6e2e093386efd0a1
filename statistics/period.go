package statistics

import "time"

// ParseMonth reads a month written YYYY-MM, and nothing else.
func ParseMonth(s string) (Month, bool) {
	t, err := time.Parse("2006-01", s)
	if err != nil || len(s) != len("2006-01") {
		return Month{}, false
	}
	return MonthOf(t.Year(), t.Month()), true
}

// WholeMonths reports whether reports under r cover whole calendar months
// only, their bounds given as months (R-STAT-5): whenever disclosure
// control is on. Exact reports, not for publication, may take any days.
func (r Rule) WholeMonths() bool { return r.Enabled }

// LastMonth returns the latest month a report under r may cover when today
// falls in the month current. Under disclosure control it is the last
// completed month (R-STAT-5), or current itself where the network lets in
// the month so far (IncludeCurrentMonth); exact reports are not limited
// beyond today, so for them it is current.
func (r Rule) LastMonth(current Month) Month {
	if r.Enabled && !r.IncludeCurrentMonth {
		return MonthOf(current.Year, current.Month-1)
	}
	return current
}

// DefaultMonths returns the period a report covers when none is asked for,
// as its first and last months: the twelve months up to LastMonth.
func (r Rule) DefaultMonths(current Month) (from, to Month) {
	if r.Enabled {
		// The last twelve completed months, even where the month so far may
		// be asked for: a default is what gets published.
		to = MonthOf(current.Year, current.Month-1)
	} else {
		to = current
	}
	return MonthOf(to.Year, to.Month-11), to
}
