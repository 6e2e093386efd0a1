package calendar

import (
	"errors"
	"testing"
)

func TestParseRegion(t *testing.T) {
	tests := []struct {
		in   string
		want Region
		ok   bool
	}{
		{"england-and-wales", EnglandAndWales, true},
		{"scotland", Scotland, true},
		{"northern-ireland", NorthernIreland, true},
		{" Scotland ", Scotland, true},
		{"", DefaultRegion, true},
		{"wales", "", false},
		{"england_and_wales", "", false},
	}
	for _, tt := range tests {
		name := tt.in
		if name == "" {
			name = "EmptyIsDefault"
		}
		t.Run(name, func(t *testing.T) {
			got, err := ParseRegion(tt.in)
			if got != tt.want || tt.ok != (err == nil) {
				t.Fatalf("ParseRegion(%q) = %q, %v; want %q, ok=%v", tt.in, got, err, tt.want, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrUnknownRegion) {
				t.Errorf("error %v does not wrap ErrUnknownRegion", err)
			}
		})
	}
	if DefaultRegion != EnglandAndWales {
		t.Errorf("DefaultRegion = %s, want england-and-wales", DefaultRegion)
	}
}
