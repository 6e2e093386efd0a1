package calendar

import (
	"fmt"
	"testing"
)

func TestAddWorkingDays(t *testing.T) {
	tests := []struct {
		name      string
		region    Region
		from      string
		n         int
		countFrom bool
		want      string
	}{
		// R-TIME-1: acknowledge within 3 working days, counting the day made if a working day.
		{"RTIME1/MondayCountsItself", EnglandAndWales, "2024-06-03", 3, true, "2024-06-05"},
		{"RTIME1/FridayAcrossWeekend", EnglandAndWales, "2024-06-07", 3, true, "2024-06-11"},
		{"RTIME1/SaturdayCountsFromMonday", EnglandAndWales, "2024-06-08", 3, true, "2024-06-12"},
		{"RTIME1/SundayCountsFromMonday", EnglandAndWales, "2024-06-09", 3, true, "2024-06-12"},
		{"RTIME1/SpringBankHoliday", EnglandAndWales, "2024-05-24", 3, true, "2024-05-29"},
		{"RTIME1/AcrossEaster", EnglandAndWales, "2024-03-28", 3, true, "2024-04-03"},
		{"RTIME1/MadeOnGoodFriday", EnglandAndWales, "2024-03-29", 3, true, "2024-04-04"},
		{"RTIME1/Christmas2024", EnglandAndWales, "2024-12-23", 3, true, "2024-12-27"},
		{"RTIME1/Christmas2021Substitutes", EnglandAndWales, "2021-12-24", 3, true, "2021-12-30"},
		{"RTIME1/ScotlandHasNoEasterMonday", Scotland, "2024-03-28", 3, true, "2024-04-02"},
		// R-TIME-2: close within 5 working days after the day of acknowledgement.
		{"RTIME2/Midweek", EnglandAndWales, "2024-06-05", 5, false, "2024-06-12"},
		{"RTIME2/AcrossChristmas", EnglandAndWales, "2024-12-20", 5, false, "2024-12-31"},
		{"RTIME2/FromSaturday", EnglandAndWales, "2024-06-08", 5, false, "2024-06-14"},
		{"RTIME2/FromBankHoliday", EnglandAndWales, "2024-05-27", 5, false, "2024-06-03"},
		// R-TIME-3: urgent, 2 working days counting the day made.
		{"RTIME3/UrgentBeforeEaster", EnglandAndWales, "2025-04-17", 2, true, "2025-04-22"},
		{"RTIME3/UrgentBeforeEasterScotland", Scotland, "2025-04-17", 2, true, "2025-04-21"},
		{"RTIME3/NewYear2022England", EnglandAndWales, "2021-12-31", 2, true, "2022-01-04"},
		{"RTIME3/NewYear2022Scotland", Scotland, "2021-12-31", 2, true, "2022-01-05"},
		{"RTIME3/Boyne2025NorthernIreland", NorthernIreland, "2025-07-11", 2, true, "2025-07-15"},
		{"ZeroIsFrom", EnglandAndWales, "2024-06-08", 0, true, "2024-06-08"},
	}
	cals := map[Region]*Calendar{}
	for _, r := range Regions() {
		cals[r] = newCal(t, r, nil)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cals[tt.region].AddWorkingDays(MustParseDate(tt.from), tt.n, tt.countFrom)
			if got.String() != tt.want {
				t.Errorf("AddWorkingDays(%s, %d, %v) = %s (%s), want %s", tt.from, tt.n, tt.countFrom, got, got.Weekday(), tt.want)
			}
		})
	}
}

func TestWorkingDaysBetween(t *testing.T) {
	tests := []struct {
		name   string
		region Region
		a, b   string
		want   int
	}{
		{"FiveAfterAcknowledgement", EnglandAndWales, "2024-06-05", "2024-06-12", 5},
		{"SameDay", EnglandAndWales, "2024-06-05", "2024-06-05", 0},
		{"BIsEarlier", EnglandAndWales, "2024-06-12", "2024-06-05", 0},
		{"FridayToSaturday", EnglandAndWales, "2024-06-07", "2024-06-08", 0},
		{"FridayToMonday", EnglandAndWales, "2024-06-07", "2024-06-10", 1},
		{"AcrossChristmas", EnglandAndWales, "2024-12-20", "2024-12-31", 5},
		// 2024 has 262 weekdays; less 8, 9 and 10 bank holidays.
		{"Year2024England", EnglandAndWales, "2023-12-31", "2024-12-31", 254},
		{"Year2024Scotland", Scotland, "2023-12-31", "2024-12-31", 253},
		{"Year2024NorthernIreland", NorthernIreland, "2023-12-31", "2024-12-31", 252},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCal(t, tt.region, nil)
			if got := c.WorkingDaysBetween(MustParseDate(tt.a), MustParseDate(tt.b)); got != tt.want {
				t.Errorf("WorkingDaysBetween(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

// TestWorkingDayProperties checks, for every day 2019–2028 in every region,
// that AddWorkingDays lands on a working day n working days on.
func TestWorkingDayProperties(t *testing.T) {
	for _, r := range Regions() {
		t.Run(string(r), func(t *testing.T) {
			c := newCal(t, r, nil)
			for d := MustParseDate("2019-01-01"); d.Year < 2029; d = d.AddDays(1) {
				for _, n := range []int{1, 2, 3, 5, 8} {
					checkAddWorkingDays(t, c, d, n)
				}
			}
		})
	}
}

func checkAddWorkingDays(tb testing.TB, c *Calendar, from Date, n int) {
	tb.Helper()
	after := c.AddWorkingDays(from, n, false)
	counting := c.AddWorkingDays(from, n, true)
	switch {
	case !c.IsWorkingDay(after) || !c.IsWorkingDay(counting):
		tb.Fatalf("%s +%d: %s or %s is not a working day", from, n, after, counting)
	case c.WorkingDaysBetween(from, after) != n:
		tb.Fatalf("%s +%d after = %s, but WorkingDaysBetween = %d", from, n, after, c.WorkingDaysBetween(from, after))
	case c.WorkingDaysBetween(from.AddDays(-1), counting) != n:
		tb.Fatalf("%s +%d counting = %s, but %d working days from %s", from, n, counting, c.WorkingDaysBetween(from.AddDays(-1), counting), from)
	case c.IsWorkingDay(from) && n == 1 && counting != from:
		tb.Fatalf("%s +1 counting = %s, want the working day itself", from, counting)
	case c.IsWorkingDay(from) && n > 1 && counting != c.AddWorkingDays(from, n-1, false):
		tb.Fatalf("%s +%d: counting from a working day is one working day short of after", from, n)
	case !c.IsWorkingDay(from) && counting != after:
		tb.Fatalf("%s +%d: from is not a working day, so counting and after must agree", from, n)
	}
}

// FuzzAddWorkingDays explores dates from 1995 to 2100 and n up to 60.
func FuzzAddWorkingDays(f *testing.F) {
	for i, seed := range []string{"2021-12-24", "2022-01-01", "2024-03-29", "2025-07-11", "2030-11-29"} {
		f.Add(MustParseDate(seed).DaysSince(MustParseDate("1995-01-01")), uint8(i*7), uint8(i))
	}
	cals := map[Region]*Calendar{}
	for _, r := range Regions() {
		cals[r] = newCal(f, r, nil)
	}
	f.Fuzz(func(t *testing.T, offset int, n, region uint8) {
		if offset < 0 {
			offset = -offset
		}
		from := MustParseDate("1995-01-01").AddDays(offset % 38000)
		c := cals[Regions()[int(region)%3]]
		checkAddWorkingDays(t, c, from, 1+int(n)%60)
	})
}

func ExampleCalendar_AddWorkingDays() {
	c, _ := New(EnglandAndWales, nil)
	made := MustParseDate("2024-12-21") // a Saturday
	ackBy := c.AddWorkingDays(made, 3, true)
	closeBy := c.AddWorkingDays(ackBy, 5, false)
	fmt.Println(ackBy, closeBy, c.EndOfDay(closeBy))
	// Output: 2024-12-27 2025-01-06 2025-01-06 23:59:59.999999999 +0000 UTC
}
