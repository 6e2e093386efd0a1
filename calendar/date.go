package calendar

import (
	"cmp"
	"errors"
	"fmt"
	"time"
)

// ErrInvalidDate is returned (wrapped) by ParseDate and Date's text and JSON
// decoders when the input is not a real calendar date written YYYY-MM-DD.
var ErrInvalidDate = errors.New("calendar: invalid date")

// dateLayout is the one textual form of a Date, ISO 8601 calendar date.
const dateLayout = "2006-01-02"

// Date is a civil calendar date with no time of day and no time zone: the
// day a referral was made or a deadline falls on. The zero Date means "no
// date". Compare Dates with Equal, Before and After, or with == when both are
// normalised (every constructor here returns normalised Dates).
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// NewDate returns the date year-month-day, normalising out-of-range values
// the way time.Date does (so NewDate(2024, 12, 32) is 1 January 2025).
func NewDate(year int, month time.Month, day int) Date {
	return dateOfTime(time.Date(year, month, day, 0, 0, 0, 0, time.UTC))
}

// ParseDate parses s written exactly YYYY-MM-DD. It returns an error wrapping
// ErrInvalidDate for any other form or for a day that does not exist.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(dateLayout, s)
	if err != nil || len(s) != len(dateLayout) {
		return Date{}, fmt.Errorf("%w: want YYYY-MM-DD, got %q", ErrInvalidDate, s)
	}
	return dateOfTime(t), nil
}

// MustParseDate is ParseDate for literals known to be valid, in tests and
// tables; it panics on a malformed date.
func MustParseDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func dateOfTime(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// midnightUTC is the date's midnight in UTC, used only for day arithmetic:
// UTC has no daylight saving, so every day in it is exactly 24 hours long.
func (d Date) midnightUTC() time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
}

// String returns the date as YYYY-MM-DD.
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// IsValid reports whether d names a day that exists (so 2023-02-29 is not).
func (d Date) IsValid() bool { return !d.IsZero() && NewDate(d.Year, d.Month, d.Day) == d }

// Compare returns -1 if d is before o, +1 if after and 0 if they are the same day.
func (d Date) Compare(o Date) int {
	if c := cmp.Compare(d.Year, o.Year); c != 0 {
		return c
	}
	if c := cmp.Compare(d.Month, o.Month); c != 0 {
		return c
	}
	return cmp.Compare(d.Day, o.Day)
}

// Before reports whether d is an earlier day than o.
func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }

// After reports whether d is a later day than o.
func (d Date) After(o Date) bool { return d.Compare(o) > 0 }

// Equal reports whether d and o are the same day.
func (d Date) Equal(o Date) bool { return d.Compare(o) == 0 }

// AddDays returns the date n calendar days after d (before it if n < 0).
func (d Date) AddDays(n int) Date {
	return NewDate(d.Year, d.Month, d.Day+n)
}

// DaysSince returns the number of calendar days from o to d: positive when d
// is after o.
func (d Date) DaysSince(o Date) int {
	return int(d.midnightUTC().Sub(o.midnightUTC()) / (24 * time.Hour))
}

// Weekday returns the day of the week d falls on.
func (d Date) Weekday() time.Weekday { return d.midnightUTC().Weekday() }

// IsWeekend reports whether d is a Saturday or a Sunday.
func (d Date) IsWeekend() bool {
	wd := d.Weekday()
	return wd == time.Saturday || wd == time.Sunday
}

// MarshalText encodes d as YYYY-MM-DD, and the zero Date as the empty
// string; JSON therefore carries a Date as "YYYY-MM-DD". It returns an error
// wrapping ErrInvalidDate for a Date that names no real day.
func (d Date) MarshalText() ([]byte, error) {
	if d.IsZero() {
		return []byte{}, nil
	}
	if !d.IsValid() {
		return nil, fmt.Errorf("%w: %d-%d-%d does not exist", ErrInvalidDate, d.Year, int(d.Month), d.Day)
	}
	return []byte(d.String()), nil
}

// UnmarshalText decodes YYYY-MM-DD, and the empty string as the zero Date.
// It returns an error wrapping ErrInvalidDate for anything else.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	parsed, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = parsed
	return nil
}
