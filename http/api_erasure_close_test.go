package http

import (
	"net/http"
	"strings"
	"testing"
)

// TestErasedReferralStillCloses_PRIV3: a referral still open when its
// client's data is erased can be acknowledged and closed with its outcome —
// no comment can be kept, since it would be client-linked free text — so
// it does not stay open and overdue for ever.
func TestErasedReferralStillCloses_PRIV3(t *testing.T) {
	n := newNetwork(t)
	client := n.clientOf(t, n.Referral)
	n.erase(t, client, "client asked")
	path := "/v1/referrals/" + n.Referral
	want(t, n.do(t, http.MethodPost, path+"/acknowledgement", n.AdviserB.Token, map[string]any{}), http.StatusOK)
	head := n.head(t)
	if r := n.do(t, http.MethodPost, path+"/closure", n.AdviserB.Token, map[string]any{"outcome": "negative", "comment": "moved away"}); r.Status != http.StatusConflict {
		t.Fatalf("closing with a comment after erasure: %d %s", r.Status, r.Body)
	}
	if n.head(t) != head {
		t.Fatal("a refused closure wrote something")
	}
	r := want(t, n.do(t, http.MethodPost, path+"/closure", n.AdviserB.Token, map[string]any{"outcome": "negative"}), http.StatusOK)
	if r.str("status") != "closed" || r.str("outcome") != "negative" || r.get("comment") != nil || r.get("erased") != true {
		t.Fatalf("closure after erasure: %s", r.Body)
	}
}

// TestErasedUrgentReferralUrgencyReview_REF7: an urgent referral whose
// client's data was erased can still be reviewed and declined as urgent,
// without feedback (which would be client-linked free text), and then
// follows the normal timescales; before, every review was refused and the
// referral stayed on the urgent timescale, overdue after two working days.
func TestErasedUrgentReferralUrgencyReview_REF7(t *testing.T) {
	n := newNetwork(t, withWebPages())
	id := n.urgentReferral(t, n.AdviserA.Token, n.OrgB, "Client Urgent")
	n.erase(t, n.clientOf(t, id), "client asked")
	// The referral's page asks for no feedback the ledger cannot keep.
	page := string(want(t, n.webPage(t, "/referrals/"+id, n.AdviserB.Token), http.StatusOK).Body)
	if !strings.Contains(page, "Review urgency") || strings.Contains(page, `name="feedback"`) {
		t.Errorf("the urgency review of an erased client's referral asks for feedback, or is not offered")
	}
	path := "/v1/referrals/" + id + "/urgency-review"
	head := n.head(t)
	n.do(t, http.MethodPost, path, n.AdviserB.Token, map[string]any{"urgent": false, "feedback": "not urgent"}).
		problem(t, http.StatusConflict)
	if n.head(t) != head {
		t.Fatal("a refused review wrote something")
	}
	r := want(t, n.do(t, http.MethodPost, path, n.AdviserB.Token, map[string]any{"urgent": false}), http.StatusOK)
	if r.get("urgent") != false || r.get("urgency_declined") != true || r.get("urgency_feedback") != nil {
		t.Fatalf("urgency review after erasure: %s", r.Body)
	}
	// Made Monday 14 December 2026: acknowledge by Wednesday 16, not the
	// urgent Tuesday 15.
	if got := r.str("deadlines", "acknowledge_by"); got != "2026-12-16T23:59:59Z" {
		t.Errorf("acknowledge_by %s, want the normal timescale's 2026-12-16T23:59:59Z", got)
	}
	// Before erasure, feedback is still required.
	other := n.urgentReferral(t, n.AdviserA.Token, n.OrgB, "Client Kept")
	n.do(t, http.MethodPost, "/v1/referrals/"+other+"/urgency-review", n.AdviserB.Token, map[string]any{"urgent": false}).
		invalid(t, "feedback")
}
