package ledger

import "testing"

// TestNormaliseClientName_REF14: the known clients index compares names
// whatever their case, spacing and accents, and nothing else.
func TestNormaliseClientName_REF14(t *testing.T) {
	same := []struct{ a, b string }{
		{"Zoë O'Brien", "zoe o'brien"},               // accent, case
		{"  Zoe   O'Brien\t", "zoe o'brien"},         // leading, trailing and repeated spaces, tab
		{"ZOË\u00a0O'BRIEN", "zoe o'brien"},          // no-break space
		{"Zoe\u0308 O'Brien", "zoe o'brien"},         // a combining diaeresis, not precomposed
		{"Ångström-Núñez", "angstrom-nunez"},         // several accents
		{"Łukasz", "łukasz"},                         // case of a letter with no decomposition
		{"Straße", "STRASSE"},                        // full case folding
		{"Ｊｏ Ｂｌｏｇｇｓ", "jo bloggs"},                   // fullwidth letters (compatibility)
		{"İlker", "ilker"},                           // dotted capital I
		{"Ça\u0301\u0327 va", "ca va"},               // stacked marks
		{"Zoe O\u2019Brien", "zoe o'brien"},          // a phone's or word processor's apostrophe
		{"Zoe O\u02bcBrien", "zoe o'brien"},          // modifier letter apostrophe
		{"Ann Smith\u2010Jones", "ann smith-jones"},  // hyphen
		{"Ann Smith\u2013Jones", "ann smith-jones"},  // en dash, as autocorrect writes it
		{"\U0001D409\U0001D428 Bloggs", "jo bloggs"}, // capitals only once decomposed
	}
	for _, tc := range same {
		if a, b := NormaliseClientName(tc.a), NormaliseClientName(tc.b); a != b {
			t.Errorf("%q → %q and %q → %q: want the same", tc.a, a, tc.b, b)
		}
	}
	different := []struct{ a, b string }{
		{"Zoe OBrien", "Zoe O'Brien"},
		{"Jo Bloggs", "Joe Bloggs"},
		{"Jo Bloggs", "Bloggs Jo"},
		{"Jo Bloggs", "JoBloggs"},
		{"Łukasz", "Lukasz"}, // Ł is a letter, not L with a mark
	}
	for _, tc := range different {
		if a, b := NormaliseClientName(tc.a), NormaliseClientName(tc.b); a == b {
			t.Errorf("%q and %q both normalise to %q: want them apart", tc.a, tc.b, a)
		}
	}
	if got := NormaliseClientName("  Zoë   O'BRIEN "); got != "zoe o'brien" {
		t.Errorf("normalised form = %q, want %q", got, "zoe o'brien")
	}
}
