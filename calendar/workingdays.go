package calendar

// AddWorkingDays returns the n-th working day counted from from.
//
// With countFrom set, from itself is the first working day if it is one
// (R-TIME-1, R-TIME-3: "counting the day the referral was made if it is a
// working day"); a referral made on a Saturday therefore counts from Monday.
// Without it, counting starts the day after from (R-TIME-2: "5 working days
// after the day of acknowledgement"). The result is always a working day when
// n >= 1; for n <= 0 it returns from unchanged.
func (c *Calendar) AddWorkingDays(from Date, n int, countFrom bool) Date {
	if n <= 0 {
		return from
	}
	d := from
	if !countFrom {
		d = d.AddDays(1)
	}
	for {
		if c.IsWorkingDay(d) {
			n--
			if n == 0 {
				return d
			}
		}
		d = d.AddDays(1)
	}
}

// WorkingDaysBetween returns the number of working days after a, up to and
// including b: how many working days overdue something due on a is on b
// (R-VIEW-3), or how many working days it took from a to b (R-STAT-1). It is
// 0 when b is not after a, and WorkingDaysBetween(a, AddWorkingDays(a, n,
// false)) == n for every n >= 0.
func (c *Calendar) WorkingDaysBetween(a, b Date) int {
	n := 0
	for d := a.AddDays(1); !d.After(b); d = d.AddDays(1) {
		if c.IsWorkingDay(d) {
			n++
		}
	}
	return n
}
