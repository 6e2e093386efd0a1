package http

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

// storedRead is an access-log record as stored, with who read.
type storedRead struct {
	UserID string
	domain.AccessRecorded
}

// storedReads returns the access records of client as stored now, with
// their reader, without flushing what the server has queued.
func (n *lockNet) storedReads(tb testing.TB, client string) []storedRead {
	tb.Helper()
	ctx := context.Background()
	evs, err := n.Store.ReadStream(ctx, ledger.AccessStream(uuid.MustParse(client)), 0, 0)
	if err != nil {
		tb.Fatal(err)
	}
	codec := ledger.NewPublicCodec()
	var out []storedRead
	for _, ev := range evs {
		rec, err := codec.Decode(ctx, ev)
		if err != nil {
			tb.Fatal(err)
		}
		if a, ok := rec.Event.(*domain.AccessRecorded); ok {
			out = append(out, storedRead{UserID: ev.Metadata.ActorUserID, AccessRecorded: *a})
		}
	}
	return out
}

// TestCommandAnswersOnLockedCaseRecorded_LOCK9_UI2 (R-LOCK-9, R-UI-2): an
// API action whose answer shows a locked client's data — the referral,
// with the client's name, date of birth, reason and notes — is a read of
// it, recorded in the client's access log before it is answered, as GET
// /v1/referrals/{id} is and as the web pages are: one entry per answer,
// naming the route, the reader and the ground the lock lets them in on.
// An idempotent replay answers again, so it is recorded again. The case is
// locked by B's team manager with an adviser of B on the allow list, its
// notification hidden or not.
func TestCommandAnswersOnLockedCaseRecorded_LOCK9_UI2(t *testing.T) {
	n := newLockNet(t)
	ben := n.addUser(t, n.OrgB, "ben.b", domain.RoleAdviser)
	consent := map[string]any{"method": "written", "confirmed": true}

	type step struct {
		method, path string
		token        string
		body         map[string]any
		status       int
	}
	for _, tc := range []struct {
		name   string
		urgent bool
		hidden bool
		// before runs while the case is not yet locked; referral is the
		// referral from A to B, client its client. It returns any ids the
		// action needs.
		before func(tb testing.TB, referral, client string) string
		// action is the allowed user's request on the locked case; prior
		// is what before returned.
		action func(referral, client, prior string) step
		// idempotent routes are sent twice under one key: the replay
		// answers with the client's data too.
		idempotent bool
		// madeNew: the answer is a referral the action made, which the
		// entry names.
		madeNew bool
	}{
		{name: "acknowledgement", action: func(r, _, _ string) step {
			return step{http.MethodPost, "/v1/referrals/" + r + "/acknowledgement", ben.Token, map[string]any{}, http.StatusOK}
		}},
		{name: "assignment", action: func(r, _, _ string) step {
			return step{http.MethodPost, "/v1/referrals/" + r + "/assignment", ben.Token, map[string]any{"user_id": ben.ID}, http.StatusOK}
		}},
		{name: "urgency review", urgent: true, action: func(r, _, _ string) step {
			return step{http.MethodPost, "/v1/referrals/" + r + "/urgency-review", ben.Token,
				map[string]any{"urgent": false, "feedback": "Not urgent: housing is secure this month."}, http.StatusOK}
		}},
		{name: "note", idempotent: true, action: func(r, _, _ string) step {
			return step{http.MethodPost, "/v1/referrals/" + r + "/notes", ben.Token,
				map[string]any{"text": "Spoke to the client about the arrears."}, http.StatusCreated}
		}},
		{name: "note, hidden lock", hidden: true, action: func(r, _, _ string) step {
			return step{http.MethodPost, "/v1/referrals/" + r + "/notes", ben.Token,
				map[string]any{"text": "Called back."}, http.StatusCreated}
		}},
		{name: "closure", before: func(tb testing.TB, r, _ string) string {
			want(tb, n.do(tb, http.MethodPost, "/v1/referrals/"+r+"/acknowledgement", n.AdviserB.Token, map[string]any{}), http.StatusOK)
			return ""
		}, action: func(r, _, _ string) step {
			return step{http.MethodPost, "/v1/referrals/" + r + "/closure", ben.Token,
				map[string]any{"outcome": "positive", "comment": "Rehoused."}, http.StatusOK}
		}},
		{name: "decline", action: func(r, _, _ string) step {
			return step{http.MethodPost, "/v1/referrals/" + r + "/decline", ben.Token,
				map[string]any{"reason_code": "no_capacity", "comment": "No places until March."}, http.StatusOK}
		}},
		{name: "reopening", before: func(tb testing.TB, r, _ string) string {
			want(tb, n.do(tb, http.MethodPost, "/v1/referrals/"+r+"/decline", n.AdviserB.Token,
				map[string]any{"reason_code": "no_capacity", "comment": "Full."}), http.StatusOK)
			return ""
		}, action: func(r, _, _ string) step {
			return step{http.MethodPost, "/v1/referrals/" + r + "/reopening", ben.Token,
				map[string]any{"reason": "A place came free."}, http.StatusOK}
		}},
		{name: "forward", idempotent: true, madeNew: true, action: func(r, _, _ string) step {
			return step{http.MethodPost, "/v1/referrals/" + r + "/forward", ben.Token,
				map[string]any{"to_organisation_id": n.OrgC, "comment": "Debt advice needed.", "consent": consent}, http.StatusCreated}
		}},
		{name: "new referral naming the client, hidden lock", hidden: true, idempotent: true, madeNew: true,
			action: func(_, client, _ string) step {
				body := validReferral(n.OrgC, "")
				body["client"] = map[string]any{"client_id": client, "name": "Client Again", "date_of_birth": "1980-02-29"}
				return step{http.MethodPost, "/v1/referrals", ben.Token, body, http.StatusCreated}
			}},
		{name: "withdrawal, hidden lock", hidden: true, before: func(tb testing.TB, _, client string) string {
			body := validReferral(n.OrgC, "")
			body["client"] = map[string]any{"client_id": client, "name": "Client Again", "date_of_birth": "1980-02-29"}
			return n.makeReferralWith(tb, ben.Token, body)
		}, action: func(_, _, prior string) step {
			return step{http.MethodPost, "/v1/referrals/" + prior + "/withdrawal", ben.Token,
				map[string]any{"reason": "Made in error."}, http.StatusOK}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := validReferral(n.OrgB, "Client "+tc.name)
			body["urgent"] = tc.urgent
			referral := n.makeReferralWith(t, n.AdviserA.Token, body)
			client := n.clientOf(t, referral)
			want(t, n.do(t, http.MethodPost, "/v1/referrals/"+referral+"/notes", n.AdviserA.Token,
				map[string]any{"text": "The client asked us to pass this on."}), http.StatusCreated)
			var prior string
			if tc.before != nil {
				prior = tc.before(t, referral, client)
			}
			n.lock(t, client, map[string]any{"hide_notification": tc.hidden,
				"allow": []map[string]any{{"user_id": ben.ID}}})

			s := tc.action(referral, client, prior)
			var headers []string
			answers := 1
			if tc.idempotent {
				headers, answers = []string{"Idempotency-Key", "lock9-" + tc.name}, 2
			}
			// The route as the access log names it.
			route := s.method + " " + strings.Replace(s.path, referral, ":id", 1)
			if prior != "" {
				route = s.method + " " + strings.Replace(s.path, prior, ":id", 1)
			}
			for i := range answers {
				n.flushReads(t) // what was queued before is stored: the count below is of this answer alone
				before := len(n.storedReads(t, client))
				r := want(t, n.do(t, s.method, s.path, s.token, s.body, headers...), s.status)
				if i == 1 && r.Header.Get("Idempotent-Replayed") != "true" {
					t.Fatalf("the second request was not a replay: %s", r.Body)
				}
				// A note's answer holds the referral it belongs to.
				ref := r.JSON
				if m, ok := r.get("referral").(map[string]any); ok {
					ref = m
				}
				answer := &response{JSON: ref}
				if answer.str("client", "name") == "" || answer.str("client", "date_of_birth") == "" || answer.str("reason") == "" {
					t.Fatalf("the answer does not show the client's data: %s", r.Body)
				}
				if notes, _ := answer.get("notes").([]any); len(notes) == 0 && answer.str("id") == referral {
					t.Fatalf("the answer does not show the notes: %s", r.Body)
				}
				// Not flushed: the record of a locked case's read is stored
				// before its answer.
				reads := n.storedReads(t, client)
				if len(reads) != before+1 {
					t.Fatalf("answer %d: %d access-log entries stored by the time it was answered, want 1", i+1, len(reads)-before)
				}
				got := reads[len(reads)-1]
				wantReferral := referral
				switch {
				case tc.madeNew:
					wantReferral = answer.str("id")
				case prior != "":
					wantReferral = prior
				}
				if got.UserID != ben.ID || got.Grant != string(domain.GrantAllowedUser) || !got.Locked ||
					got.ReferralID.String() != wantReferral || got.Endpoint != route {
					t.Fatalf("answer %d logged as %+v, want %s's allowed_user read of %s, locked, at its route", i+1, got, ben.ID, wantReferral)
				}
			}
		})
	}
}

// TestCommandAnswerAfterErasureRecordedAsARead_LOCK9_UI2 (R-LOCK-9,
// R-UI-2, R-PRIV-3): once the client is erased a command's answer shows
// none of their data; on a locked case it is recorded exactly as a read of
// the same referral is: as many entries, on the same ground. On a case
// that is not locked the command's own event records who acted, and the
// answer adds no access record.
func TestCommandAnswerAfterErasureRecordedAsARead_LOCK9_UI2(t *testing.T) {
	n := newLockNet(t)
	ben := n.addUser(t, n.OrgB, "ben.b", domain.RoleAdviser)
	for _, locked := range []bool{false, true} {
		referral := n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Erased")
		client := n.clientOf(t, referral)
		if locked {
			n.lock(t, client, map[string]any{"allow": []map[string]any{{"user_id": ben.ID}}})
		}
		n.eraseAs(t, ben.Token, client, "The client asked us to erase their data.")

		recorded := func(tb testing.TB, method, path string, body map[string]any, status int) []storedRead {
			tb.Helper()
			n.flushReads(tb)
			before := len(n.storedReads(tb, client))
			r := want(tb, n.do(tb, method, path, ben.Token, body), status)
			if r.get("erased") != true || r.get("client", "name") != nil || r.get("reason") != nil {
				tb.Fatalf("the answer shows an erased client's data: %s", r.Body)
			}
			n.flushReads(tb)
			return n.storedReads(tb, client)[before:]
		}
		read := recorded(t, http.MethodGet, "/v1/referrals/"+referral, nil, http.StatusOK)
		answer := recorded(t, http.MethodPost, "/v1/referrals/"+referral+"/decline", map[string]any{"reason_code": "duplicate"}, http.StatusOK)
		if !locked {
			// Not locked: the decline's own event records who acted.
			if len(answer) != 0 {
				t.Fatalf("the answer on a case that is not locked added %d access records: %+v", len(answer), answer)
			}
			continue
		}
		if len(read) != len(answer) {
			t.Fatalf("locked %v: a read was recorded %d times, the decline's answer %d times", locked, len(read), len(answer))
		}
		for i := range read {
			r, a := read[i], answer[i]
			if a.UserID != r.UserID || a.Grant != r.Grant || a.Locked != r.Locked || a.ReferralID != r.ReferralID ||
				a.Endpoint != "POST /v1/referrals/:id/decline" {
				t.Fatalf("locked %v: the decline's answer was recorded as %+v, the read as %+v", locked, a, r)
			}
		}
	}
}
