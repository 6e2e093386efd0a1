package calendar

import (
	"testing"
	"time"
)

func TestEndOfDay(t *testing.T) {
	tests := []struct {
		name, date, want string
	}{
		{"GMT", "2024-01-15", "2024-01-15T23:59:59.999999999Z"},
		{"BST", "2024-06-12", "2024-06-12T22:59:59.999999999Z"},
		{"DayBeforeClocksGoForward", "2024-03-30", "2024-03-30T23:59:59.999999999Z"},
		{"ClocksGoForward23HourDay", "2024-03-31", "2024-03-31T22:59:59.999999999Z"},
		{"DayBeforeClocksGoBack", "2024-10-26", "2024-10-26T22:59:59.999999999Z"},
		{"ClocksGoBack25HourDay", "2024-10-27", "2024-10-27T23:59:59.999999999Z"},
		{"NewYearsEve", "2024-12-31", "2024-12-31T23:59:59.999999999Z"},
	}
	c := newCal(t, EnglandAndWales, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.EndOfDay(MustParseDate(tt.date))
			if got.Format(time.RFC3339Nano) != tt.want || got.Location() != time.UTC {
				t.Errorf("EndOfDay(%s) = %s (%s), want %s UTC", tt.date, got.Format(time.RFC3339Nano), got.Location(), tt.want)
			}
		})
	}
}

func TestStartOfDay(t *testing.T) {
	c := newCal(t, EnglandAndWales, nil)
	for date, want := range map[string]string{
		"2024-01-15": "2024-01-15T00:00:00Z",
		"2024-06-12": "2024-06-11T23:00:00Z",
		"2024-10-27": "2024-10-26T23:00:00Z", // still BST at local midnight
	} {
		if got := c.StartOfDay(MustParseDate(date)).Format(time.RFC3339Nano); got != want {
			t.Errorf("StartOfDay(%s) = %s, want %s", date, got, want)
		}
	}
}

func TestDateOf(t *testing.T) {
	tests := []struct {
		name, instant, want string
	}{
		{"WinterLateEvening", "2024-01-31T23:30:00Z", "2024-01-31"},
		{"SummerLateEveningIsTomorrow", "2024-06-30T23:30:00Z", "2024-07-01"},
		{"BeforeClocksGoBack", "2024-10-26T23:30:00Z", "2024-10-27"},
		{"OtherZoneOffset", "2024-06-30T19:00:00-05:00", "2024-07-01"},
		{"LastNanosecondOfDay", "2024-06-12T22:59:59.999999999Z", "2024-06-12"},
	}
	c := newCal(t, EnglandAndWales, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, err := time.Parse(time.RFC3339Nano, tt.instant)
			if err != nil {
				t.Fatal(err)
			}
			if got := c.DateOf(ts).String(); got != tt.want {
				t.Errorf("DateOf(%s) = %s, want %s", tt.instant, got, tt.want)
			}
		})
	}
}

// TestDayBoundaries checks, for every day 2020–2030, that the day runs from
// StartOfDay to EndOfDay and the next nanosecond is the next day.
func TestDayBoundaries(t *testing.T) {
	c := newCal(t, EnglandAndWales, nil)
	for d := MustParseDate("2020-01-01"); d.Year <= 2030; d = d.AddDays(1) {
		start, end := c.StartOfDay(d), c.EndOfDay(d)
		if c.DateOf(start) != d || c.DateOf(end) != d || c.DateOf(end.Add(1)) != d.AddDays(1) || c.DateOf(start.Add(-1)) != d.AddDays(-1) {
			t.Fatalf("%s: start %s end %s do not bound the day", d, start, end)
		}
		if h := end.Add(1).Sub(start).Hours(); h != 23 && h != 24 && h != 25 {
			t.Fatalf("%s lasts %v hours", d, h)
		}
	}
}
