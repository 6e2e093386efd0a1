package calendar

import (
	"slices"
	"strings"
	"time"
)

// Holiday is one bank holiday: the day it is observed (a substitute day when
// the nominal date falls at a weekend) and its gov.uk title.
type Holiday struct {
	Date Date   `json:"date"`
	Name string `json:"name"`
}

// The holiday titles, spelt as gov.uk's bank-holidays.json spells them
// (typographic apostrophes included) so rule-made and published lists match.
const (
	NewYearsDay         = "New Year’s Day"
	SecondJanuary       = "2nd January"
	StPatricksDay       = "St Patrick’s Day"
	GoodFriday          = "Good Friday"
	EasterMonday        = "Easter Monday"
	EarlyMayBankHoliday = "Early May bank holiday"
	SpringBankHoliday   = "Spring bank holiday"
	BattleOfTheBoyne    = "Battle of the Boyne (Orangemen’s Day)"
	SummerBankHoliday   = "Summer bank holiday"
	StAndrewsDay        = "St Andrew’s Day"
	ChristmasDay        = "Christmas Day"
	BoxingDay           = "Boxing Day"
)

// stAndrewsFirstYear is the first year St Andrew's Day was a bank holiday,
// under the St Andrew's Day Bank Holiday (Scotland) Act 2007.
const stAndrewsFirstYear = 2007

// Easter returns Easter Sunday of year in the Gregorian calendar, by the
// anonymous Gregorian (Meeus/Jones/Butcher) algorithm.
func Easter(year int) Date {
	a := year % 19
	b, c := year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return Date{Year: year, Month: time.Month(month), Day: day}
}

// firstMonday returns the first Monday of the month.
func firstMonday(year int, month time.Month) Date {
	d := NewDate(year, month, 1)
	return d.AddDays((int(time.Monday) - int(d.Weekday()) + 7) % 7)
}

// lastMonday returns the last Monday of the month.
func lastMonday(year int, month time.Month) Date {
	d := NewDate(year, month+1, 0) // day 0 of next month is this month's last day
	return d.AddDays(-((int(d.Weekday()) - int(time.Monday) + 7) % 7))
}

// ruleHolidays returns the bank holidays of region in year from the standing
// rules plus the one-off changes in oneOffs, sorted by date.
func ruleHolidays(region Region, year int) []Holiday {
	easter := Easter(year)
	// Movable holidays always fall on a weekday.
	movable := []Holiday{
		{easter.AddDays(-2), GoodFriday},
		{firstMonday(year, time.May), EarlyMayBankHoliday},
		{lastMonday(year, time.May), SpringBankHoliday},
	}
	// Fixed-date holidays, in date order; weekend ones get substitutes below.
	fixed := []Holiday{{NewDate(year, time.January, 1), NewYearsDay}}
	switch region {
	case Scotland:
		movable = append(movable, Holiday{firstMonday(year, time.August), SummerBankHoliday})
		fixed = append(fixed, Holiday{NewDate(year, time.January, 2), SecondJanuary})
		if year >= stAndrewsFirstYear {
			fixed = append(fixed, Holiday{NewDate(year, time.November, 30), StAndrewsDay})
		}
	case NorthernIreland:
		movable = append(movable, Holiday{easter.AddDays(1), EasterMonday},
			Holiday{lastMonday(year, time.August), SummerBankHoliday})
		fixed = append(fixed, Holiday{NewDate(year, time.March, 17), StPatricksDay},
			Holiday{NewDate(year, time.July, 12), BattleOfTheBoyne})
	default:
		movable = append(movable, Holiday{easter.AddDays(1), EasterMonday},
			Holiday{lastMonday(year, time.August), SummerBankHoliday})
	}
	fixed = append(fixed, Holiday{NewDate(year, time.December, 25), ChristmasDay},
		Holiday{NewDate(year, time.December, 26), BoxingDay})

	hols := applyOneOffs(year, movable)
	hols = append(hols, substitute(fixed, hols)...)
	sortHolidays(hols)
	return hols
}

// substitute places the fixed-date holidays. One that falls on a weekday
// keeps its date; one that falls at a weekend moves to the next weekday that
// is not already a holiday, taking the weekend ones in date order. This is
// gov.uk's convention: Christmas on a Sunday gives Boxing Day on Monday 26 and
// Christmas on Tuesday 27; Christmas on a Saturday gives Monday 27 and Tuesday
// 28; in Scotland, 1 January on a Saturday gives Monday 3 and Tuesday 4.
func substitute(fixed, taken []Holiday) []Holiday {
	used := make(map[Date]bool, len(fixed)+len(taken))
	for _, h := range taken {
		used[h.Date] = true
	}
	out := make([]Holiday, 0, len(fixed))
	for _, h := range fixed {
		if !h.Date.IsWeekend() {
			used[h.Date] = true
			out = append(out, h)
		}
	}
	for _, h := range fixed {
		if !h.Date.IsWeekend() {
			continue
		}
		d := h.Date.AddDays(1)
		for d.IsWeekend() || used[d] {
			d = d.AddDays(1)
		}
		used[d] = true
		out = append(out, Holiday{Date: d, Name: h.Name})
	}
	return out
}

// sortHolidays sorts by date, then by name so the order is total.
func sortHolidays(hols []Holiday) {
	slices.SortFunc(hols, func(a, b Holiday) int {
		if c := a.Date.Compare(b.Date); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
}
