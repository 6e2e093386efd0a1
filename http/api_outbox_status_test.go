package http

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

// TestViewsOutboxStatus_VIEW2 covers R-VIEW-2: the referrer monitors its
// referrals by status. ?status= keeps that status only, across pages; an
// unknown status is 422 naming status, as on the inbox, rather than an
// unfiltered list that looks filtered.
func TestViewsOutboxStatus_VIEW2(t *testing.T) {
	n := newNetwork(t)
	n.Clock.Advance(time.Hour)
	toC := n.makeReferral(t, n.AdviserA.Token, n.OrgC, "Client To C")
	n.Clock.Advance(time.Hour)
	other := n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Other")
	n.Clock.Advance(time.Hour)
	n.act(t, n.AdviserB.Token, n.Referral, "acknowledgement", map[string]any{}, http.StatusOK)
	n.act(t, n.AdviserB.Token, n.Referral, "closure", map[string]any{"outcome": "positive", "comment": "Helped."}, http.StatusOK)

	if got, want := listedIDs(n.viewList(t, n.LeadA.Token, "/v1/outbox?status=closed")), []string{n.Referral}; !slices.Equal(got, want) {
		t.Errorf("closed outbox %v, want %v", got, want)
	}
	if got, want := listedIDs(n.viewList(t, n.LeadA.Token, "/v1/outbox?status=made")), []string{other, toC}; !slices.Equal(got, want) {
		t.Errorf("made outbox %v, want %v", got, want)
	}
	p1 := n.viewList(t, n.AdviserA.Token, "/v1/outbox?status=made&limit=1")
	if p1.Next == nil {
		t.Fatalf("first page of 1 has no next: %+v", p1)
	}
	p2 := n.viewList(t, n.AdviserA.Token, withQuery("/v1/outbox?status=made&limit=1", "next", *p1.Next))
	if got, want := append(listedIDs(p1), listedIDs(p2)...), []string{other, toC}; !slices.Equal(got, want) {
		t.Errorf("made outbox in pages of 1 %v, want %v", got, want)
	}
	if got := listedIDs(n.viewList(t, n.AdviserA.Token, "/v1/outbox?status=withdrawn")); len(got) != 0 {
		t.Errorf("withdrawn outbox %v, want none", got)
	}
	n.do(t, http.MethodGet, "/v1/outbox?status=open", n.AdviserA.Token, nil).invalid(t, "status")
	n.do(t, http.MethodGet, "/v1/outbox?status=made&status=closed", n.AdviserA.Token, nil).invalid(t, "status")
}
