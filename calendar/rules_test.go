package calendar

import (
	"fmt"
	"os"
	"slices"
	"testing"
	"time"
)

// publishedFixture is gov.uk's bank-holidays.json for 2012–2027 (see
// testdata/README.md for where it came from).
const publishedFixture = "testdata/bank-holidays-2012-2027.json"

func loadFixture(tb testing.TB) Overrides {
	tb.Helper()
	f, err := os.Open(publishedFixture)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	o, err := LoadGovUK(f)
	if err != nil {
		tb.Fatalf("LoadGovUK(%s): %v", publishedFixture, err)
	}
	return o
}

func newCal(tb testing.TB, r Region, o *Overrides) *Calendar {
	tb.Helper()
	c, err := New(r, o)
	if err != nil {
		tb.Fatalf("New(%s): %v", r, err)
	}
	return c
}

// labelQuirks are published years whose dates the rules match but whose
// titles gov.uk assigned differently from its other years (testdata/README.md).
var labelQuirks = map[Region]map[int]bool{Scotland: {2023: true}}

// TestRulesMatchPublished checks the built-in rules and one-off changes
// against every year gov.uk published for every region, 2012–2027 (R-TIME:
// working days are Monday–Friday less the region's bank holidays).
func TestRulesMatchPublished(t *testing.T) {
	published := loadFixture(t)
	for _, r := range Regions() {
		rules := newCal(t, r, nil)
		years := published.Years(r)
		if len(years) != 16 || years[0] != 2012 || years[15] != 2027 {
			t.Fatalf("%s: fixture covers %v, want 2012..2027", r, years)
		}
		for _, y := range years {
			t.Run(fmt.Sprintf("%s/%d", r, y), func(t *testing.T) {
				want, _ := published.Holidays(r, y)
				got := rules.Holidays(y)
				if labelQuirks[r][y] {
					got, want = datesOnly(got), datesOnly(want)
				}
				if !slices.Equal(got, want) {
					t.Errorf("rules:\n%v\npublished:\n%v", got, want)
				}
			})
		}
	}
}

func datesOnly(hols []Holiday) []Holiday {
	out := make([]Holiday, len(hols))
	for i, h := range hols {
		out[i] = Holiday{Date: h.Date}
	}
	return out
}

// TestRulesBeyondPublished checks years gov.uk has not published yet against
// hand-worked dates (weekdays checked independently).
func TestRulesBeyondPublished(t *testing.T) {
	tests := []struct {
		region Region
		year   int
		want   []string
	}{
		{EnglandAndWales, 2028, []string{"2028-01-03", "2028-04-14", "2028-04-17", "2028-05-01", "2028-05-29", "2028-08-28", "2028-12-25", "2028-12-26"}},
		{EnglandAndWales, 2029, []string{"2029-01-01", "2029-03-30", "2029-04-02", "2029-05-07", "2029-05-28", "2029-08-27", "2029-12-25", "2029-12-26"}},
		{EnglandAndWales, 2030, []string{"2030-01-01", "2030-04-19", "2030-04-22", "2030-05-06", "2030-05-27", "2030-08-26", "2030-12-25", "2030-12-26"}},
		{Scotland, 2028, []string{"2028-01-03", "2028-01-04", "2028-04-14", "2028-05-01", "2028-05-29", "2028-08-07", "2028-11-30", "2028-12-25", "2028-12-26"}},
		{Scotland, 2029, []string{"2029-01-01", "2029-01-02", "2029-03-30", "2029-05-07", "2029-05-28", "2029-08-06", "2029-11-30", "2029-12-25", "2029-12-26"}},
		{Scotland, 2030, []string{"2030-01-01", "2030-01-02", "2030-04-19", "2030-05-06", "2030-05-27", "2030-08-05", "2030-12-02", "2030-12-25", "2030-12-26"}},
		{NorthernIreland, 2028, []string{"2028-01-03", "2028-03-17", "2028-04-14", "2028-04-17", "2028-05-01", "2028-05-29", "2028-07-12", "2028-08-28", "2028-12-25", "2028-12-26"}},
		{NorthernIreland, 2029, []string{"2029-01-01", "2029-03-19", "2029-03-30", "2029-04-02", "2029-05-07", "2029-05-28", "2029-07-12", "2029-08-27", "2029-12-25", "2029-12-26"}},
		{NorthernIreland, 2030, []string{"2030-01-01", "2030-03-18", "2030-04-19", "2030-04-22", "2030-05-06", "2030-05-27", "2030-07-12", "2030-08-26", "2030-12-25", "2030-12-26"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d", tt.region, tt.year), func(t *testing.T) {
			var got []string
			for _, h := range newCal(t, tt.region, nil).Holidays(tt.year) {
				got = append(got, h.Date.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
}

// TestSubstituteDays pins the weekend-substitute convention case by case.
func TestSubstituteDays(t *testing.T) {
	tests := []struct {
		name   string
		region Region
		date   string
		want   string // holiday name, "" for a working day
	}{
		{"Christmas2021Sat/ChristmasMon27", EnglandAndWales, "2021-12-27", ChristmasDay},
		{"Christmas2021Sat/BoxingTue28", EnglandAndWales, "2021-12-28", BoxingDay},
		{"Christmas2022Sun/BoxingMon26", EnglandAndWales, "2022-12-26", BoxingDay},
		{"Christmas2022Sun/ChristmasTue27", EnglandAndWales, "2022-12-27", ChristmasDay},
		{"Boxing2020Sat/Mon28", EnglandAndWales, "2020-12-28", BoxingDay},
		{"NewYear2022Sat/Mon3", EnglandAndWales, "2022-01-03", NewYearsDay},
		{"NewYear2022Sat/Tue4IsWorkingInEngland", EnglandAndWales, "2022-01-04", ""},
		{"Scotland2Jan2022/NewYearMon3", Scotland, "2022-01-03", NewYearsDay},
		{"Scotland2Jan2022/SecondJanTue4", Scotland, "2022-01-04", SecondJanuary},
		{"Scotland2Jan2021Sat/Mon4", Scotland, "2021-01-04", SecondJanuary},
		{"Scotland1Jan2017Sun/SecondJanMon2", Scotland, "2017-01-02", SecondJanuary},
		{"Scotland1Jan2017Sun/NewYearTue3", Scotland, "2017-01-03", NewYearsDay},
		{"StAndrews2025Sun/Mon1Dec", Scotland, "2025-12-01", StAndrewsDay},
		{"StAndrews2024Sat/Mon2Dec", Scotland, "2024-12-02", StAndrewsDay},
		{"StAndrewsNotInEngland", EnglandAndWales, "2026-11-30", ""},
		{"StAndrewsBefore2007", Scotland, "2006-11-30", ""},
		{"Boyne2025Sat/Mon14", NorthernIreland, "2025-07-14", BattleOfTheBoyne},
		{"Boyne2026Sun/Mon13", NorthernIreland, "2026-07-13", BattleOfTheBoyne},
		{"StPatricks2024Sun/Mon18", NorthernIreland, "2024-03-18", StPatricksDay},
		{"StPatricksNotInScotland", Scotland, "2026-03-17", ""},
		{"NoEasterMondayInScotland", Scotland, "2026-04-06", ""},
		{"ScottishSummerFirstMonday", Scotland, "2026-08-03", SummerBankHoliday},
		{"ScottishSummerNotLastMonday", Scotland, "2026-08-31", ""},
	}
	cals := map[Region]*Calendar{}
	for _, r := range Regions() {
		cals[r] = newCal(t, r, nil)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := cals[tt.region].IsHoliday(MustParseDate(tt.date))
			if got != tt.want {
				t.Errorf("IsHoliday(%s) in %s = %q, want %q", tt.date, tt.region, got, tt.want)
			}
		})
	}
}

// TestOneOffsBefore2012 checks the one-off changes older than gov.uk's data.
func TestOneOffsBefore2012(t *testing.T) {
	c := newCal(t, EnglandAndWales, nil)
	tests := []struct{ date, want string }{
		{"1995-05-08", "Early May bank holiday (VE day)"},
		{"1995-05-01", ""},
		{"1999-12-31", "Millennium celebrations"},
		{"2002-06-03", "Queen’s Golden Jubilee"},
		{"2002-06-04", SpringBankHoliday},
		{"2002-05-27", ""},
		{"2011-04-29", "Royal wedding"},
	}
	for _, tt := range tests {
		t.Run(tt.date, func(t *testing.T) {
			if got, _ := c.IsHoliday(MustParseDate(tt.date)); got != tt.want {
				t.Errorf("IsHoliday(%s) = %q, want %q", tt.date, got, tt.want)
			}
		})
	}
}

func TestEaster(t *testing.T) {
	tests := []struct {
		year int
		want string
	}{
		{1995, "1995-04-16"}, {2000, "2000-04-23"}, {2008, "2008-03-23"}, {2011, "2011-04-24"},
		{2019, "2019-04-21"}, {2024, "2024-03-31"}, {2025, "2025-04-20"}, {2030, "2030-04-21"},
		{2038, "2038-04-25"}, {2100, "2100-03-28"}, {2285, "2285-03-22"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.year), func(t *testing.T) {
			got := Easter(tt.year)
			if got.String() != tt.want || got.Weekday() != time.Sunday {
				t.Errorf("Easter(%d) = %s (%s), want Sunday %s", tt.year, got, got.Weekday(), tt.want)
			}
		})
	}
}

// TestHolidaysAreWeekdays checks every rule-made holiday, 1995–2100, is a
// distinct weekday in its own year: substitutes never collide or land at a
// weekend.
func TestHolidaysAreWeekdays(t *testing.T) {
	for _, r := range Regions() {
		c := newCal(t, r, nil)
		for y := 1995; y <= 2100; y++ {
			hols := c.Holidays(y)
			for i, h := range hols {
				if h.Date.IsWeekend() || h.Date.Year != y || (i > 0 && !hols[i-1].Date.Before(h.Date)) {
					t.Errorf("%s %d: bad holiday %v in %v", r, y, h, hols)
				}
			}
		}
	}
}
