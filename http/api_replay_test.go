package http

import (
	"net/http"
	"strings"
	"testing"
)

// TestIdempotentReplayRereads_PRIV8: an idempotent replay reads the
// resource again through today's erasure and access rules instead of
// repeating the first answer (R-PRIV-8): after the client's erasure, the
// replay of the referral and of a note shows the data null with
// "erased": true; for a caller locked out since, the replay answers as a
// read would. The same key with another body is still 422.
func TestIdempotentReplayRereads_PRIV8(t *testing.T) {
	t.Run("erased", func(t *testing.T) {
		n := newNetwork(t)
		body := n.markedReferral()
		first := want(t, n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, body, "Idempotency-Key", "make-1"), http.StatusCreated)
		id, client := first.str("id"), first.str("client_id")
		note := map[string]any{"text": markers.Note}
		firstNote := want(t, n.do(t, http.MethodPost, "/v1/referrals/"+id+"/notes", n.AdviserA.Token, note,
			"Idempotency-Key", "note-1"), http.StatusCreated)
		if !strings.Contains(string(first.Body), markers.Name) || !strings.Contains(string(firstNote.Body), markers.Note) {
			t.Fatalf("the first answers should hold the client's data: %s %s", first.Body, firstNote.Body)
		}
		request := want(t, n.requestErasure(t, n.AdviserA.Token, client, "asked in person"), http.StatusCreated).str("id")
		want(t, n.decideErasure(t, n.Admin.Token, request, true, ""), http.StatusOK)

		re := want(t, n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, body, "Idempotency-Key", "make-1"), http.StatusCreated)
		if re.Header.Get("Idempotent-Replayed") != "true" || re.str("id") != id || re.Header.Get("Location") != first.Header.Get("Location") {
			t.Fatalf("replay: %v %s", re.Header, re.Body)
		}
		if re.get("erased") != true || re.get("client", "erased") != true || re.get("client", "name") != nil || re.get("reason") != nil {
			t.Fatalf("the replay after erasure should show the client erased: %s", re.Body)
		}
		reNote := want(t, n.do(t, http.MethodPost, "/v1/referrals/"+id+"/notes", n.AdviserA.Token, note,
			"Idempotency-Key", "note-1"), http.StatusCreated)
		if reNote.str("id") != firstNote.str("id") || reNote.get("text") != nil || reNote.get("referral", "erased") != true {
			t.Fatalf("the note's replay after erasure should show it erased: %s", reNote.Body)
		}
		for _, r := range []*response{re, reNote} {
			if leaked := markers.leaks(r.Body); len(leaked) > 0 {
				t.Fatalf("a replay after erasure holds %v: %s", leaked, r.Body)
			}
		}
		other := n.markedReferral()
		other["urgent"] = false
		n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, other, "Idempotency-Key", "make-1").
			problem(t, http.StatusUnprocessableEntity)
	})

	t.Run("locked out since", func(t *testing.T) {
		n := newLockNet(t)
		body := validReferral(n.OrgB, "Client Locked Later")
		first := want(t, n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, body, "Idempotency-Key", "make-2"), http.StatusCreated)
		n.lock(t, first.str("client_id"), nil)
		read := n.do(t, http.MethodGet, "/v1/referrals/"+first.str("id"), n.AdviserA.Token, nil)
		if read.Status == http.StatusOK {
			t.Fatalf("the referrer should be locked out of the case: %s", read.Body)
		}
		re := n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, body, "Idempotency-Key", "make-2")
		if re.Status != read.Status || strings.Contains(string(re.Body), "Client Locked Later") {
			t.Fatalf("replay = %d %s; want the lock's answer %d %s", re.Status, re.Body, read.Status, read.Body)
		}
		if got, want := re.problem(t, re.Status), read.problem(t, read.Status); got.Title != want.Title || got.Detail != want.Detail {
			t.Fatalf("replay answered %+v, a read %+v", got, want)
		}
	})
}

// TestReplayRefOfBody_PRIV8: an answer stored whole by an earlier version
// on a route that now stores a reference is read as that reference, so it
// is rendered again, not repeated; other routes' answers are repeated.
func TestReplayRefOfBody_PRIV8(t *testing.T) {
	for _, tc := range []struct {
		route, body string
		want        replayRef
		ok          bool
	}{
		{"/v1/referrals", `{"id":"r1","client":{"name":"x"}}`, replayRef{Kind: replayReferral, ID: "r1"}, true},
		{"/v1/referrals/:id/notes", `{"id":"n1","referral_id":"r1","text":"x"}`, replayRef{Kind: replayNote, ID: "r1", Part: "n1"}, true},
		{"/v1/referrals/:id/notes", `{"id":"n1"}`, replayRef{}, false},
		{"/v1/organisations", `{"id":"o1"}`, replayRef{}, false},
		{"/v1/referrals", `not json`, replayRef{}, false},
	} {
		if got, ok := replayRefOfBody(tc.route, []byte(tc.body)); got != tc.want || ok != tc.ok {
			t.Errorf("replayRefOfBody(%s, %s) = %+v, %v; want %+v, %v", tc.route, tc.body, got, ok, tc.want, tc.ok)
		}
	}
}
