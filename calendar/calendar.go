// Package calendar knows UK bank holidays and working days in Europe/London
// time, for the referral timescales (SPEC "Timescales", R-TIME-1..5).
//
// Bank holidays come from the standing rules (with weekend substitutes, and
// the one-off changes made by proclamation since 1995) for any year, and can
// be replaced year by year with gov.uk's published bank-holidays.json via
// LoadGovUK. A working day is Monday to Friday and not a bank holiday of the
// configured region. A deadline is the end of its last working day.
//
// The package uses only the standard library and embeds the time zone
// database (time/tzdata), so it works on machines without zoneinfo.
package calendar

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"
	_ "time/tzdata" // Europe/London must load even where the OS has no zoneinfo.
)

// London is the IANA name of the time zone every date is reckoned in.
const London = "Europe/London"

// cachedFrom and cachedTo bound the years New computes up front; years
// outside them are computed on each call.
const (
	cachedFrom = 1995
	cachedTo   = 2100
)

// Calendar answers working-day questions for one region. It is immutable
// after New returns it and safe for concurrent use.
type Calendar struct {
	region    Region
	loc       *time.Location
	overrides map[int][]Holiday // this region's published years
	byYear    map[int][]Holiday // cachedFrom..cachedTo and every overridden year
	byDate    map[Date]string   // the same holidays by date
}

// New returns the calendar of region, with overrides (which may be nil)
// replacing the built-in holidays of each year they cover. It returns an
// error wrapping ErrUnknownRegion for an invalid region, or an error if
// Europe/London cannot be loaded.
func New(region Region, overrides *Overrides) (*Calendar, error) {
	if !region.Valid() {
		return nil, fmt.Errorf("%w: %q", ErrUnknownRegion, string(region))
	}
	loc, err := time.LoadLocation(London)
	if err != nil {
		return nil, fmt.Errorf("calendar: load %s: %w", London, err)
	}
	c := &Calendar{region: region, loc: loc, byYear: map[int][]Holiday{}, byDate: map[Date]string{}}
	if overrides != nil {
		c.overrides = overrides.years[region]
	}
	years := make([]int, 0, cachedTo-cachedFrom+1+len(c.overrides))
	for y := cachedFrom; y <= cachedTo; y++ {
		years = append(years, y)
	}
	for y := range c.overrides {
		years = append(years, y)
	}
	for _, y := range years {
		hols := c.compute(y)
		c.byYear[y] = hols
		for _, h := range hols {
			c.byDate[h.Date] = h.Name
		}
	}
	return c, nil
}

// compute returns year's holidays from the overrides if they cover it, else
// from the rules.
func (c *Calendar) compute(year int) []Holiday {
	if hols, ok := c.overrides[year]; ok {
		return hols
	}
	return ruleHolidays(c.region, year)
}

// Region returns the region the calendar was made for.
func (c *Calendar) Region() Region { return c.region }

// Location returns Europe/London, the zone dates are reckoned in.
func (c *Calendar) Location() *time.Location { return c.loc }

// Holidays returns the bank holidays observed in year, sorted by date. The
// slice is the caller's to keep or change.
func (c *Calendar) Holidays(year int) []Holiday {
	if hols, ok := c.byYear[year]; ok {
		return slices.Clone(hols)
	}
	return c.compute(year)
}

// IsHoliday reports whether d is a bank holiday, and if so its name.
func (c *Calendar) IsHoliday(d Date) (name string, ok bool) {
	if _, cached := c.byYear[d.Year]; cached {
		name, ok = c.byDate[d]
		return name, ok
	}
	for _, h := range c.compute(d.Year) {
		if h.Date == d {
			return h.Name, true
		}
	}
	return "", false
}

// IsWorkingDay reports whether d is Monday to Friday and not a bank holiday.
func (c *Calendar) IsWorkingDay(d Date) bool {
	if d.IsWeekend() {
		return false
	}
	_, hol := c.IsHoliday(d)
	return !hol
}

// Fingerprint identifies the working days the calendar reckons with: its
// region and every bank holiday it knows (the standing rules' years and
// every published year loaded), by date. Two calendars with the same
// fingerprint count working days alike; deadlines worked out under one
// are stale under a calendar with another (a newly announced holiday, a
// region changed), and views holding them are rebuilt.
func (c *Calendar) Fingerprint() string {
	dates := make([]Date, 0, len(c.byDate))
	for d := range c.byDate {
		dates = append(dates, d)
	}
	slices.SortFunc(dates, func(a, b Date) int { return a.Compare(b) })
	h := sha256.New()
	h.Write([]byte(c.region))
	for _, d := range dates {
		fmt.Fprintf(h, "\x00%s", d)
	}
	return hex.EncodeToString(h.Sum(nil))
}
