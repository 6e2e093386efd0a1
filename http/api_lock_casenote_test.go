package http

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/eventstore"
)

// webPage gets a page of the web interface with token's session.
func (a *testAPI) webPage(tb testing.TB, path, token string) *response {
	tb.Helper()
	req, err := a.newRequest(http.MethodGet, path, "", nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.AddCookie(&http.Cookie{Name: "ledger_session", Value: token})
	r, err := a.send(req)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// caseNote is a note as a referral shows it.
type caseNote struct {
	ID    string  `json:"id"`
	Kind  string  `json:"kind"`
	Text  *string `json:"text"`
	At    string  `json:"at"`
	Actor struct {
		UserID         string `json:"user_id"`
		OrganisationID string `json:"organisation_id"`
	} `json:"actor"`
	TemporaryAccess *struct {
		UserID    string `json:"user_id"`
		Hours     int    `json:"hours"`
		ExpiresAt string `json:"expires_at"`
	} `json:"temporary_access"`
}

func notesOf(tb testing.TB, r *response, path ...string) []caseNote {
	tb.Helper()
	var body struct {
		Notes []caseNote `json:"notes"`
		State struct {
			Notes []caseNote `json:"notes"`
		} `json:"state"`
	}
	decodeInto(tb, r, &body)
	if len(path) > 0 && path[0] == "state" {
		return body.State.Notes
	}
	return body.Notes
}

// TestTemporaryAccessReasonIsACaseNote_LOCK4: the reason for short-term
// access is a note on the case (R-LOCK-4), shown with the referral's
// notes, in its history's state and on its page, with who granted it,
// when, whom it let in and for how long, to everyone the lock lets in; on
// the referrals of the granting organisation only (R-AUTH-4); sealed in
// the store (R-PRIV-1) and without its text once the client is erased
// (R-PRIV-3).
func TestTemporaryAccessReasonIsACaseNote_LOCK4(t *testing.T) {
	n := newLockNet(t, withWebPages())
	// The client's second referral, between A and C: not the granting
	// organisation's.
	other := n.makeReferralWith(t, n.AdviserA.Token, map[string]any{"to_organisation_id": n.OrgC,
		"client": map[string]any{"client_id": n.Client}, "reason": "Debt advice.",
		"consent": map[string]any{"method": "written", "confirmed": true}, "privacy_notice_given": true})
	n.lock(t, n.Client, map[string]any{"allow": []map[string]any{{"team": "duty"}, {"user_id": n.AdviserC.ID}}})
	before := n.Clock.Now()
	n.Clock.Advance(time.Minute)
	granted := n.Clock.Now()
	const reason = "Qz9grant covering the complaint visit"
	g := want(t, n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/temporary-access", n.AdviserB.Token,
		map[string]any{"user_id": n.LeadB.ID, "reason": reason, "hours": 2}), http.StatusCreated)

	path := "/v1/referrals/" + n.Referral
	check := func(t *testing.T, notes []caseNote, text *string) {
		t.Helper()
		if len(notes) != 1 {
			t.Fatalf("%d notes, want the grant's: %+v", len(notes), notes)
		}
		c := notes[0]
		if c.Kind != "temporary_access" || c.ID != g.str("id") || c.Actor.UserID != n.AdviserB.ID || c.Actor.OrganisationID != n.OrgB ||
			c.TemporaryAccess == nil || c.TemporaryAccess.UserID != n.LeadB.ID || c.TemporaryAccess.Hours != 2 ||
			c.TemporaryAccess.ExpiresAt != g.str("expires_at") {
			t.Fatalf("note: %+v", c)
		}
		if at, _ := time.Parse(time.RFC3339, c.At); !at.Equal(granted.Truncate(time.Second)) {
			t.Errorf("note at %s", c.At)
		}
		if (c.Text == nil) != (text == nil) || text != nil && *c.Text != *text {
			t.Fatalf("note text %v, want %v", c.Text, text)
		}
	}
	text := reason
	for _, u := range []testUser{n.AdviserB, n.LeadB, n.DutyMember, n.AdviserC} {
		check(t, notesOf(t, want(t, n.do(t, http.MethodGet, path, u.Token, nil), http.StatusOK)), &text)
	}
	check(t, notesOf(t, want(t, n.do(t, http.MethodGet, path+"/history", n.AdviserB.Token, nil), http.StatusOK), "state"), &text)
	if notes := notesOf(t, want(t, n.do(t, http.MethodGet, path+"/history?as_of="+before.Format(time.RFC3339Nano), n.AdviserB.Token, nil),
		http.StatusOK), "state"); len(notes) != 0 {
		t.Errorf("the state before the grant shows its note: %+v", notes)
	}
	// The answer to a command on the referral shows it too.
	check(t, notesOf(t, want(t, n.do(t, http.MethodPost, path+"/acknowledgement", n.AdviserB.Token, map[string]any{}), http.StatusOK)), &text)
	// The referral between A and C does not: B wrote the note.
	if notes := notesOf(t, want(t, n.do(t, http.MethodGet, "/v1/referrals/"+other, n.AdviserC.Token, nil), http.StatusOK)); len(notes) != 0 {
		t.Errorf("a referral the granting organisation is no party to shows its note: %+v", notes)
	}
	// Whoever the lock keeps out learns nothing of it.
	if r := n.do(t, http.MethodGet, path, n.AdviserA.Token, nil); r.Status != http.StatusForbidden || strings.Contains(string(r.Body), reason) {
		t.Fatalf("the referrer, locked out: %d %s", r.Status, r.Body)
	}

	// The referral's page shows it among the notes.
	page := n.webPage(t, "/referrals/"+n.Referral, n.AdviserB.Token)
	if page.Status != http.StatusOK {
		t.Fatalf("referral page: %d", page.Status)
	}
	for _, s := range []string{"Temporary access", "Test lead.b", "2 hours", reason, "Test adviser.b"} {
		if !strings.Contains(string(page.Body), s) {
			t.Errorf("the referral page lacks %q", s)
		}
	}

	// Sealed under the client's key in the store.
	n.flushReads(t)
	for after := eventstore.Start; ; {
		events, err := n.Store.ReadAll(context.Background(), after, 500)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range events {
			if bytes.Contains(ev.Data, []byte("Qz9grant")) {
				t.Fatalf("%s holds the reason in clear", ev.Type)
			}
		}
		if len(events) < 500 {
			break
		}
		after = events[len(events)-1].Position
	}

	// Erased: the note stays, without its text.
	n.eraseAs(t, n.AdviserB.Token, n.Client, "asked in person")
	r := want(t, n.do(t, http.MethodGet, path, n.AdviserB.Token, nil), http.StatusOK)
	check(t, notesOf(t, r), nil)
	if strings.Contains(string(r.Body), reason) {
		t.Fatalf("the reason is read after erasure: %s", r.Body)
	}
}
