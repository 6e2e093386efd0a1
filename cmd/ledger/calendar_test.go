package main

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"strings"
	"testing"
)

// TestCalendarCommand: coordinators check due dates with the ledger's own
// calendar (R-TIME-1, R-TIME-2): the deadline date comes first on its line.
func TestCalendarCommand(t *testing.T) {
	t.Setenv("LEDGER_DATA_DIR", t.TempDir())
	for _, tc := range []struct {
		name  string
		args  []string
		first string // the start of the output
		has   string
	}{
		{"OKAcknowledgeOverChristmas", []string{"calendar", "deadline", "--from", "2026-12-23", "--working-days", "3"}, "2026-12-29\tTuesday", "2026-12-29T23:59:59Z"},
		{"OKCloseCountsFromTheDayAfter", []string{"calendar", "deadline", "--from", "2026-12-23", "--working-days", "5", "--count-from=false"}, "2027-01-04\tMonday", ""},
		{"OKSaturdayCountsFromMonday", []string{"calendar", "deadline", "--from", "2026-11-21", "--working-days", "1"}, "2026-11-23\tMonday", ""},
		{"OKBSTEndsAt2259UTC", []string{"calendar", "deadline", "--from", "2026-07-01", "--working-days", "1"}, "2026-07-01", "2026-07-01T22:59:59Z"},
		{"OKScotlandStAndrew", []string{"calendar", "deadline", "--from", "2026-11-27", "--working-days", "2", "--region", "scotland"}, "2026-12-01", ""},
		{"OKHolidaysNorthernIreland", []string{"calendar", "holidays", "--year", "2026", "--region", "northern-ireland"}, "2026-01-01", "2026-07-13\tMonday\tBattle of the Boyne"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := run(context.Background(), tc.args, &out, io.Discard); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(out.String(), tc.first) || !strings.Contains(out.String(), tc.has) {
				t.Fatalf("output:\n%s", out.String())
			}
		})
	}
	for _, args := range [][]string{
		{"calendar", "deadline", "--from", "2026-02-30", "--working-days", "3"},
		{"calendar", "deadline", "--from", "2026-02-02", "--working-days", "0"},
		{"calendar", "holidays", "--year", "2026", "--region", "wales"},
	} {
		if err := run(context.Background(), args, io.Discard, io.Discard); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}

// TestCalendarDeadlineRefusesACountPastItsBound_OPS4: a mistyped working
// day count (an extra digit or three) used to be counted out day by day,
// for minutes, with Ctrl-C ignored, to print a date centuries away. A
// count past maxWorkingDays is refused at once naming the flag and its
// bound, and the bound itself is still counted (R-OPS-4).
func TestCalendarDeadlineRefusesACountPastItsBound_OPS4(t *testing.T) {
	t.Setenv("LEDGER_DATA_DIR", t.TempDir())
	deadline := func(days int) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), []string{"calendar", "deadline", "--from", "2026-12-07", "--working-days", strconv.Itoa(days)}, &out, io.Discard)
		return out.String(), err
	}
	if out, err := deadline(maxWorkingDays); err != nil || out == "" {
		t.Fatalf("--working-days %d: %v\n%s", maxWorkingDays, err, out)
	}
	out, err := deadline(maxWorkingDays + 1)
	if err == nil || !strings.Contains(err.Error(), "--working-days") || !strings.Contains(err.Error(), strconv.Itoa(maxWorkingDays)) || out != "" {
		t.Fatalf("--working-days %d: %v, want a refusal naming the flag and its bound\n%s", maxWorkingDays+1, err, out)
	}
}
