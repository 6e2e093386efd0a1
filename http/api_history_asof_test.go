package http

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// TestHistoryAsOfMadeAt_LEDGER5: ?as_of= a referral's made_at, as GET
// shows it (to the second), gives the referral as made, although its
// event was recorded a fraction of a second later; a time given with a
// fraction is taken exactly.
func TestHistoryAsOfMadeAt_LEDGER5(t *testing.T) {
	n := newNetwork(t)
	n.Clock.Advance(400 * time.Millisecond)
	id := n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Sam Example")
	madeAt := want(t, n.do(t, http.MethodGet, "/v1/referrals/"+id, n.AdviserA.Token, nil), http.StatusOK).str("made_at")
	made, err := time.Parse(time.RFC3339, madeAt)
	if err != nil {
		t.Fatalf("made_at %q: %v", madeAt, err)
	}
	r, events := n.history(t, n.AdviserA.Token, id, "?as_of="+url.QueryEscape(madeAt))
	if got := r.str("state", "status"); got != "made" || len(events) != 1 {
		t.Errorf("?as_of=made_at: state %q with %d events, want made with 1", got, len(events))
	}
	// The same second given with a fraction before the event: not yet made.
	exact := made.Add(100 * time.Millisecond).Format(time.RFC3339Nano)
	n.do(t, http.MethodGet, "/v1/referrals/"+id+"/history?as_of="+url.QueryEscape(exact), n.AdviserA.Token, nil).
		problem(t, http.StatusNotFound)
}
