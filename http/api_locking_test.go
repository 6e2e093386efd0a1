package http

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// lockNet is the network with the managers and special roles case locking
// needs.
type lockNet struct {
	*network
	ServiceManager, DutyMember, SystemSupport, EmergencyDuty testUser
	Client                                                   string
}

func newLockNet(tb testing.TB, opts ...apiOption) *lockNet {
	tb.Helper()
	n := &lockNet{network: newNetwork(tb, opts...)}
	n.ServiceManager = n.addUser(tb, n.OrgB, "service.b", domain.RoleServiceManager)
	want(tb, n.do(tb, http.MethodPost, "/v1/organisations/"+n.OrgB+"/users", n.Admin.Token, map[string]any{
		"username": "duty.b", "display_name": "Duty member", "email": "duty@example.org",
		"roles": []string{"adviser"}, "team": "duty", "password": testInitialPassword}), http.StatusCreated)
	n.DutyMember = n.firstSignIn(tb, "duty.b", testInitialPassword)
	n.SystemSupport = n.addUser(tb, n.CoordinatorOrg, "support", domain.RoleSystemSupport)
	n.EmergencyDuty = n.addUser(tb, n.CoordinatorOrg, "edt", domain.RoleEmergencyDuty)
	n.Client = want(tb, n.do(tb, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil), http.StatusOK).str("client_id")
	return n
}

// lock requests and approves a lock on client with the given body extras.
func (n *lockNet) lock(tb testing.TB, client string, extra map[string]any) string {
	tb.Helper()
	body := map[string]any{"responsible_user_id": n.AdviserB.ID, "reason": "a related member of staff",
		"allow": []map[string]any{{"team": "duty"}}, "deny": []map[string]any{}}
	for k, v := range extra {
		body[k] = v
	}
	req := want(tb, n.do(tb, http.MethodPost, "/v1/clients/"+client+"/lock-requests", n.TeamManager.Token, body), http.StatusCreated)
	if req.str("status") != "requested" {
		tb.Fatalf("lock request: %s", req.Body)
	}
	d := want(tb, n.do(tb, http.MethodPost, "/v1/lock-requests/"+req.str("id")+"/decision", n.ServiceManager.Token,
		map[string]any{"approve": true}), http.StatusOK)
	if d.str("status") != "locked" {
		tb.Fatalf("lock decision: %s", d.Body)
	}
	return req.str("id")
}

// TestCaseLocking_LOCK1_LOCK2_LOCK3 locks a case mid-session and checks who
// still gets in, on the very next request of sessions already open
// (R-LOCK-1..3, issue: effective immediately).
func TestCaseLocking_LOCK1_LOCK2_LOCK3(t *testing.T) {
	n := newLockNet(t)
	path := "/v1/referrals/" + n.Referral
	want(t, n.do(t, http.MethodGet, path, n.LeadB.Token, nil), http.StatusOK)

	if r := n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/lock-requests", n.AdviserB.Token,
		map[string]any{"responsible_user_id": n.AdviserB.ID, "reason": "x"}); r.Status != http.StatusForbidden {
		t.Fatalf("an adviser requesting a lock: %d", r.Status)
	}
	if r := n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/lock-requests", n.TeamManager.Token,
		map[string]any{"responsible_user_id": n.AdviserB.ID}); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("a lock request without a reason: %d", r.Status)
	}
	n.lock(t, n.Client, nil)

	for _, tc := range []struct {
		name   string
		user   testUser
		status int
	}{
		{"responsible person", n.AdviserB, http.StatusOK},
		{"allowed team", n.DutyMember, http.StatusOK},
		{"system support", n.SystemSupport, http.StatusOK},
		{"emergency duty", n.EmergencyDuty, http.StatusOK},
		{"org lead of the receiver", n.LeadB, http.StatusForbidden},
		{"referrer", n.AdviserA, http.StatusForbidden},
		{"helpdesk", n.HelpdeskB, http.StatusForbidden},
		{"coordinator", n.Admin, http.StatusForbidden},
		{"auditor", n.Auditor, http.StatusForbidden},
		{"outsider", n.AdviserC, http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := n.do(t, http.MethodGet, path, tc.user.Token, nil)
			if r.Status != tc.status {
				t.Fatalf("GET = %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			if tc.status == http.StatusForbidden && !strings.Contains(r.problem(t, http.StatusForbidden).Detail, "Test adviser.b") {
				t.Fatalf("403 does not name the responsible person (R-LOCK-3): %s", r.Body)
			}
			if h := n.do(t, http.MethodGet, path+"/history", tc.user.Token, nil); h.Status != tc.status {
				t.Fatalf("history = %d, want %d", h.Status, tc.status)
			}
		})
	}
	// Writes follow the same rule: the org lead may no longer act on it.
	if r := n.do(t, http.MethodPost, path+"/acknowledgement", n.LeadB.Token, map[string]any{}); r.Status != http.StatusForbidden {
		t.Fatalf("acknowledging a locked case without access: %d", r.Status)
	}
	want(t, n.do(t, http.MethodPost, path+"/acknowledgement", n.AdviserB.Token, map[string]any{}), http.StatusOK)
}

// TestHiddenLockNotification_LOCK3: with the notification hidden, a refused
// user gets the same 404 as for a referral that does not exist; the deny
// list refuses even system support.
func TestHiddenLockNotification_LOCK3(t *testing.T) {
	n := newLockNet(t)
	n.lock(t, n.Client, map[string]any{"hide_notification": true, "deny": []map[string]any{{"role": "system_support"}}})
	locked := n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.LeadB.Token, nil)
	missing := n.do(t, http.MethodGet, "/v1/referrals/"+uuid.NewString(), n.LeadB.Token, nil)
	if locked.Status != http.StatusNotFound || locked.withoutRequest(t) != missing.withoutRequest(t) {
		t.Fatalf("hidden lock: %d %s vs %s", locked.Status, locked.Body, missing.Body)
	}
	if r := n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.SystemSupport.Token, nil); r.Status != http.StatusNotFound {
		t.Fatalf("system support refused by the deny list: %d", r.Status)
	}
	want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.EmergencyDuty.Token, nil), http.StatusOK)
}

// TestTemporaryAccess_LOCK4: the responsible person grants at most 24 hours;
// the grant ends by itself at expiry and the grantee can end it early;
// helpdesk is never let in.
func TestTemporaryAccess_LOCK4(t *testing.T) {
	n := newLockNet(t)
	n.lock(t, n.Client, nil)
	path := "/v1/referrals/" + n.Referral
	grant := func(token, user string, hours int) *response {
		return n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/temporary-access", token,
			map[string]any{"user_id": user, "reason": "complaint investigation", "hours": hours})
	}
	if r := grant(n.LeadB.Token, n.LeadB.ID, 2); r.Status != http.StatusForbidden {
		t.Fatalf("a grant by someone other than the responsible person: %d", r.Status)
	}
	grant(n.AdviserB.Token, n.LeadB.ID, 25).invalid(t, "hours")
	grant(n.AdviserB.Token, n.HelpdeskB.ID, 2).invalid(t, "user_id")
	g := want(t, grant(n.AdviserB.Token, n.LeadB.ID, 2), http.StatusCreated)
	if exp, _ := time.Parse(time.RFC3339, g.str("expires_at")); !exp.Equal(n.Clock.Now().Add(2 * time.Hour).Truncate(time.Second)) {
		t.Fatalf("expires_at = %s", g.str("expires_at"))
	}
	want(t, n.do(t, http.MethodGet, path, n.LeadB.Token, nil), http.StatusOK)
	n.Clock.Advance(2 * time.Hour)
	if r := n.do(t, http.MethodGet, path, n.LeadB.Token, nil); r.Status != http.StatusForbidden {
		t.Fatalf("after expiry: %d", r.Status)
	}
	want(t, grant(n.AdviserB.Token, n.LeadB.ID, 1), http.StatusCreated)
	want(t, n.do(t, http.MethodGet, path, n.LeadB.Token, nil), http.StatusOK)
	want(t, n.do(t, http.MethodDelete, "/v1/clients/"+n.Client+"/temporary-access/"+n.LeadB.ID, n.LeadB.Token, nil), http.StatusNoContent)
	if r := n.do(t, http.MethodGet, path, n.LeadB.Token, nil); r.Status != http.StatusForbidden {
		t.Fatalf("after ending early: %d", r.Status)
	}
}

// TestLockReviewAndUnlock_LOCK5_LOCK6_LOCK7: monthly review dates, overdue
// reviews flagged (R-LOCK-5), the locked-cases report with the access
// granted (R-LOCK-7), and unlocking by a service manager (R-LOCK-6), refused
// during a serious case review until it is complete.
func TestLockReviewAndUnlock_LOCK5_LOCK6_LOCK7(t *testing.T) {
	n := newLockNet(t)
	n.lock(t, n.Client, map[string]any{"serious_case_review": true})
	locked := n.Clock.Now()
	report := want(t, n.do(t, http.MethodGet, "/v1/locked-cases", n.TeamManager.Token, nil), http.StatusOK)
	var body struct {
		Cases []struct {
			ClientID      string `json:"client_id"`
			ReviewDue     string `json:"review_due"`
			ReviewOverdue bool   `json:"review_overdue"`
			Access        []struct {
				Kind string `json:"kind"`
			} `json:"access"`
		} `json:"cases"`
	}
	decodeInto(t, report, &body)
	if len(body.Cases) != 1 || body.Cases[0].ClientID != n.Client || body.Cases[0].ReviewOverdue {
		t.Fatalf("report: %s", report.Body)
	}
	if due, _ := time.Parse(time.RFC3339, body.Cases[0].ReviewDue); !due.Equal(locked.AddDate(0, 1, 0).Truncate(time.Second)) {
		t.Fatalf("review due %s, locked %s", body.Cases[0].ReviewDue, locked)
	}
	kinds := map[string]bool{}
	for _, a := range body.Cases[0].Access {
		kinds[a.Kind] = true
	}
	for _, k := range []string{"responsible", "allowed_team", "automatic_role"} {
		if !kinds[k] {
			t.Errorf("report lacks %s access: %s", k, report.Body)
		}
	}
	if r := n.do(t, http.MethodGet, "/v1/locked-cases", n.AdviserB.Token, nil); r.Status != http.StatusForbidden {
		t.Fatalf("an adviser reading the report: %d", r.Status)
	}
	want(t, n.do(t, http.MethodGet, "/v1/locked-cases", n.Admin.Token, nil), http.StatusOK)

	n.Clock.Advance(32 * 24 * time.Hour)
	decodeInto(t, want(t, n.do(t, http.MethodGet, "/v1/locked-cases", n.TeamManager.Token, nil), http.StatusOK), &body)
	if !body.Cases[0].ReviewOverdue {
		t.Fatal("a review 32 days after locking is not flagged overdue (R-LOCK-5)")
	}
	want(t, n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/lock-reviews", n.TeamManager.Token,
		map[string]any{"keep_locked": true, "notes": "still needed"}), http.StatusCreated)
	decodeInto(t, want(t, n.do(t, http.MethodGet, "/v1/locked-cases", n.TeamManager.Token, nil), http.StatusOK), &body)
	if body.Cases[0].ReviewOverdue {
		t.Fatal("still overdue after the review")
	}

	unlock := want(t, n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/unlock-requests", n.TeamManager.Token,
		map[string]any{"reason": "review over"}), http.StatusCreated).str("id")
	decide := func(token string, approve bool) *response {
		return n.do(t, http.MethodPost, "/v1/lock-requests/"+unlock+"/decision", token, map[string]any{"approve": approve, "reason": "r"})
	}
	if r := decide(n.TeamManager.Token, true); r.Status != http.StatusForbidden {
		t.Fatalf("a team manager approving an unlock: %d", r.Status)
	}
	if r := decide(n.ServiceManager.Token, true); r.Status != http.StatusConflict {
		t.Fatalf("unlocking during a serious case review: %d %s", r.Status, r.Body)
	}
	want(t, n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/serious-case-review-completion", n.ServiceManager.Token, map[string]any{}), http.StatusOK)
	if d := want(t, decide(n.ServiceManager.Token, true), http.StatusOK); d.str("status") != "unlocked" {
		t.Fatalf("unlock: %s", d.Body)
	}
	want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.LeadB.Token, nil), http.StatusOK)
}

// TestMessagesToTheResponsiblePerson_LOCK8 (R-LOCK-8): anyone signed in may pass
// information on; the answer is 202 whether or not they may see the case,
// or whether it exists.
func TestMessagesToTheResponsiblePerson_LOCK8(t *testing.T) {
	n := newLockNet(t)
	n.lock(t, n.Client, nil)
	before := n.countEvents(t, domain.MessageForResponsiblePersonType)
	for _, client := range []string{n.Client, uuid.NewString()} {
		r := want(t, n.do(t, http.MethodPost, "/v1/clients/"+client+"/messages", n.HelpdeskB.Token,
			map[string]any{"text": "caller reports a new address", "child_protection": true}), http.StatusAccepted)
		if string(r.Body) != `{"status":"accepted"}` {
			t.Fatalf("message answer tells the sender something: %s", r.Body)
		}
	}
	// Both are recorded, so that the sender's count does not depend on the
	// client (R-LOCK-12); only the real client's keeps the text.
	if got := n.countEvents(t, domain.MessageForResponsiblePersonType); got != before+2 {
		t.Fatalf("messages recorded: %d, want %d", got, before+2)
	}
	n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/messages", n.HelpdeskB.Token, map[string]any{"text": ""}).invalid(t, "text")
}

// TestAccessLog_LOCK9: every read of a client's data is logged with who,
// when, which endpoint and under what grant; the coordinator, auditors and
// the responsible person read the log, others may not.
func TestAccessLog_LOCK9(t *testing.T) {
	n := newLockNet(t)
	want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserA.Token, nil), http.StatusOK)
	n.lock(t, n.Client, nil)
	want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral+"/history", n.DutyMember.Token, nil), http.StatusOK)
	log := want(t, n.do(t, http.MethodGet, "/v1/clients/"+n.Client+"/access-log", n.Auditor.Token, nil), http.StatusOK)
	var body struct {
		Entries []struct {
			UserID   string `json:"user_id"`
			Endpoint string `json:"endpoint"`
			Grant    string `json:"grant"`
			Locked   bool   `json:"locked"`
		} `json:"entries"`
	}
	decodeInto(t, log, &body)
	var sawReferrer, sawDuty bool
	for _, e := range body.Entries {
		sawReferrer = sawReferrer || (e.UserID == n.AdviserA.ID && e.Endpoint == "GET /v1/referrals/:id" && e.Grant == "organisation" && !e.Locked)
		sawDuty = sawDuty || (e.UserID == n.DutyMember.ID && e.Endpoint == "GET /v1/referrals/:id/history" && e.Grant == "allowed_team" && e.Locked)
	}
	if !sawReferrer || !sawDuty {
		t.Fatalf("access log lacks a read: %s", log.Body)
	}
	want(t, n.do(t, http.MethodGet, "/v1/clients/"+n.Client+"/access-log", n.AdviserB.Token, nil), http.StatusOK)
	want(t, n.do(t, http.MethodGet, "/v1/clients/"+n.Client+"/access-log", n.Admin.Token, nil), http.StatusOK)
	if r := n.do(t, http.MethodGet, "/v1/clients/"+n.Client+"/access-log", n.AdviserA.Token, nil); r.Status != http.StatusForbidden {
		t.Fatalf("the referrer reading the access log: %d", r.Status)
	}
}

// TestReadingMessages_LOCK8: the responsible person reads what was passed
// on, decrypted; others are refused as for the case itself.
func TestReadingMessages_LOCK8(t *testing.T) {
	n := newLockNet(t)
	n.lock(t, n.Client, nil)
	want(t, n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/messages", n.HelpdeskB.Token,
		map[string]any{"text": "new address given by caller", "child_protection": true}), http.StatusAccepted)
	r := want(t, n.do(t, http.MethodGet, "/v1/clients/"+n.Client+"/messages", n.AdviserB.Token, nil), http.StatusOK)
	var body struct {
		Messages []struct {
			Text            string `json:"text"`
			ChildProtection bool   `json:"child_protection"`
			FromUserID      string `json:"from_user_id"`
		} `json:"messages"`
	}
	decodeInto(t, r, &body)
	if len(body.Messages) != 1 || body.Messages[0].Text != "new address given by caller" || !body.Messages[0].ChildProtection ||
		body.Messages[0].FromUserID != n.HelpdeskB.ID {
		t.Fatalf("messages: %s", r.Body)
	}
	if r := n.do(t, http.MethodGet, "/v1/clients/"+n.Client+"/messages", n.LeadB.Token, nil); r.Status != http.StatusForbidden {
		t.Fatalf("the org lead reading a locked case's messages: %d", r.Status)
	}
	if r := n.do(t, http.MethodGet, "/v1/clients/"+n.Client+"/messages", n.AdviserC.Token, nil); r.Status != http.StatusNotFound {
		t.Fatalf("an outsider reading messages: %d", r.Status)
	}
}
