package http

import (
	"net/http"
	"testing"
	"time"
)

// TestOverdueCarriesReference_VIEW3_REF13 covers R-VIEW-3 with R-REF-13:
// the coordinator follows overdue referrals up by phone, where people read
// out the reference, and API.md says every referral carries one. Each
// overdue item has the reference GET /v1/referrals/{id} gives.
func TestOverdueCarriesReference_VIEW3_REF13(t *testing.T) {
	n := newNetwork(t) // n.Referral made Monday 14 December: due Wednesday 16
	ref := want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil), http.StatusOK).str("reference")
	n.Clock.Set(london(2026, time.December, 17, 9, 0))
	for _, u := range []testUser{n.Admin, n.LeadB} {
		var l struct {
			Referrals []map[string]any `json:"referrals"`
		}
		decodeInto(t, want(t, n.do(t, http.MethodGet, "/v1/overdue", u.Token, nil), http.StatusOK), &l)
		if len(l.Referrals) != 1 || l.Referrals[0]["id"] != n.Referral {
			t.Fatalf("%s's overdue list %v, want the one referral", u.Username, l.Referrals)
		}
		if got := l.Referrals[0]["reference"]; got != ref {
			t.Errorf("%s's overdue item reference %v, want %q", u.Username, got, ref)
		}
	}
}
