package calendar

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnknownRegion is returned (wrapped) when a region name is not one of the
// three UK bank-holiday divisions.
var ErrUnknownRegion = errors.New("calendar: unknown region")

// Region is a UK bank-holiday division. Its values are the division names
// gov.uk uses in bank-holidays.json, so configuration and the published file
// spell them the same way.
type Region string

// The regions, named as gov.uk names its divisions.
const (
	EnglandAndWales Region = "england-and-wales"
	Scotland        Region = "scotland"
	NorthernIreland Region = "northern-ireland"
)

// DefaultRegion is the calendar used when none is configured (SPEC
// "Timescales": England and Wales by default).
const DefaultRegion = EnglandAndWales

// Regions returns every region, default first.
func Regions() []Region {
	return []Region{EnglandAndWales, Scotland, NorthernIreland}
}

// ParseRegion returns the region named s, ignoring case and surrounding
// spaces; the empty string means DefaultRegion. Any other name returns an
// error wrapping ErrUnknownRegion.
func ParseRegion(s string) (Region, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	if name == "" {
		return DefaultRegion, nil
	}
	r := Region(name)
	if !r.Valid() {
		return "", fmt.Errorf("%w: %q (want one of england-and-wales, scotland, northern-ireland)", ErrUnknownRegion, s)
	}
	return r, nil
}

// Valid reports whether r is one of the three regions.
func (r Region) Valid() bool {
	switch r {
	case EnglandAndWales, Scotland, NorthernIreland:
		return true
	}
	return false
}

// String returns the gov.uk division name of r.
func (r Region) String() string { return string(r) }
