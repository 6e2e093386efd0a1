package calendar

import "time"

// oneOff is a change made by royal proclamation for one year: either a rule
// holiday moved or renamed (replaces names it), or an extra holiday added
// (replaces is empty). Every change so far applied to all three regions.
type oneOff struct {
	replaces string
	holiday  Holiday
}

// oneOffs returns the one-off changes for year. It is a function, not a
// package variable, so no caller can alter the table.
//
// Sources: 2012 onwards are checked against gov.uk's bank-holidays.json (see
// testdata/README.md). The earlier ones predate that file and are taken from
// the proclamations as recorded in public holiday libraries; they matter
// only for historical dates.
func oneOffs(year int) []oneOff {
	d := func(m time.Month, day int) Date { return NewDate(year, m, day) }
	switch year {
	case 1995: // 50th anniversary of VE Day: early May holiday moved from 1 to 8 May.
		return []oneOff{{EarlyMayBankHoliday, Holiday{d(time.May, 8), "Early May bank holiday (VE day)"}}}
	case 1999:
		return []oneOff{{"", Holiday{d(time.December, 31), "Millennium celebrations"}}}
	case 2002: // Golden Jubilee: spring holiday moved to Tuesday 4 June, extra on Monday 3 June.
		return []oneOff{
			{SpringBankHoliday, Holiday{d(time.June, 4), SpringBankHoliday}},
			{"", Holiday{d(time.June, 3), "Queen’s Golden Jubilee"}},
		}
	case 2011:
		return []oneOff{{"", Holiday{d(time.April, 29), "Royal wedding"}}}
	case 2012: // Diamond Jubilee: spring holiday moved to Monday 4 June, extra on Tuesday 5 June.
		return []oneOff{
			{SpringBankHoliday, Holiday{d(time.June, 4), SpringBankHoliday}},
			{"", Holiday{d(time.June, 5), "Queen’s Diamond Jubilee"}},
		}
	case 2020: // 75th anniversary of VE Day: early May holiday moved to Friday 8 May.
		return []oneOff{{EarlyMayBankHoliday, Holiday{d(time.May, 8), "Early May bank holiday (VE day)"}}}
	case 2022: // Platinum Jubilee: spring holiday moved to Thursday 2 June, extra on Friday 3 June.
		return []oneOff{
			{SpringBankHoliday, Holiday{d(time.June, 2), SpringBankHoliday}},
			{"", Holiday{d(time.June, 3), "Platinum Jubilee bank holiday"}},
			{"", Holiday{d(time.September, 19), "Bank Holiday for the State Funeral of Queen Elizabeth II"}},
		}
	case 2023:
		return []oneOff{{"", Holiday{d(time.May, 8), "Bank holiday for the coronation of King Charles III"}}}
	}
	return nil
}

// applyOneOffs returns hols with year's one-off changes made. It works on a
// copy, and is applied before weekend substitutes are placed so that a
// substitute never lands on a moved or extra holiday.
func applyOneOffs(year int, hols []Holiday) []Holiday {
	out := append([]Holiday(nil), hols...)
	for _, c := range oneOffs(year) {
		if c.replaces == "" {
			out = append(out, c.holiday)
			continue
		}
		for i := range out {
			if out[i].Name == c.replaces {
				out[i] = c.holiday
			}
		}
	}
	return out
}
