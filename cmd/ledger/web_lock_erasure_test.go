package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestWebErasureFormHiddenLock_LOCK12: someone a hidden lock keeps out
// learns nothing about it from the page for asking for the client's
// erasure either: they get what they get for a client that does not exist,
// as the API answers them (R-LOCK-12).
func TestWebErasureFormHiddenLock_LOCK12(t *testing.T) {
	n := newLocksNetwork(t)
	ann := n.browser(t)
	if p := ann.signIn("ann", annPassword, "/"); p.status != http.StatusSeeOther {
		t.Fatalf("ann cannot sign in: %d", p.status)
	}
	// Before the lock Ann, an adviser of the referring organisation, may
	// ask for the client's erasure.
	wantStatus(t, ann.get("/clients/"+n.client+"/erasure-request"), http.StatusOK, n.reference)
	req := n.must(t, 201, "POST", "/v1/clients/"+n.client+"/lock-requests", n.tessToken, map[string]any{"responsible_user_id": n.ids["ben"],
		"reason": "Staff member related.", "allow": []any{}, "deny": []any{}, "hide_notification": true})
	n.must(t, 200, "POST", "/v1/lock-requests/"+req["id"].(string)+"/decision", n.samToken, map[string]any{"approve": true})

	unknown := "00000000-0000-4000-8000-0000000000ab"
	missing := ann.get("/clients/" + unknown + "/erasure-request")
	locked := ann.get("/clients/" + n.client + "/erasure-request")
	if locked.status != missing.status {
		t.Fatalf("the erasure form of a hidden locked client: %d, of an unknown client: %d\n%s", locked.status, missing.status, locked.body)
	}
	if status, _ := n.call(t, "POST", "/v1/clients/"+n.client+"/erasure-requests", n.annToken, map[string]any{"reason": "asked"}); status != http.StatusNotFound {
		t.Fatalf("the API's answer to Ann's erasure request: %d", status)
	}
}

// TestWebPagesHiddenLock_LOCK12 asks every page about a case, as users a
// hidden lock keeps out, for the locked client (or its referral) and for
// an unknown one: the status must not differ.
func TestWebPagesHiddenLock_LOCK12(t *testing.T) {
	n := newLocksNetwork(t)
	req := n.must(t, 201, "POST", "/v1/clients/"+n.client+"/lock-requests", n.tessToken, map[string]any{"responsible_user_id": n.ids["ben"],
		"reason": "Staff member related.", "allow": []any{}, "deny": []any{}, "hide_notification": true})
	n.must(t, 200, "POST", "/v1/lock-requests/"+req["id"].(string)+"/decision", n.samToken, map[string]any{"approve": true})
	ann := n.browser(t)
	ann.signIn("ann", annPassword, "/")
	unknownClient, unknownRef := "00000000-0000-4000-8000-0000000000ab", "00000000-0000-4000-8000-0000000000cd"
	paths := []string{
		"/referrals/%r", "/referrals/%r/history", "/referrals/%r/access-log", "/referrals/%r/bundle",
		"/clients/%c/erasure-request", "/clients/%c/subject-access", "/clients/%c/temporary-access",
		"/clients/%c/temporary-access/" + n.ids["dora"] + "/end", "/clients/%c/lock-request",
		"/locked-cases/%c/review", "/locked-cases/%c/unlock",
	}
	for name, b := range map[string]*browser{"ann": ann, "dora": n.dora, "hal": n.hal, "bob": n.bob} {
		for _, p := range paths {
			real := strings.NewReplacer("%r", n.referral, "%c", n.client).Replace(p)
			fake := strings.NewReplacer("%r", unknownRef, "%c", unknownClient).Replace(p)
			got, want := b.get(real), b.get(fake)
			if got.status != want.status {
				t.Errorf("%s GET %s: %d, for an unknown id %d", name, p, got.status, want.status)
			}
		}
	}
}
