package http

import (
	"net/http"
	"testing"
)

// TestSearchMadeDatesFarOff_VIEW_AUTH4: search's made_from and made_to accept any
// date, but one outside the years Unix nanoseconds hold (1678 to 2262)
// wrapped when turned into the list's bound, and the filter turned inside
// out: made_from=2300-01-01 or made_to=1000-01-01 listed referrals made in
// 2026, and made_from=1000-01-01 or made_to=2300-01-01 listed none. Now a
// far-off bound is as far as a bound can be: referrals made since a date
// long past, or until one far ahead, are all found; none since one far
// ahead, or until one long past (API.md search, R-AUTH-4's own
// organisation's referrals).
func TestSearchMadeDatesFarOff_VIEW_AUTH4(t *testing.T) {
	n := newNetwork(t)
	for _, c := range []struct {
		query string
		found bool
	}{
		{"made_from=2300-01-01", false},
		{"made_to=1000-01-01", false},
		{"made_to=1677-12-31", false},
		{"made_from=1000-01-01", true},
		{"made_to=2300-01-01", true},
		{"made_from=0001-01-01&made_to=9999-12-31", true},
		{"made_from=1000-01-01&made_to=1001-01-01", false},
		{"made_from=2300-01-01&made_to=2301-01-01", false},
	} {
		var body struct {
			Referrals []struct {
				ID string `json:"id"`
			} `json:"referrals"`
		}
		decodeInto(t, want(t, n.do(t, http.MethodGet, "/v1/referrals?"+c.query, n.AdviserA.Token, nil), http.StatusOK), &body)
		found := len(body.Referrals) == 1 && body.Referrals[0].ID == n.Referral
		if found != c.found || (!c.found && len(body.Referrals) != 0) {
			t.Errorf("?%s: %d referrals, want the referral made on 14 December 2026 found: %v", c.query, len(body.Referrals), c.found)
		}
	}
}
