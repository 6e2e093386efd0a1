package calendar

import (
	"errors"
	"strings"
	"sync"
	"testing"
)

func TestNew(t *testing.T) {
	t.Run("ErrUnknownRegion", func(t *testing.T) {
		if _, err := New("wales", nil); !errors.Is(err, ErrUnknownRegion) {
			t.Errorf("err = %v, want ErrUnknownRegion", err)
		}
	})
	t.Run("OK", func(t *testing.T) {
		c := newCal(t, Scotland, nil)
		if c.Region() != Scotland || c.Location().String() != London {
			t.Errorf("Region %s, Location %s", c.Region(), c.Location())
		}
	})
}

func TestHolidaysOutsideCachedYears(t *testing.T) {
	c := newCal(t, EnglandAndWales, nil)
	for _, d := range []string{"1990-12-25", "2150-12-25"} {
		if name, ok := c.IsHoliday(MustParseDate(d)); !ok || name != ChristmasDay {
			t.Errorf("IsHoliday(%s) = %q, %v", d, name, ok)
		}
	}
	if len(c.Holidays(2150)) != 8 {
		t.Errorf("Holidays(2150) = %v", c.Holidays(2150))
	}
}

func TestIsWorkingDay(t *testing.T) {
	c := newCal(t, EnglandAndWales, nil)
	for date, want := range map[string]bool{
		"2024-06-07": true,  // Friday
		"2024-06-08": false, // Saturday
		"2024-06-09": false, // Sunday
		"2024-05-27": false, // Spring bank holiday
		"2025-12-24": true,  // Christmas Eve is not a bank holiday
	} {
		if got := c.IsWorkingDay(MustParseDate(date)); got != want {
			t.Errorf("IsWorkingDay(%s) = %v, want %v", date, got, want)
		}
	}
}

// TestConcurrentUse runs readers in parallel; with -race it shows a Calendar
// is safe to share.
func TestConcurrentUse(t *testing.T) {
	c := newCal(t, NorthernIreland, nil)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			from := MustParseDate("2024-01-01").AddDays(i * 40)
			c.AddWorkingDays(from, 10, true)
			c.Holidays(2024 + i)
			c.WorkingDaysBetween(from, from.AddDays(30))
			c.IsHoliday(MustParseDate("2160-03-17"))
		}()
	}
	wg.Wait()
}

// TestFingerprint: calendars that count working days alike share a
// fingerprint; another region, or published years that move a holiday,
// give another (R-TIME-5: views built under one are rebuilt under the
// other).
func TestFingerprint(t *testing.T) {
	ew := newCal(t, EnglandAndWales, nil)
	if ew.Fingerprint() != newCal(t, EnglandAndWales, nil).Fingerprint() {
		t.Error("two calendars of the same region differ")
	}
	if ew.Fingerprint() == newCal(t, Scotland, nil).Fingerprint() {
		t.Error("England and Wales and Scotland share a fingerprint")
	}
	// A published year with an extra holiday (as a coronation's).
	o, err := LoadGovUK(strings.NewReader(`{"england-and-wales": {"division": "england-and-wales", "events": [
		{"title": "New Year’s Day", "date": "2031-01-01"}, {"title": "Extra", "date": "2031-06-10"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if ew.Fingerprint() == newCal(t, EnglandAndWales, &o).Fingerprint() {
		t.Error("a calendar with a published extra holiday shares the built-in one's fingerprint")
	}
}
