package http

// Behaviour tests of client erasure (R-PRIV-2, R-PRIV-3) on a real node:
// the request and decision workflow, and what every read shows afterwards.
// api_privacy_keystore_test.go has what happens when the key store fails
// or comes back from a backup.

import (
	"context"
	"database/sql"
	"errors"
	"maps"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
	keysqlite "github.com/referral-ledger/ledger/keystore/sqlite"
)

// clientOf returns the client id of a referral, read by the referrer.
func (n *network) clientOf(tb testing.TB, referral string) string {
	tb.Helper()
	r := want(tb, n.do(tb, http.MethodGet, "/v1/referrals/"+referral, n.AdviserA.Token, nil), http.StatusOK)
	id := r.str("client_id")
	if id == "" {
		tb.Fatalf("referral without client_id: %s", r.Body)
	}
	return id
}

// requestErasure sends POST /v1/clients/{client}/erasure-requests.
func (a *testAPI) requestErasure(tb testing.TB, token, client, reason string, headers ...string) *response {
	tb.Helper()
	return a.do(tb, http.MethodPost, "/v1/clients/"+client+"/erasure-requests", token, map[string]any{"reason": reason}, headers...)
}

// decideErasure sends POST /v1/erasure-requests/{request}/decision.
func (a *testAPI) decideErasure(tb testing.TB, token, request string, carryOut bool, reason string) *response {
	tb.Helper()
	return a.do(tb, http.MethodPost, "/v1/erasure-requests/"+request+"/decision", token,
		map[string]any{"carry_out": carryOut, "reason": reason})
}

// erase has the referrer's adviser request the client's erasure with
// reason and the coordinator carry it out; it returns the request id.
func (n *network) erase(tb testing.TB, client, reason string) string {
	tb.Helper()
	return n.eraseAs(tb, n.AdviserA.Token, client, reason)
}

// eraseAs is erase with the request made by the user whose token is given:
// on a locked case, someone the lock lets in (R-LOCK-2).
func (n *network) eraseAs(tb testing.TB, token, client, reason string) string {
	tb.Helper()
	req := want(tb, n.requestErasure(tb, token, client, reason), http.StatusCreated).str("id")
	r := want(tb, n.decideErasure(tb, n.Admin.Token, req, true, ""), http.StatusOK)
	if r.str("status") != "carried_out" || r.str("client_id") != client || r.str("id") != req {
		tb.Fatalf("erasure decision: %s", r.Body)
	}
	return req
}

// keyRow reports whether keys.db in dir holds a wrapped key for client and
// whether it holds the client's tombstone, read straight from the file.
func keyRow(tb testing.TB, dir, client string) (wrapped []byte, tombstone bool) {
	tb.Helper()
	db := openSQLite(tb, filepath.Join(dir, keysqlite.FileName))
	defer db.Close()
	err := db.QueryRow(`SELECT wrapped FROM keys WHERE client_id = ?`, client).Scan(&wrapped)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		tb.Fatalf("read keys: %v", err)
	}
	if err := db.QueryRow(`SELECT EXISTS (SELECT 1 FROM destroyed WHERE client_id = ?)`, client).Scan(&tombstone); err != nil {
		tb.Fatalf("read destroyed: %v", err)
	}
	return wrapped, tombstone
}

// openSQLite opens a SQLite file of the data directory read-only, beside
// the node that writes it. Close it before the node checkpoints: a reader
// in a transaction would hold a TRUNCATE checkpoint back.
func openSQLite(tb testing.TB, path string) *sql.DB {
	tb.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		tb.Fatalf("open %s: %v", path, err)
	}
	return db
}

// TestErasureWorkflow follows erasure requests through the workflow
// (R-PRIV-2): who may request one, who may decide it, and how a request is
// refused, carried out, and not decided twice.
func TestErasureWorkflow(t *testing.T) {
	n := newNetwork(t)
	client := n.clientOf(t, n.Referral)

	var requests []string
	t.Run("Request", func(t *testing.T) {
		tests := []struct {
			name   string
			user   testUser
			status int
		}{
			{"AdviserOfReferrer", n.AdviserA, http.StatusCreated},
			{"AdviserOfReceiver", n.AdviserB, http.StatusCreated},
			{"OrgLeadOfReceiver", n.LeadB, http.StatusCreated},
			{"HelpdeskOfReceiver", n.HelpdeskB, http.StatusForbidden},
			{"AdviserOfOutsider", n.AdviserC, http.StatusNotFound},
			// The coordinator's organisation is not involved with the
			// client: it learns nothing from this route either.
			{"Coordinator", n.Admin, http.StatusNotFound},
			{"Auditor", n.Auditor, http.StatusNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := n.head(t)
				r := n.requestErasure(t, tt.user.Token, client, "The client wrote asking to be forgotten.")
				if r.Status != tt.status {
					t.Fatalf("status %d, want %d; body %s", r.Status, tt.status, r.Body)
				}
				if tt.status != http.StatusCreated {
					r.problem(t, tt.status)
					if after := n.head(t); after != before {
						t.Errorf("a refused request appended events: head %d → %d", before, after)
					}
					if tt.status == http.StatusNotFound {
						// Identical to a client that does not exist.
						missing := n.requestErasure(t, tt.user.Token, uuid.NewString(), "The client wrote asking to be forgotten.")
						missing.problem(t, http.StatusNotFound)
						if a, b := r.withoutRequest(t), missing.withoutRequest(t); a != b {
							t.Errorf("unknown and uninvolved client answer differently:\n %s\n %s", a, b)
						}
					}
					return
				}
				id := r.str("id")
				if _, err := uuid.Parse(id); err != nil || r.str("client_id") != client || r.str("status") != "requested" {
					t.Fatalf("request body: %s", r.Body)
				}
				if loc := r.Header.Get("Location"); loc != "/v1/erasure-requests/"+id {
					t.Errorf("Location %q", loc)
				}
				requests = append(requests, id)
			})
		}
	})
	if len(requests) != 3 {
		t.Fatalf("%d requests recorded, want 3", len(requests))
	}
	if got := n.countEvents(t, domain.ClientErasureRequestedType); got != 3 {
		t.Errorf("%d erasure_requested events, want 3", got)
	}

	t.Run("RequestInvalid", func(t *testing.T) {
		before := n.head(t)
		n.requestErasure(t, n.AdviserA.Token, client, "").invalid(t, "reason")
		n.requestErasure(t, n.AdviserA.Token, client, strings.Repeat("x", domain.MaxLongText+1)).invalid(t, "reason")
		n.do(t, http.MethodPost, "/v1/clients/"+client+"/erasure-requests", n.AdviserA.Token, map[string]any{}).invalid(t, "reason")
		n.do(t, http.MethodPost, "/v1/clients/not-a-uuid/erasure-requests", n.AdviserA.Token,
			map[string]any{"reason": "Asked by phone."}).problem(t, http.StatusBadRequest)
		if after := n.head(t); after != before {
			t.Errorf("invalid requests appended events: head %d → %d", before, after)
		}
	})

	refused, carried, other := requests[0], requests[1], requests[2]
	t.Run("OnlyTheCoordinatorDecides", func(t *testing.T) {
		before := n.head(t)
		for _, u := range []testUser{n.AdviserA, n.AdviserB, n.LeadA, n.LeadB, n.HelpdeskB, n.TeamManager, n.AdviserC, n.Auditor} {
			n.decideErasure(t, u.Token, carried, true, "").problem(t, http.StatusForbidden)
			n.decideErasure(t, u.Token, refused, false, "Legal hold.").problem(t, http.StatusForbidden)
		}
		if after := n.head(t); after != before {
			t.Errorf("refused decisions appended events: head %d → %d", before, after)
		}
	})

	t.Run("DecisionInvalid", func(t *testing.T) {
		before := n.head(t)
		n.decideErasure(t, n.Admin.Token, uuid.NewString(), true, "").problem(t, http.StatusNotFound)
		n.decideErasure(t, n.Admin.Token, uuid.NewString(), false, "Legal hold.").problem(t, http.StatusNotFound)
		n.decideErasure(t, n.Admin.Token, refused, false, "").invalid(t, "reason")
		n.do(t, http.MethodPost, "/v1/erasure-requests/"+refused+"/decision", n.Admin.Token,
			map[string]any{"reason": "Legal hold."}).invalid(t, "carry_out")
		if after := n.head(t); after != before {
			t.Errorf("invalid decisions appended events: head %d → %d", before, after)
		}
	})

	t.Run("Refuse", func(t *testing.T) {
		r := want(t, n.decideErasure(t, n.Admin.Token, refused, false, "Legal hold: court case pending."), http.StatusOK)
		if r.str("id") != refused || r.str("client_id") != client || r.str("status") != "refused" {
			t.Fatalf("refusal body: %s", r.Body)
		}
		// Refused: the client's data is still there for everyone involved.
		g := want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil), http.StatusOK)
		checkReferral(t, g, map[string]any{"erased": false, "client.erased": false, "client.name": "Client Zero",
			"reason": "Needs help with housing."})
		before := n.head(t)
		n.decideErasure(t, n.Admin.Token, refused, false, "Legal hold again.").problem(t, http.StatusConflict)
		n.decideErasure(t, n.Admin.Token, refused, true, "").problem(t, http.StatusConflict)
		if after := n.head(t); after != before {
			t.Errorf("deciding twice appended events: head %d → %d", before, after)
		}
	})

	t.Run("CarryOut", func(t *testing.T) {
		r := want(t, n.decideErasure(t, n.Admin.Token, carried, true, ""), http.StatusOK)
		if r.str("id") != carried || r.str("client_id") != client || r.str("status") != "carried_out" {
			t.Fatalf("decision body: %s", r.Body)
		}
		for typ, count := range map[string]int{domain.ClientErasureStartedType: 1, domain.ClientErasedType: 1,
			domain.ClientErasureRefusedType: 1} {
			if got := n.countEvents(t, typ); got != count {
				t.Errorf("%d %s events, want %d", got, typ, count)
			}
		}
		before := n.head(t)
		n.decideErasure(t, n.Admin.Token, carried, true, "").problem(t, http.StatusConflict)
		n.decideErasure(t, n.Admin.Token, carried, false, "Changed our mind.").problem(t, http.StatusConflict)
		// The other open request cannot erase the client a second time,
		// nor refuse what is done.
		n.decideErasure(t, n.Admin.Token, other, true, "").problem(t, http.StatusConflict)
		if after := n.head(t); after != before {
			t.Errorf("deciding again appended events: head %d → %d", before, after)
		}
	})
}

// erasureLifecycle is a referral taken from making to closing, with every
// free-text field filled in, and a second, open referral of the same
// client.
type erasureLifecycle struct {
	Client, Closed, Open string
}

// runErasureLifecycle makes an urgent referral from A to B with body,
// then acknowledges, assigns, declines the urgency, adds a note and closes
// it, with the given free text; then a second referral of the same client
// from A to C, under a safeguarding override.
func (n *network) runErasureLifecycle(tb testing.TB, body map[string]any, feedback, note, comment, override string) erasureLifecycle {
	tb.Helper()
	id := n.makeReferralWith(tb, n.AdviserA.Token, body)
	path := "/v1/referrals/" + id
	want(tb, n.do(tb, http.MethodPost, path+"/acknowledgement", n.AdviserB.Token, map[string]any{}), http.StatusOK)
	want(tb, n.do(tb, http.MethodPost, path+"/assignment", n.LeadB.Token, map[string]any{"user_id": n.AdviserB.ID}), http.StatusOK)
	want(tb, n.do(tb, http.MethodPost, path+"/urgency-review", n.AdviserB.Token,
		map[string]any{"urgent": false, "feedback": feedback}), http.StatusOK)
	want(tb, n.do(tb, http.MethodPost, path+"/notes", n.AdviserA.Token,
		map[string]any{"text": note, "agreed_close_by": "2027-01-08"}), http.StatusCreated)
	want(tb, n.do(tb, http.MethodPost, path+"/closure", n.AdviserB.Token,
		map[string]any{"outcome": "positive", "comment": comment}), http.StatusOK)
	client := n.clientOf(tb, id)
	open := n.makeReferralWith(tb, n.AdviserA.Token, map[string]any{
		"to_organisation_id": n.OrgC, "client": map[string]any{"client_id": client},
		"reason": body["reason"], "safeguarding_override": map[string]any{"reason": override},
		"privacy_notice_given": true,
	})
	return erasureLifecycle{Client: client, Closed: id, Open: open}
}

// TestReadsAfterErasure checks what every read shows once a client is
// erased (R-PRIV-3): client fields and free text null with erased true,
// everything else as it was; the history still verifies, because the hash
// chains cover the ciphertext; and nothing new can be recorded about the
// client.
func TestReadsAfterErasure(t *testing.T) {
	n := newNetwork(t)
	body := validReferral(n.OrgB, "Client Erasable")
	body["urgent"] = true
	lc := n.runErasureLifecycle(t, body, "Can wait a week.", "Landlord replies in January.", "Housed.", "Risk of harm.")

	read := func(tb testing.TB, token, id string) (*response, map[string]any) {
		tb.Helper()
		r := want(tb, n.do(tb, http.MethodGet, "/v1/referrals/"+id, token, nil), http.StatusOK)
		var m map[string]any
		decodeInto(tb, r, &m)
		return r, m
	}
	_, closedBefore := read(t, n.AdviserB.Token, lc.Closed)
	_, openBefore := read(t, n.AdviserA.Token, lc.Open)
	histBefore, eventsBefore := n.history(t, n.Auditor.Token, lc.Closed, "")
	var hb struct {
		Events []map[string]any `json:"events"`
	}
	decodeInto(t, histBefore, &hb)
	if closedBefore["erased"] != false || closedBefore["reason"] != "Needs help with housing." {
		t.Fatalf("before erasure the referral should be readable: %v", closedBefore)
	}

	n.erase(t, lc.Client, "The client asked to be forgotten.")

	// erasedView is what a referral read before erasure should look like
	// after it: client fields and free text null, erased true, nothing
	// else changed.
	erasedView := func(before map[string]any) map[string]any {
		out := maps.Clone(before)
		c := maps.Clone(before["client"].(map[string]any))
		for _, k := range []string{"name", "date_of_birth", "phone", "email", "address"} {
			c[k] = nil
		}
		c["erased"] = true
		out["client"] = c
		out["erased"] = true
		for _, k := range []string{"reason", "comment", "urgency_feedback"} {
			out[k] = nil
		}
		// The override's reason is sealed; that the referral was shared
		// under an override stays on record.
		if before["safeguarding_override"] != nil {
			out["safeguarding_override"] = map[string]any{"reason": nil}
		}
		notes := []any{}
		for _, note := range before["notes"].([]any) {
			nn := maps.Clone(note.(map[string]any))
			nn["text"] = nil
			notes = append(notes, nn)
		}
		out["notes"] = notes
		return out
	}

	t.Run("Referral", func(t *testing.T) {
		for _, c := range []struct {
			name, id string
			before   map[string]any
			users    []testUser
		}{
			{"Closed", lc.Closed, closedBefore, []testUser{n.AdviserA, n.AdviserB, n.Admin, n.Auditor}},
			{"Open", lc.Open, openBefore, []testUser{n.AdviserA, n.AdviserC}},
		} {
			t.Run(c.name, func(t *testing.T) {
				wantView := erasedView(c.before)
				for _, u := range c.users {
					r, got := read(t, u.Token, c.id)
					if !reflect.DeepEqual(got, wantView) {
						t.Errorf("%s reads after erasure:\n got  %s\n want %s", u.Username, r.Body, mustJSON(t, wantView))
					}
				}
			})
		}
		// The fields checked by name, so the comparison above cannot pass
		// vacuously.
		r, _ := read(t, n.AdviserB.Token, lc.Closed)
		checkReferral(t, r, map[string]any{"erased": true, "client.erased": true, "client.name": nil,
			"client.date_of_birth": nil, "client.phone": nil, "client.email": nil, "client.address": nil,
			"client.client_id": lc.Client, "client_id": lc.Client, "reason": nil, "comment": nil,
			"urgency_feedback": nil, "status": "closed", "outcome": "positive", "urgency_declined": true,
			"assigned_to": n.AdviserB.ID, "consent.method": "written", "deadlines.close_by": "2027-01-08T23:59:59Z"})
		if notes, _ := r.get("notes").([]any); len(notes) != 1 || notes[0].(map[string]any)["text"] != nil ||
			notes[0].(map[string]any)["agreed_close_by"] != "2027-01-08" {
			t.Errorf("notes after erasure: %v", r.get("notes"))
		}
	})

	t.Run("History", func(t *testing.T) {
		for _, u := range []testUser{n.Auditor, n.AdviserA, n.AdviserB} {
			r, events := n.history(t, u.Token, lc.Closed, "")
			var h struct {
				Verified bool             `json:"verified"`
				Events   []map[string]any `json:"events"`
				State    map[string]any   `json:"state"`
			}
			decodeInto(t, r, &h)
			if !h.Verified {
				t.Errorf("%s: history no longer verifies after erasure: %s", u.Username, r.Body)
			}
			if !reflect.DeepEqual(events, eventsBefore) {
				t.Errorf("%s: the events' envelopes changed with erasure:\n %v\n %v", u.Username, events, eventsBefore)
			}
			if want := erasedView(closedBefore); !reflect.DeepEqual(h.State, want) {
				t.Errorf("%s: history state after erasure:\n got  %s\n want %s", u.Username, mustJSON(t, h.State), mustJSON(t, want))
			}
			sensitive := map[string][]string{
				domain.ReferralMadeType: {"client", "reason", "safeguarding_override", "forward_comment"}, domain.ReferralNoteAddedType: {"text"},
				domain.ReferralUrgencyDeclinedType: {"feedback"}, domain.ReferralClosedType: {"comment"},
			}
			for i, ev := range h.Events {
				typ := ev["type"].(string)
				before := maps.Clone(hb.Events[i])
				data := maps.Clone(before["data"].(map[string]any))
				if fields, ok := sensitive[typ]; ok {
					for _, f := range fields {
						data[f] = nil
					}
					data["erased"] = true
					before["erased"] = true
				}
				before["data"] = data
				if !reflect.DeepEqual(ev, before) {
					t.Errorf("%s: %s after erasure:\n got  %s\n want %s", u.Username, typ, mustJSON(t, ev), mustJSON(t, before))
				}
			}
		}
	})

	t.Run("LedgerVerifies", func(t *testing.T) {
		n.flushReads(t) // the reads queued for the access log are part of the ledger
		rep, err := sqlite.Verify(context.Background(), filepath.Join(n.Dir, "events.db"))
		if err != nil {
			t.Fatalf("verify after erasure: %v", err)
		}
		if head := n.head(t); rep.Last != head || rep.Events != int(head) {
			t.Errorf("verify checked %d events up to %d; head is %d", rep.Events, rep.Last, head)
		}
	})

	t.Run("NothingNewAboutTheClient", func(t *testing.T) {
		before := n.head(t)
		// No new key for an erased client: a referral naming them, free
		// text on their open referral, or a second erasure request.
		again := validReferral(n.OrgB, "Client Erasable")
		again["client"] = map[string]any{"client_id": lc.Client}
		n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, again).problem(t, http.StatusConflict)
		n.do(t, http.MethodPost, "/v1/referrals/"+lc.Open+"/notes", n.AdviserA.Token,
			map[string]any{"text": "Still there?"}).problem(t, http.StatusConflict)
		n.requestErasure(t, n.AdviserA.Token, lc.Client, "Again, please.").problem(t, http.StatusConflict)
		n.requestErasure(t, n.AdviserB.Token, lc.Client, "Again, please.").problem(t, http.StatusConflict)
		// An organisation that never knew the client still learns nothing.
		n.requestErasure(t, n.LeadA.Token, uuid.NewString(), "Again, please.").problem(t, http.StatusNotFound)
		if after := n.head(t); after != before {
			t.Errorf("writes about an erased client appended events: head %d → %d", before, after)
		}
		if wrapped, tomb := keyRow(t, n.Dir, lc.Client); wrapped != nil || !tomb {
			t.Errorf("after refused writes: key row %v, tombstone %v; want none and a tombstone", wrapped != nil, tomb)
		}
	})
}
