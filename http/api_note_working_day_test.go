package http

import (
	"net/http"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestAgreedCloseByOnAWorkingDay_REF6_TIME4: an agreed close-by date
// becomes the closing deadline (R-TIME-4), the end of a working day, so a
// note agreeing a Saturday or a bank holiday (the Boxing Day substitute,
// Monday 28 December 2026) is refused, 422 on agreed_close_by saying it
// must be a working day, with nothing recorded; a working day is taken,
// and the referral's close_by becomes the end of it.
func TestAgreedCloseByOnAWorkingDay_REF6_TIME4(t *testing.T) {
	n := newNetwork(t) // Monday 14 December 2026
	path := lifecyclePath(n.Referral, "notes")
	want(t, n.do(t, http.MethodPost, lifecyclePath(n.Referral, "acknowledgement"), n.AdviserB.Token, map[string]any{}), http.StatusOK)
	for _, day := range []string{"2026-12-19", "2026-12-20", "2026-12-25", "2026-12-28"} {
		p := n.do(t, http.MethodPost, path, n.AdviserB.Token, map[string]any{"text": "Agreed more time.", "agreed_close_by": day}).
			invalid(t, "agreed_close_by")
		if !strings.Contains(p.Detail, "working day") || !strings.Contains(p.Detail, day) {
			t.Errorf("%s: detail %q does not say the date must be a working day", day, p.Detail)
		}
	}
	if c := n.countEvents(t, domain.ReferralNoteAddedType); c != 0 {
		t.Fatalf("refused notes wrote %d events", c)
	}
	r := want(t, n.do(t, http.MethodPost, path, n.AdviserB.Token, map[string]any{"text": "Agreed more time.", "agreed_close_by": "2026-12-29"}),
		http.StatusCreated)
	if got := r.str("referral", "deadlines", "close_by"); got != "2026-12-29T23:59:59Z" {
		t.Errorf("close_by %s, want the end of Tuesday 29 December", got)
	}
}
