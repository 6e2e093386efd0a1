package http

import (
	"net/http"
	"testing"
)

// noneID is a well-formed id no request has.
const noneID = "11111111-1111-4111-8111-111111111111"

// sameAsNone checks that what user hears about path is what they hear
// about the same path for a request that does not exist.
func sameAsNone(t *testing.T, a *testAPI, user testUser, path, nonePath string) {
	t.Helper()
	got := a.do(t, http.MethodGet, path, user.Token, nil).problem(t, http.StatusNotFound)
	none := a.do(t, http.MethodGet, nonePath, user.Token, nil).problem(t, http.StatusNotFound)
	if got.Detail != none.Detail || got.Type != none.Type {
		t.Errorf("%s is told %q about the request, %q about none", user.Username, got.Detail, none.Detail)
	}
}

// TestErasureRequestLocationAnswers_PRIV2: the 201 of an erasure request
// named /v1/erasure-requests/{id} in Location, a path without a GET (405).
// It now shows the request as the list does, where it stands, to the
// coordinator who decides it and to the caseworkers of the organisation
// that passed it on; anyone else hears what they hear for no request.
func TestErasureRequestLocationAnswers_PRIV2(t *testing.T) {
	n := newNetwork(t)
	client := want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserA.Token, nil), http.StatusOK).str("client_id")
	made := want(t, n.requestErasure(t, n.AdviserA.Token, client, "The client asked us to."), http.StatusCreated)
	loc := made.Header.Get("Location")
	if loc != "/v1/erasure-requests/"+made.str("id") {
		t.Fatalf("Location %q", loc)
	}
	for _, user := range []testUser{n.AdviserA, n.LeadA, n.Admin} {
		r := want(t, n.do(t, http.MethodGet, loc, user.Token, nil), http.StatusOK)
		if r.str("id") != made.str("id") || r.str("status") != "requested" || r.str("client_id") != client ||
			r.str("organisation_id") != n.OrgA || r.str("requested_by") != n.AdviserA.ID {
			t.Errorf("%s reads %s", user.Username, r.Body)
		}
		if r.get("reason") != nil {
			t.Errorf("the reason is shown: %s", r.Body)
		}
	}
	// The receiver's adviser, who could pass on a request of their own,
	// an organisation not involved and the auditor see none.
	for _, user := range []testUser{n.AdviserB, n.AdviserC, n.Auditor} {
		sameAsNone(t, n.testAPI, user, loc, "/v1/erasure-requests/"+noneID)
	}
	want(t, n.decideErasure(t, n.Admin.Token, made.str("id"), false, "Records must be kept."), http.StatusOK)
	if r := want(t, n.do(t, http.MethodGet, loc, n.AdviserA.Token, nil), http.StatusOK); r.str("status") != "refused" {
		t.Errorf("after the refusal: %s", r.Body)
	}
	n.do(t, http.MethodGet, "/v1/erasure-requests/not-an-id", n.Admin.Token, nil).problem(t, http.StatusBadRequest)
}

// TestLockRequestLocationAnswers_LOCK1_LOCK6_LOCK12: the 201 of a lock
// request and of an unlock request named /v1/lock-requests/{id} in
// Location, a path without a GET (405). It now shows the request, as the
// queue lists it, with where it stands, to whoever made it and to the
// service manager who decides it; anyone else, and anyone the hidden lock
// keeps out, hears what they hear for no request (R-LOCK-12).
func TestLockRequestLocationAnswers_LOCK1_LOCK6_LOCK12(t *testing.T) {
	n := newLockNet(t)
	made := want(t, n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/lock-requests", n.TeamManager.Token,
		map[string]any{"responsible_user_id": n.AdviserB.ID, "reason": "a related member of staff",
			"allow": []map[string]any{{"team": "duty"}}, "hide_notification": true}), http.StatusCreated)
	loc := made.Header.Get("Location")
	if loc != "/v1/lock-requests/"+made.str("id") {
		t.Fatalf("Location %q", loc)
	}
	none := "/v1/lock-requests/" + noneID
	for _, user := range []testUser{n.TeamManager, n.ServiceManager} {
		r := want(t, n.do(t, http.MethodGet, loc, user.Token, nil), http.StatusOK)
		if r.str("id") != made.str("id") || r.str("kind") != "lock" || r.str("status") != "requested" ||
			r.str("client_id") != n.Client || r.str("requested_by") != n.TeamManager.ID || r.get("decided_by") != nil {
			t.Errorf("%s reads %s", user.Username, r.Body)
		}
	}
	for _, user := range []testUser{n.AdviserB, n.AdviserC, n.LeadB, n.Admin} {
		sameAsNone(t, n.testAPI, user, loc, none)
	}

	want(t, n.do(t, http.MethodPost, loc+"/decision", n.ServiceManager.Token, map[string]any{"approve": true}), http.StatusOK)
	r := want(t, n.do(t, http.MethodGet, loc, n.TeamManager.Token, nil), http.StatusOK)
	if r.str("status") != "locked" || r.str("decided_by") != n.ServiceManager.ID || r.str("decided_at") == "" {
		t.Errorf("after the approval: %s", r.Body)
	}
	// The hidden lock keeps AdviserB out: they learn nothing of it here.
	for _, user := range []testUser{n.AdviserB, n.AdviserC} {
		sameAsNone(t, n.testAPI, user, loc, none)
	}

	unlock := want(t, n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/unlock-requests", n.TeamManager.Token,
		map[string]any{"reason": "the member of staff has left"}), http.StatusCreated)
	uloc := unlock.Header.Get("Location")
	if uloc != "/v1/lock-requests/"+unlock.str("id") {
		t.Fatalf("unlock Location %q", uloc)
	}
	for _, user := range []testUser{n.TeamManager, n.ServiceManager} {
		r := want(t, n.do(t, http.MethodGet, uloc, user.Token, nil), http.StatusOK)
		if r.str("kind") != "unlock" || r.str("status") != "requested" || r.str("requested_by") != n.TeamManager.ID {
			t.Errorf("%s reads the unlock request as %s", user.Username, r.Body)
		}
	}
	sameAsNone(t, n.testAPI, n.AdviserB, uloc, none)
	n.do(t, http.MethodGet, "/v1/lock-requests/not-an-id", n.ServiceManager.Token, nil).problem(t, http.StatusBadRequest)
}
