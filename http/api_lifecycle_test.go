package http

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/domain"
)

// The lifecycle routes of R-REF-9..12 through the API.

func lifecyclePath(id, action string) string { return "/v1/referrals/" + id + "/" + action }

func forwardBody(to string) map[string]any {
	return map[string]any{"to_organisation_id": to, "comment": "Better placed to help with debt.",
		"consent": map[string]any{"method": "verbal", "confirmed": true}}
}

// inboxIDs lists the ids of the caller's inbox, with query.
func (n *network) inboxIDs(t *testing.T, token, query string) []string {
	t.Helper()
	var body struct {
		Referrals []struct {
			ID      string `json:"id"`
			Status  string `json:"status"`
			Overdue bool   `json:"overdue"`
		} `json:"referrals"`
	}
	decodeInto(t, want(t, n.do(t, http.MethodGet, "/v1/inbox"+query, token, nil), http.StatusOK), &body)
	var out []string
	for _, r := range body.Referrals {
		if r.Overdue && r.Status != "made" && r.Status != "acknowledged" {
			t.Errorf("an ended referral (%s) is overdue", r.Status)
		}
		out = append(out, r.ID)
	}
	return out
}

func contains(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// TestAPIDecline_REF9: the receiver declines an open referral with a reason
// code and a comment: 200 with the referral declined; it leaves the open
// inbox (listed under ?status=declined) and is never overdue. The referrer
// may not (403), an uninvolved organisation hears nothing (404), a bad
// reason code is 422 and writes nothing, declining again or declining a
// closed referral is 409.
func TestAPIDecline_REF9(t *testing.T) {
	n := newNetwork(t)
	path := lifecyclePath(n.Referral, "decline")
	body := map[string]any{"reason_code": "no_capacity", "comment": "No capacity this month."}
	n.do(t, http.MethodPost, path, n.AdviserA.Token, body).problem(t, http.StatusForbidden)
	n.do(t, http.MethodPost, path, n.AdviserC.Token, body).problem(t, http.StatusNotFound)
	n.do(t, http.MethodPost, path, n.AdviserB.Token, map[string]any{"reason_code": "busy", "comment": "x"}).invalid(t, "reason_code")
	if c := n.countEvents(t, domain.ReferralDeclinedType); c != 0 {
		t.Fatalf("refused declines wrote %d events", c)
	}
	r := want(t, n.do(t, http.MethodPost, path, n.AdviserB.Token, body), http.StatusOK)
	checkReferral(t, r, map[string]any{"status": "declined", "decline_reason_code": "no_capacity", "decline_comment": "No capacity this month."})
	if r.str("declined_at") == "" || r.JSON["overdue"] != false {
		t.Errorf("declined: %s", r.Body)
	}
	// The referrer sees it declined, with the reason (R-REF-9: the referrer is told).
	checkReferral(t, want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserA.Token, nil), http.StatusOK),
		map[string]any{"status": "declined", "decline_reason_code": "no_capacity"})
	p := n.do(t, http.MethodPost, path, n.AdviserB.Token, body).problem(t, http.StatusConflict)
	if !strings.Contains(p.Detail, "declined") {
		t.Errorf("409 detail %q does not say declined", p.Detail)
	}
	n.do(t, http.MethodPost, lifecyclePath(n.Referral, "acknowledgement"), n.AdviserB.Token, map[string]any{}).problem(t, http.StatusConflict)

	n.Clock.Advance(30 * 24 * time.Hour) // far past every deadline
	if ids := n.inboxIDs(t, n.AdviserB.Token, ""); contains(ids, n.Referral) {
		t.Error("a declined referral is in the open inbox")
	}
	if ids := n.inboxIDs(t, n.AdviserB.Token, "?status=declined"); !contains(ids, n.Referral) {
		t.Error("?status=declined does not list the declined referral")
	}
	overdue := want(t, n.do(t, http.MethodGet, "/v1/overdue", n.Admin.Token, nil), http.StatusOK)
	if strings.Contains(string(overdue.Body), n.Referral) {
		t.Error("a declined referral is overdue")
	}

	closed := n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Closed")
	want(t, n.do(t, http.MethodPost, lifecyclePath(closed, "acknowledgement"), n.AdviserB.Token, map[string]any{}), http.StatusOK)
	want(t, n.do(t, http.MethodPost, lifecyclePath(closed, "closure"), n.AdviserB.Token,
		map[string]any{"outcome": "negative", "comment": "Not taken forward."}), http.StatusOK)
	p = n.do(t, http.MethodPost, lifecyclePath(closed, "decline"), n.AdviserB.Token, body).problem(t, http.StatusConflict)
	if !strings.Contains(p.Detail, "closed") {
		t.Errorf("declining a closed referral: detail %q", p.Detail)
	}
}

// TestAPIForward_REF10: the receiver forwards an open referral to an
// organisation accepting referrals, with consent (or a safeguarding
// override) as for making one: 201 with the new referral, which names the
// same client and links back; the original is forwarded and links on.
// Intake off is 422 naming the intake and writes nothing; so is missing
// consent. The new receiver sees the new referral but not the original;
// the original receiver sees both; the original referrer keeps seeing the
// original only. A chain A→B→C→A is followed both ways.
func TestAPIForward_REF10(t *testing.T) {
	n := newNetwork(t)
	leadC := n.addUser(t, n.OrgC, "lead.c", domain.RoleOrgLead)
	original := want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil), http.StatusOK)
	path := lifecyclePath(n.Referral, "forward")
	made, forwarded := n.countEvents(t, domain.ReferralMadeType), n.countEvents(t, domain.ReferralForwardedType)

	want(t, n.do(t, http.MethodPut, "/v1/organisations/"+n.OrgC+"/intake", leadC.Token,
		map[string]any{"accepting": false, "reason": "Staff shortage"}), http.StatusOK)
	p := n.do(t, http.MethodPost, path, n.AdviserB.Token, forwardBody(n.OrgC)).invalid(t, "to_organisation_id")
	if !strings.Contains(p.Detail+p.Errors[0].Message, "intake is switched off") || !strings.Contains(p.Errors[0].Message, "Gamma Debt") {
		t.Errorf("intake off: %+v", p)
	}
	want(t, n.do(t, http.MethodPut, "/v1/organisations/"+n.OrgC+"/intake", leadC.Token,
		map[string]any{"accepting": true, "reason": "Back"}), http.StatusOK)
	noConsent := forwardBody(n.OrgC)
	delete(noConsent, "consent")
	n.do(t, http.MethodPost, path, n.AdviserB.Token, noConsent).invalid(t, "consent")
	unconfirmed := forwardBody(n.OrgC)
	unconfirmed["consent"] = map[string]any{"method": "verbal", "confirmed": false}
	n.do(t, http.MethodPost, path, n.AdviserB.Token, unconfirmed).invalid(t, "consent.confirmed")
	n.do(t, http.MethodPost, path, n.AdviserA.Token, forwardBody(n.OrgC)).problem(t, http.StatusForbidden)
	n.do(t, http.MethodPost, path, n.AdviserC.Token, forwardBody(n.OrgC)).problem(t, http.StatusNotFound)
	if n.countEvents(t, domain.ReferralMadeType) != made || n.countEvents(t, domain.ReferralForwardedType) != forwarded {
		t.Fatal("a refused forward wrote events (no partial write)")
	}

	first := want(t, n.do(t, http.MethodPost, path, n.AdviserB.Token, forwardBody(n.OrgC), "Idempotency-Key", "fwd-1"), http.StatusCreated)
	next := first.str("id")
	checkReferral(t, first, map[string]any{"status": "made", "from_organisation_id": n.OrgB, "to_organisation_id": n.OrgC,
		"client_id": original.str("client_id"), "forwarded_from": n.Referral, "forwarded_from_comment": "Better placed to help with debt.",
		"reason": original.str("reason")})
	if first.str("client", "name") != "Client Zero" || first.Header.Get("Location") != "/v1/referrals/"+next || next == n.Referral {
		t.Errorf("new referral: %s (Location %q)", first.Body, first.Header.Get("Location"))
	}
	// Its timescales start afresh: acknowledge within 3 working days from today.
	if want := n.Calendar.EndOfDay(n.Calendar.AddWorkingDays(n.Calendar.DateOf(n.Clock.Now()), 3, true)).UTC().Format(time.RFC3339); first.str("deadlines", "acknowledge_by") != want {
		t.Errorf("acknowledge_by %s, want %s", first.str("deadlines", "acknowledge_by"), want)
	}
	again := want(t, n.do(t, http.MethodPost, path, n.AdviserB.Token, forwardBody(n.OrgC), "Idempotency-Key", "fwd-1"), http.StatusCreated)
	if again.str("id") != next || n.countEvents(t, domain.ReferralForwardedType) != forwarded+1 {
		t.Errorf("a retry under the same key forwarded again: %s", again.Body)
	}
	checkReferral(t, want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil), http.StatusOK),
		map[string]any{"status": "forwarded", "forwarded_to": next, "forwarded_to_organisation_id": n.OrgC})
	n.do(t, http.MethodPost, path, n.AdviserB.Token, forwardBody(n.OrgC), "Idempotency-Key", "fwd-2").problem(t, http.StatusConflict)

	// Need to know (R-AUTH-4).
	for _, c := range []struct {
		who    testUser
		id     string
		status int
	}{
		{n.AdviserC, next, http.StatusOK}, {n.AdviserC, n.Referral, http.StatusNotFound},
		{n.AdviserB, next, http.StatusOK}, {n.AdviserB, n.Referral, http.StatusOK},
		{n.AdviserA, n.Referral, http.StatusOK}, {n.AdviserA, next, http.StatusNotFound},
	} {
		if r := n.do(t, http.MethodGet, "/v1/referrals/"+c.id, c.who.Token, nil); r.Status != c.status {
			t.Errorf("%s GET %s: %d, want %d", c.who.Username, c.id, r.Status, c.status)
		}
	}
	if !contains(n.inboxIDs(t, n.AdviserC.Token, ""), next) || contains(n.inboxIDs(t, n.AdviserB.Token, ""), n.Referral) {
		t.Error("inboxes after the forward: the new receiver must have it, the old one no longer")
	}

	// The chain goes on: C forwards to A, under a safeguarding override.
	override := forwardBody(n.OrgA)
	delete(override, "consent")
	override["safeguarding_override"] = map[string]any{"reason": "Risk of significant harm."}
	third := want(t, n.do(t, http.MethodPost, lifecyclePath(next, "forward"), n.AdviserC.Token, override), http.StatusCreated)
	checkReferral(t, third, map[string]any{"forwarded_from": next, "client_id": original.str("client_id"), "from_organisation_id": n.OrgC})
	if third.str("safeguarding_override", "reason") != "Risk of significant harm." || third.get("consent") != nil {
		t.Errorf("override: %s", third.Body)
	}
	// Forwards along forwarded_to from the first, back along forwarded_from from the last.
	middle := want(t, n.do(t, http.MethodGet, "/v1/referrals/"+next, n.AdviserC.Token, nil), http.StatusOK)
	checkReferral(t, middle, map[string]any{"status": "forwarded", "forwarded_from": n.Referral, "forwarded_to": third.str("id")})
}

// TestAPIWithdraw_REF11: the referrer withdraws an open referral with a
// reason; the receiver may not; nothing more is done to it after.
func TestAPIWithdraw_REF11(t *testing.T) {
	n := newNetwork(t)
	path := lifecyclePath(n.Referral, "withdrawal")
	body := map[string]any{"reason": "The client moved away."}
	n.do(t, http.MethodPost, path, n.AdviserB.Token, body).problem(t, http.StatusForbidden)
	n.do(t, http.MethodPost, path, n.AdviserC.Token, body).problem(t, http.StatusNotFound)
	n.do(t, http.MethodPost, path, n.AdviserA.Token, map[string]any{"reason": ""}).invalid(t, "reason")
	if c := n.countEvents(t, domain.ReferralWithdrawnType); c != 0 {
		t.Fatalf("refused withdrawals wrote %d events", c)
	}
	r := want(t, n.do(t, http.MethodPost, path, n.AdviserA.Token, body), http.StatusOK)
	checkReferral(t, r, map[string]any{"status": "withdrawn", "withdraw_reason": "The client moved away."})
	checkReferral(t, want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil), http.StatusOK),
		map[string]any{"status": "withdrawn"})
	n.do(t, http.MethodPost, path, n.AdviserA.Token, body).problem(t, http.StatusConflict)
	n.do(t, http.MethodPost, lifecyclePath(n.Referral, "acknowledgement"), n.AdviserB.Token, map[string]any{}).problem(t, http.StatusConflict)
	if contains(n.inboxIDs(t, n.AdviserB.Token, ""), n.Referral) || !contains(n.inboxIDs(t, n.AdviserB.Token, "?status=withdrawn"), n.Referral) {
		t.Error("a withdrawn referral must leave the open inbox and be listed under ?status=withdrawn")
	}
}

// TestAPIReopen_REF12: the receiver reopens a referral it closed, within
// the period: acknowledged again, close_by restarting from the day of
// reopening; the referrer may not; an open referral, or one closed longer
// ago than the period, is 409 naming the period.
func TestAPIReopen_REF12(t *testing.T) {
	n := newNetwork(t)
	want(t, n.do(t, http.MethodPost, lifecyclePath(n.Referral, "acknowledgement"), n.AdviserB.Token, map[string]any{}), http.StatusOK)
	path := lifecyclePath(n.Referral, "reopening")
	body := map[string]any{"reason": "The client came back."}
	n.do(t, http.MethodPost, path, n.AdviserB.Token, body).problem(t, http.StatusConflict) // still open
	want(t, n.do(t, http.MethodPost, lifecyclePath(n.Referral, "closure"), n.AdviserB.Token,
		map[string]any{"outcome": "negative", "comment": "Not taken forward."}), http.StatusOK)
	n.Clock.Advance(10 * 24 * time.Hour)
	n.do(t, http.MethodPost, path, n.AdviserA.Token, body).problem(t, http.StatusForbidden)
	n.do(t, http.MethodPost, path, n.AdviserC.Token, body).problem(t, http.StatusNotFound)
	n.do(t, http.MethodPost, path, n.AdviserB.Token, map[string]any{}).invalid(t, "reason")
	r := want(t, n.do(t, http.MethodPost, path, n.AdviserB.Token, body), http.StatusOK)
	today := n.Calendar.DateOf(n.Clock.Now())
	closeBy := n.Calendar.EndOfDay(n.Calendar.AddWorkingDays(today, 5, false)).UTC().Format(time.RFC3339)
	checkReferral(t, r, map[string]any{"status": "acknowledged", "reopen_reason": "The client came back.", "outcome": nil, "overdue": false})
	if r.str("deadlines", "close_by") != closeBy {
		t.Errorf("close_by %s, want %s (from the day of reopening)", r.str("deadlines", "close_by"), closeBy)
	}
	if !contains(n.inboxIDs(t, n.AdviserB.Token, ""), n.Referral) {
		t.Error("a reopened referral is not back in the inbox")
	}

	want(t, n.do(t, http.MethodPost, lifecyclePath(n.Referral, "closure"), n.AdviserB.Token,
		map[string]any{"outcome": "positive", "comment": "Done."}), http.StatusOK)
	n.Clock.Advance(31 * 24 * time.Hour)
	p := n.do(t, http.MethodPost, path, n.AdviserB.Token, body).problem(t, http.StatusConflict)
	if !strings.Contains(p.Detail, "within 30 days") {
		t.Errorf("409 after the period: detail %q does not name it", p.Detail)
	}
}
