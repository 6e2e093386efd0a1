package calendar

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
)

// ErrInvalidOverrides is returned (wrapped) by LoadGovUK when the file is not
// a well-formed gov.uk bank-holidays.json.
var ErrInvalidOverrides = errors.New("calendar: invalid bank-holidays file")

// maxGovUKBytes bounds what LoadGovUK reads; gov.uk's file is about 30 KB.
const maxGovUKBytes = 4 << 20

// Overrides holds published bank-holiday lists that take the place of the
// built-in rules: for each region and each year the file lists, the file's
// holidays are that year's holidays, and every other year keeps the rules.
// The zero Overrides overrides nothing. An Overrides is never modified after
// LoadGovUK returns it, so it is safe to share.
type Overrides struct {
	years map[Region]map[int][]Holiday
}

// govUKFile is the shape of https://www.gov.uk/bank-holidays.json.
type govUKFile map[string]struct {
	Division string `json:"division"`
	Events   []struct {
		Title   string `json:"title"`
		Date    string `json:"date"`
		Notes   string `json:"notes"`
		Bunting bool   `json:"bunting"`
	} `json:"events"`
}

// LoadGovUK parses r in the format of gov.uk's bank-holidays.json:
//
//	{"england-and-wales": {"division": "england-and-wales",
//	  "events": [{"title": "New Year’s Day", "date": "2024-01-01", "notes": "", "bunting": true}, …]},
//	 "scotland": {…}, "northern-ireland": {…}}
//
// A region may be missing (it keeps the rules for every year). It returns an
// error wrapping ErrInvalidOverrides for malformed JSON, an unknown division,
// a division field that disagrees with its key, a bad or repeated date, or
// an empty title.
func LoadGovUK(r io.Reader) (Overrides, error) {
	var file govUKFile
	dec := json.NewDecoder(io.LimitReader(r, maxGovUKBytes))
	if err := dec.Decode(&file); err != nil {
		return Overrides{}, fmt.Errorf("%w: %v", ErrInvalidOverrides, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Overrides{}, fmt.Errorf("%w: unexpected data after the JSON object", ErrInvalidOverrides)
	}
	o := Overrides{years: make(map[Region]map[int][]Holiday, len(file))}
	for key, div := range file {
		region := Region(key)
		if !region.Valid() {
			return Overrides{}, fmt.Errorf("%w: %w: %q", ErrInvalidOverrides, ErrUnknownRegion, key)
		}
		if div.Division != "" && div.Division != key {
			return Overrides{}, fmt.Errorf("%w: division %q listed under %q", ErrInvalidOverrides, div.Division, key)
		}
		years := make(map[int][]Holiday)
		seen := make(map[Date]bool, len(div.Events))
		for i, ev := range div.Events {
			d, err := ParseDate(ev.Date)
			if err != nil {
				return Overrides{}, fmt.Errorf("%w: %s event %d: %w", ErrInvalidOverrides, key, i, err)
			}
			if ev.Title == "" {
				return Overrides{}, fmt.Errorf("%w: %s event %d (%s) has no title", ErrInvalidOverrides, key, i, d)
			}
			if seen[d] {
				return Overrides{}, fmt.Errorf("%w: %s lists %s twice", ErrInvalidOverrides, key, d)
			}
			seen[d] = true
			years[d.Year] = append(years[d.Year], Holiday{Date: d, Name: ev.Title})
		}
		for _, hols := range years {
			sortHolidays(hols)
		}
		o.years[region] = years
	}
	return o, nil
}

// Years returns the years the overrides cover for region, in order.
func (o Overrides) Years(region Region) []int {
	years := make([]int, 0, len(o.years[region]))
	for y := range o.years[region] {
		years = append(years, y)
	}
	slices.Sort(years)
	return years
}

// Holidays returns a copy of the published holidays of region in year, and
// whether the overrides cover that year at all.
func (o Overrides) Holidays(region Region, year int) ([]Holiday, bool) {
	hols, ok := o.years[region][year]
	return slices.Clone(hols), ok
}
