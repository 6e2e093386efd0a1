package calendar

import (
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		name, in string
		want     Date
		ok       bool
	}{
		{"OK", "2024-06-03", Date{2024, time.June, 3}, true},
		{"LeapDay", "2024-02-29", Date{2024, time.February, 29}, true},
		{"ErrNotLeapYear", "2023-02-29", Date{}, false},
		{"ErrUnpadded", "2024-6-3", Date{}, false},
		{"ErrTimestamp", "2024-06-03T00:00:00Z", Date{}, false},
		{"ErrSpaces", " 2024-06-03", Date{}, false},
		{"ErrEmpty", "", Date{}, false},
		{"ErrMonth13", "2024-13-01", Date{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseDate(tt.in)
			if tt.ok != (err == nil) || got != tt.want {
				t.Fatalf("ParseDate(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidDate) {
				t.Errorf("error %v does not wrap ErrInvalidDate", err)
			}
			if err == nil && got.String() != tt.in {
				t.Errorf("String() = %q, want %q", got.String(), tt.in)
			}
		})
	}
}

func TestDateArithmetic(t *testing.T) {
	d := MustParseDate("2024-02-28")
	tests := []struct {
		name string
		got  Date
		want string
	}{
		{"LeapDay", d.AddDays(1), "2024-02-29"},
		{"IntoMarch", d.AddDays(2), "2024-03-01"},
		{"IntoNextYear", d.AddDays(308), "2025-01-01"},
		{"Backwards", d.AddDays(-59), "2023-12-31"},
		{"NewDateNormalises", NewDate(2024, time.December, 32), "2025-01-01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got.String() != tt.want {
				t.Errorf("got %s, want %s", tt.got, tt.want)
			}
		})
	}
	if n := MustParseDate("2025-01-01").DaysSince(d); n != 308 {
		t.Errorf("DaysSince = %d, want 308", n)
	}
	if wd := MustParseDate("2030-04-21").Weekday(); wd != time.Sunday {
		t.Errorf("Weekday(2030-04-21) = %s, want Sunday", wd)
	}
}

func TestDateCompare(t *testing.T) {
	a, b := MustParseDate("2024-12-31"), MustParseDate("2025-01-01")
	if !a.Before(b) || a.After(b) || a.Equal(b) || !b.After(a) || !a.Equal(a) {
		t.Errorf("ordering of %s and %s is wrong", a, b)
	}
	if a.Compare(b) != -1 || b.Compare(a) != 1 || a.Compare(a) != 0 {
		t.Errorf("Compare is wrong")
	}
	if !(Date{}).IsZero() || a.IsZero() || !a.IsValid() || (Date{2023, time.February, 29}).IsValid() {
		t.Errorf("IsZero/IsValid are wrong")
	}
}

func TestDateJSON(t *testing.T) {
	type doc struct {
		Due  Date `json:"due"`
		None Date `json:"none"`
	}
	b, err := json.Marshal(doc{Due: MustParseDate("2024-01-02")})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"due":"2024-01-02","none":""}` {
		t.Errorf("Marshal = %s", b)
	}
	var back doc
	if err := json.Unmarshal(b, &back); err != nil || back.Due != MustParseDate("2024-01-02") || !back.None.IsZero() {
		t.Errorf("Unmarshal = %+v, %v", back, err)
	}
	t.Run("ErrUnmarshalBadDate", func(t *testing.T) {
		if err := json.Unmarshal([]byte(`{"due":"2024-02-30"}`), &back); !errors.Is(err, ErrInvalidDate) {
			t.Errorf("err = %v, want ErrInvalidDate", err)
		}
	})
	t.Run("ErrMarshalImpossibleDate", func(t *testing.T) {
		if _, err := json.Marshal(doc{Due: Date{2023, time.February, 29}}); !errors.Is(err, ErrInvalidDate) {
			t.Errorf("err = %v, want ErrInvalidDate", err)
		}
	})
}
