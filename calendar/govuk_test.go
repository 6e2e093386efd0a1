package calendar

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// companyFile overrides 2024 for England and Wales only, with a list that
// drops Christmas and adds a made-up day, so replacement is visible.
const companyFile = `{
  "england-and-wales": {"division": "england-and-wales", "events": [
    {"title": "Company day", "date": "2024-07-01", "notes": "", "bunting": false},
    {"title": "New Year’s Day", "date": "2024-01-01", "notes": "", "bunting": true}
  ]},
  "scotland": {"division": "scotland", "events": []}
}`

func TestLoadGovUKReplacesYear(t *testing.T) {
	o, err := LoadGovUK(strings.NewReader(companyFile))
	if err != nil {
		t.Fatal(err)
	}
	if got := o.Years(EnglandAndWales); !slices.Equal(got, []int{2024}) {
		t.Fatalf("Years = %v, want [2024]", got)
	}
	c := newCal(t, EnglandAndWales, &o)
	rules := newCal(t, EnglandAndWales, nil)

	t.Run("FileYearIsTheFile", func(t *testing.T) {
		want := []Holiday{{MustParseDate("2024-01-01"), NewYearsDay}, {MustParseDate("2024-07-01"), "Company day"}}
		if got := c.Holidays(2024); !slices.Equal(got, want) {
			t.Errorf("Holidays(2024) = %v, want %v", got, want)
		}
		if c.IsWorkingDay(MustParseDate("2024-07-01")) || !c.IsWorkingDay(MustParseDate("2024-12-25")) {
			t.Errorf("2024 working days do not follow the file")
		}
	})
	t.Run("OtherYearsKeepRules", func(t *testing.T) {
		for _, y := range []int{2023, 2025, 2150} {
			if got, want := c.Holidays(y), rules.Holidays(y); !slices.Equal(got, want) {
				t.Errorf("Holidays(%d) = %v, want rules %v", y, got, want)
			}
		}
	})
	t.Run("OtherRegionsKeepRules", func(t *testing.T) {
		ni := newCal(t, NorthernIreland, &o)
		if _, ok := ni.IsHoliday(MustParseDate("2024-12-25")); !ok {
			t.Errorf("Northern Ireland lost Christmas to an England and Wales override")
		}
	})
	t.Run("EmptyEventsListStillCoversNothing", func(t *testing.T) {
		// A division with no events lists no year, so every year keeps the rules.
		sc := newCal(t, Scotland, &o)
		if _, ok := sc.IsHoliday(MustParseDate("2024-01-02")); !ok {
			t.Errorf("Scotland 2 January 2024 missing")
		}
	})
	t.Run("HolidaysReturnsACopy", func(t *testing.T) {
		h, _ := o.Holidays(EnglandAndWales, 2024)
		h[0].Name = "changed"
		c.Holidays(2024)[0].Name = "changed"
		if h2, _ := o.Holidays(EnglandAndWales, 2024); h2[0].Name != NewYearsDay || c.Holidays(2024)[0].Name != NewYearsDay {
			t.Errorf("caller could change stored holidays")
		}
	})
}

func TestLoadGovUKOverrideOutsideCachedYears(t *testing.T) {
	o, err := LoadGovUK(strings.NewReader(`{"scotland":{"division":"scotland","events":[{"title":"Far future","date":"2150-06-01"}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	c := newCal(t, Scotland, &o)
	if name, ok := c.IsHoliday(MustParseDate("2150-06-01")); !ok || name != "Far future" {
		t.Errorf("IsHoliday(2150-06-01) = %q, %v", name, ok)
	}
	if _, ok := c.IsHoliday(MustParseDate("2150-01-01")); ok {
		t.Errorf("2150 should be replaced whole by the file")
	}
}

func TestLoadGovUKErrors(t *testing.T) {
	tests := []struct{ name, in string }{
		{"ErrNotJSON", `not json`},
		{"ErrTrailingData", `{} {}`},
		{"ErrUnknownDivision", `{"wales":{"division":"wales","events":[]}}`},
		{"ErrDivisionMismatch", `{"scotland":{"division":"england-and-wales","events":[]}}`},
		{"ErrBadDate", `{"scotland":{"events":[{"title":"x","date":"2024-02-30"}]}}`},
		{"ErrNoTitle", `{"scotland":{"events":[{"title":"","date":"2024-01-01"}]}}`},
		{"ErrRepeatedDate", `{"scotland":{"events":[{"title":"a","date":"2024-01-01"},{"title":"b","date":"2024-01-01"}]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadGovUK(strings.NewReader(tt.in))
			if !errors.Is(err, ErrInvalidOverrides) {
				t.Errorf("err = %v, want ErrInvalidOverrides", err)
			}
		})
	}
}
