package http

import (
	"net/http"
	"net/url"
	"testing"
)

// TestAccessLogAfterErasureShowsErased_PRIV3_LOCK9: the access log, a read
// of the reasons given for reading a locked case (free text sealed under
// the client's key), shows each entry with "erased": true once the client
// is erased, its reason null, as every read shows erased data (R-PRIV-3);
// before, the reason was only null, as for a read that needed none.
func TestAccessLogAfterErasureShowsErased_PRIV3_LOCK9(t *testing.T) {
	n := newLockNet(t)
	n.lock(t, n.Client, nil)
	c := "/v1/clients/" + n.Client
	want(t, n.do(t, http.MethodGet, c+"/subject-access?reason="+url.QueryEscape("SAR-2026-17"), n.Admin.Token, nil), http.StatusOK)

	entries := func(u testUser) []map[string]any {
		t.Helper()
		r := want(t, n.do(t, http.MethodGet, c+"/access-log", u.Token, nil), http.StatusOK)
		var body struct {
			Entries []map[string]any `json:"entries"`
		}
		decodeInto(t, r, &body)
		if len(body.Entries) == 0 {
			t.Fatalf("empty access log: %s", r.Body)
		}
		return body.Entries
	}
	withReason := 0
	for _, e := range entries(n.AdviserB) {
		if e["erased"] != false {
			t.Errorf("before erasure, entry %v", e)
		}
		if e["reason"] == "SAR-2026-17" {
			withReason++
		}
	}
	if withReason == 0 {
		t.Fatal("the subject access export's reason is not in the log")
	}

	n.eraseAs(t, n.AdviserB.Token, n.Client, "The client asked to be forgotten.")
	for _, u := range []testUser{n.AdviserB, n.Admin, n.Auditor} {
		for _, e := range entries(u) {
			if e["erased"] != true || e["reason"] != nil {
				t.Errorf("%s: after erasure, entry %v; want reason null and erased true", u.Username, e)
			}
		}
	}
}
