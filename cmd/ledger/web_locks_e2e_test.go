package main

// Case locking through the pages, as a browser with JavaScript off sends
// them (R-LOCK-1..12, issue 12 points 5 and 6): every form's errors, no
// partial write when one is refused, the wrong role refused.

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// locksNetwork is the web network with Housing Trust's managers, a second
// adviser, a helpdesk member and one referral from Advice Centre to
// Housing Trust.
type locksNetwork struct {
	*webNetwork
	ids                                     map[string]string // user ids by username
	referral, client, reference             string
	tess, sam, una, ben, bob, dora, hal     *browser
	annToken, samToken, tessToken, benToken string
}

const locksPassword = "Puffin#Ledge-2050"

func newLocksNetwork(t *testing.T) *locksNetwork {
	t.Helper()
	n := &locksNetwork{webNetwork: newWebNetwork(t), ids: map[string]string{}}
	for _, u := range []struct{ name, display, role, team string }{
		{"tess", "Tess Team-Manager", "team_manager", "Tenancy"},
		{"sam", "Sam Service-Manager", "service_manager", "Management"},
		{"una", "Una Service-Manager", "service_manager", "Management"},
		{"dora", "Dora Duty", "adviser", "Duty"},
		{"hal", "Hal Helpdesk", "helpdesk", "Helpdesk"},
	} {
		r := n.must(t, 201, "POST", "/v1/organisations/"+n.orgB+"/users", n.admin, map[string]any{"username": u.name,
			"display_name": u.display, "email": u.name + "@example.org", "roles": []string{u.role}, "team": u.team,
			"password": "Initial#Auk-2050"})
		n.ids[u.name] = r["id"].(string)
		n.firstSignIn(t, u.name, "Initial#Auk-2050", locksPassword)
	}
	for name, password := range map[string]string{"ben": benPassword, "bob": bobPassword} {
		n.ids[name] = n.must(t, 201, "POST", "/v1/sessions", "", map[string]string{"username": name, "password": password})["user"].(map[string]any)["id"].(string)
	}
	n.annToken = n.signIn(t, "ann", annPassword)
	n.samToken, n.tessToken = n.signIn(t, "sam", locksPassword), n.signIn(t, "tess", locksPassword)
	n.benToken = n.signIn(t, "ben", benPassword)
	ref := n.must(t, 201, "POST", "/v1/referrals", n.annToken, map[string]any{"to_organisation_id": n.orgB, "urgent": false,
		"client": map[string]string{"name": "Client Person"}, "reason": "rent arrears",
		"consent": map[string]any{"method": "written", "confirmed": true}, "privacy_notice_given": true})
	n.referral, n.reference = ref["id"].(string), ref["reference"].(string)
	n.client = n.must(t, 200, "GET", "/v1/referrals/"+n.referral, n.benToken, nil)["client_id"].(string)
	sign := func(user, password string) *browser {
		b := n.browser(t)
		if p := b.signIn(user, password, "/"); p.status != http.StatusSeeOther {
			t.Fatalf("%s cannot sign in: %d", user, p.status)
		}
		return b
	}
	n.tess, n.sam, n.una = sign("tess", locksPassword), sign("sam", locksPassword), sign("una", locksPassword)
	n.ben, n.bob = sign("ben", benPassword), sign("bob", bobPassword)
	n.dora, n.hal = sign("dora", locksPassword), sign("hal", locksPassword)
	return n
}

// queue is the lock requests waiting for sam, as the API lists them.
func (n *locksNetwork) queue(t *testing.T) []any {
	t.Helper()
	l, _ := n.must(t, 200, "GET", "/v1/lock-requests?status=requested", n.samToken, nil)["requests"].([]any)
	return l
}

var requestLink = regexp.MustCompile(`href="/lock-requests/([0-9a-f-]{36})"`)

// TestWebCaseLocking_LOCK1_LOCK4_LOCK10 works a lock through the pages:
// requested by a team manager (errors first, nothing recorded), decided by
// a service manager after a confirmation step, refused to a denied
// adviser, temporary access granted and ended early, reviewed, and an
// unlock asked for.
func TestWebCaseLocking_LOCK1_LOCK4_LOCK10(t *testing.T) {
	n := newLocksNetwork(t)
	form := "/clients/" + n.client + "/lock-request"

	// The referral page offers the lock request to the team manager only.
	wantStatus(t, n.tess.get("/referrals/"+n.referral), http.StatusOK, `href="`+form+`?referral=`+n.referral+`"`)
	if p := n.ben.get("/referrals/" + n.referral); strings.Contains(p.body, form) {
		t.Errorf("an adviser is offered the lock request")
	}
	wantStatus(t, n.tess.get(form), http.StatusOK, "Request a case lock", "Ben Adviser", "Hide that the case is locked", "Team: Duty")
	if p := n.tess.get(form); strings.Contains(p.body, `value="`+n.ids["hal"]+`">Hal`) && strings.Contains(p.body, `id="responsible"`) {
		// helpdesk may appear in the allow/deny lists, never as responsible (R-LOCK-10)
		sel := p.body[strings.Index(p.body, `id="responsible"`):]
		sel = sel[:strings.Index(sel, "</select>")]
		if strings.Contains(sel, n.ids["hal"]) {
			t.Errorf("helpdesk offered as the responsible person")
		}
	}
	for _, b := range []*browser{n.ben, n.sam, n.hal} {
		wantStatus(t, b.get(form), http.StatusForbidden)
		wantStatus(t, b.post(form, url.Values{"responsible": {n.ids["ben"]}, "lock-reason": {"x"}}), http.StatusForbidden)
	}
	// A team manager of another organisation, or an unknown client, is not found (R-LOCK-12).
	wantStatus(t, n.tess.get("/clients/00000000-0000-4000-8000-000000000001/lock-request"), http.StatusNotFound)

	// Errors beside the fields; nothing recorded.
	p := n.tess.post(form, url.Values{"referral": {n.referral}})
	wantStatus(t, p, http.StatusUnprocessableEntity, "<title>Error: Request a case lock", `href="#responsible"`, `href="#lock-reason"`)
	p = n.tess.post(form, url.Values{"responsible": {n.ids["hal"]}, "lock-reason": {"Staff member related."}, "deny-user": {n.ids["bob"]}})
	wantStatus(t, p, http.StatusUnprocessableEntity, `href="#responsible"`, "Staff member related.", `value="`+n.ids["bob"]+`" checked`)
	if q := n.queue(t); len(q) != 0 {
		t.Fatalf("a refused form recorded a request: %v", q)
	}

	// The request; a second one is a conflict.
	p = n.tess.post(form, url.Values{"referral": {n.referral}, "responsible": {n.ids["ben"]}, "lock-reason": {"Staff member related."},
		"deny-user": {n.ids["bob"]}})
	if p.status != http.StatusSeeOther || p.location != "/referrals/"+n.referral {
		t.Fatalf("lock request: %d %q\n%s", p.status, p.location, p.body)
	}
	wantStatus(t, n.tess.follow(p), http.StatusOK, "Lock requested.")
	wantStatus(t, n.tess.post(form, url.Values{"responsible": {n.ids["ben"]}, "lock-reason": {"Again."}}), http.StatusConflict, "already awaiting a decision")

	// The queue: the service manager only (R-LOCK-10).
	wantStatus(t, n.tess.get("/lock-requests"), http.StatusForbidden)
	p = n.sam.get("/lock-requests")
	wantStatus(t, p, http.StatusOK, "Lock requests", "Tess Team-Manager", "Ben Adviser", n.reference)
	m := requestLink.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no request to decide:\n%s", p.body)
	}
	decide := "/lock-requests/" + m[1]
	wantStatus(t, n.sam.get(decide), http.StatusOK, "Staff member related.", "Bob Caseworker")
	wantStatus(t, n.tess.post(decide, url.Values{"decision": {"approve"}, "confirm": {"yes"}}), http.StatusForbidden)
	wantStatus(t, n.sam.post(decide, url.Values{}), http.StatusUnprocessableEntity, `href="#decision"`)
	wantStatus(t, n.sam.post(decide, url.Values{"decision": {"refuse"}}), http.StatusUnprocessableEntity, `href="#decision-reason"`)
	wantStatus(t, n.sam.post(decide, url.Values{"decision": {"approve"}}), http.StatusOK, "Check your decision", `name="confirm" value="yes"`)
	if q := n.queue(t); len(q) != 1 {
		t.Fatalf("the decision was recorded before it was confirmed: %v", q)
	}
	p = n.sam.post(decide, url.Values{"decision": {"approve"}, "confirm": {"yes"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("confirmed decision: %d\n%s", p.status, p.body)
	}
	wantStatus(t, n.sam.follow(p), http.StatusOK, "Lock approved.", "There are no requests waiting")

	// Locked: the denied adviser is refused, told whom it is locked to (R-LOCK-2, R-LOCK-3).
	wantStatus(t, n.bob.get("/referrals/"+n.referral), http.StatusForbidden, "Ben Adviser")
	wantStatus(t, n.dora.get("/referrals/"+n.referral), http.StatusForbidden)
	wantStatus(t, n.ben.get("/referrals/"+n.referral), http.StatusOK)

	// Temporary access: the responsible person only (R-LOCK-4).
	access := "/clients/" + n.client + "/temporary-access"
	for _, b := range []*browser{n.tess, n.bob, n.dora, n.hal} {
		wantStatus(t, b.get(access), http.StatusForbidden)
		wantStatus(t, b.post(access, url.Values{"grantee": {n.ids["dora"]}, "access-reason": {"x"}, "hours": {"2"}}), http.StatusForbidden)
	}
	wantStatus(t, n.ben.get("/messages"), http.StatusOK, n.reference, `href="`+access+`"`)
	p = n.ben.get(access)
	wantStatus(t, p, http.StatusOK, "Nobody has temporary access now", "Dora Duty")
	if strings.Contains(p.body, `value="`+n.ids["bob"]+`"`) {
		t.Errorf("a denied adviser is offered temporary access")
	}
	wantStatus(t, n.ben.post(access, url.Values{"grantee": {n.ids["dora"]}, "access-reason": {"Covering a visit."}, "hours": {"25"}}),
		http.StatusUnprocessableEntity, `href="#hours"`, "Covering a visit.")
	wantStatus(t, n.ben.post(access, url.Values{"access-reason": {"Covering a visit."}, "hours": {"2"}}), http.StatusUnprocessableEntity, `href="#grantee"`)
	wantStatus(t, n.ben.post(access, url.Values{"grantee": {n.ids["dora"]}, "hours": {"2"}}), http.StatusUnprocessableEntity, `href="#access-reason"`)
	// Nothing filled in: every mistake is listed at once, in the form's words.
	wantStatus(t, n.ben.post(access, url.Values{"hours": {"two"}}), http.StatusUnprocessableEntity,
		`href="#grantee"`, `href="#access-reason"`, `href="#hours"`, "Choose the member of staff", "whole number from 1 to 24", `value="two"`)
	wantStatus(t, n.dora.get("/referrals/"+n.referral), http.StatusForbidden) // nothing was granted
	p = n.ben.post(access, url.Values{"grantee": {n.ids["dora"]}, "access-reason": {"Covering a visit."}, "hours": {"2"}})
	wantStatus(t, n.ben.follow(p), http.StatusOK, "Temporary access granted.", "End now")
	wantStatus(t, n.dora.get("/referrals/"+n.referral), http.StatusOK)
	end := access + "/" + n.ids["dora"] + "/end"
	wantStatus(t, n.ben.get(end), http.StatusOK, "End temporary access", "Dora Duty")
	wantStatus(t, n.bob.post(end, url.Values{}), http.StatusForbidden) // only the responsible person or the grantee ends it (R-LOCK-4)
	p = n.ben.post(end, url.Values{})
	wantStatus(t, n.ben.follow(p), http.StatusOK, "Temporary access ended.", "Nobody has temporary access now")
	wantStatus(t, n.dora.get("/referrals/"+n.referral), http.StatusForbidden)

	// The report, the review and the unlock request (R-LOCK-5, R-LOCK-6, R-LOCK-7).
	report := n.tess.get("/locked-cases")
	wantStatus(t, report, http.StatusOK, n.reference, "Ben Adviser", "Bob Caseworker", "Refused", "Record the monthly review", "Ask to unlock")
	wantStatus(t, n.sam.get("/locked-cases"), http.StatusOK, n.reference)
	if strings.Contains(n.sam.get("/locked-cases").body, "Record the monthly review") {
		t.Errorf("a service manager is offered the team manager's review")
	}
	review := "/locked-cases/" + n.client + "/review"
	wantStatus(t, n.sam.get(review), http.StatusForbidden)
	wantStatus(t, n.tess.get(review), http.StatusOK, "Should the case stay locked?")
	wantStatus(t, n.tess.post(review, url.Values{"review-notes": {"Checked."}}), http.StatusUnprocessableEntity, `href="#keep-locked"`, "Checked.")
	wantStatus(t, n.tess.follow(n.tess.post(review, url.Values{"keep-locked": {"yes"}, "review-notes": {"Still needed."}})), http.StatusOK, "Review recorded.")
	unlock := "/locked-cases/" + n.client + "/unlock"
	wantStatus(t, n.tess.post(unlock, url.Values{}), http.StatusUnprocessableEntity, `href="#unlock-reason"`)
	if q := n.queue(t); len(q) != 0 {
		t.Fatalf("a refused unlock form recorded a request: %v", q)
	}
	wantStatus(t, n.tess.follow(n.tess.post(unlock, url.Values{"unlock-reason": {"The risk has passed."}})), http.StatusOK, "Unlock requested.", "Unlock requested")
	wantStatus(t, n.una.get("/lock-requests"), http.StatusOK, "Unlock", "Tess Team-Manager")
}

// TestWebPassInformation_LOCK8_LOCK12: the helpdesk passes information by
// reference or client id; the answer is the same for a locked case, an
// unlocked one and one that does not exist, and the message reaches the
// responsible person, marked urgent when it is child protection.
func TestWebPassInformation_LOCK8_LOCK12(t *testing.T) {
	n := newLocksNetwork(t)
	// Lock the case to Ben, with the notification hidden.
	req := n.must(t, 201, "POST", "/v1/clients/"+n.client+"/lock-requests", n.tessToken, map[string]any{"responsible_user_id": n.ids["ben"],
		"reason": "Staff member related.", "allow": []any{}, "deny": []any{}, "hide_notification": true})
	n.must(t, 200, "POST", "/v1/lock-requests/"+req["id"].(string)+"/decision", n.samToken, map[string]any{"approve": true})

	wantStatus(t, n.hal.get("/pass-information"), http.StatusOK, "Pass information to the case owner", "This is about child protection")
	wantStatus(t, n.hal.post("/pass-information", url.Values{"case": {"not a reference"}, "message-text": {"Hello."}}),
		http.StatusUnprocessableEntity, `href="#case"`, "Hello.")
	wantStatus(t, n.hal.post("/pass-information", url.Values{"case": {n.reference}, "message-text": {"  "}}),
		http.StatusUnprocessableEntity, `href="#message-text"`)
	if p := n.ben.get("/messages"); strings.Contains(p.body, "Hello.") || !strings.Contains(p.body, "No messages about this case") {
		t.Fatalf("a refused message reached the responsible person:\n%s", p.body)
	}

	var answers []string
	for _, c := range []string{n.reference, n.client, "ZZZZ-ZZZZ", "00000000-0000-4000-8000-0000000000ab", strings.ToLower(n.reference)} {
		p := n.hal.post("/pass-information", url.Values{"case": {c}, "message-text": {"The client's neighbour called: the children are alone."},
			"child-protection": {"yes"}})
		if p.status != http.StatusSeeOther || p.location != "/pass-information" {
			t.Fatalf("passing information about %q: %d %q", c, p.status, p.location)
		}
		f := n.hal.follow(p)
		wantStatus(t, f, http.StatusOK, "Sent to the person responsible, if there is one.")
		answers = append(answers, withoutFormKeys(f.body))
	}
	for i := range answers {
		if answers[i] != answers[0] {
			t.Fatalf("the answer differs between a real and an unknown case (%d)", i)
		}
	}
	// Any signed-in user may pass information, as the API allows (R-LOCK-8).
	wantStatus(t, n.bob.follow(n.bob.post("/pass-information", url.Values{"case": {n.reference}, "message-text": {"From Bob."}})),
		http.StatusOK, "Sent to the person responsible")

	p := n.ben.get("/messages")
	wantStatus(t, p, http.StatusOK, "The client&#39;s neighbour called: the children are alone.", "Child protection: urgent", "Hal Helpdesk", "From Bob.")
	if c := strings.Count(p.body, "Child protection: urgent"); c != 3 {
		t.Errorf("%d messages marked child protection, want 3 (by reference twice, by client id once)", c)
	}
	wantStatus(t, p, http.StatusOK, "3 child protection messages")
	// Only the responsible person's messages page lists the case.
	if p := n.tess.get("/messages"); strings.Contains(p.body, "neighbour") {
		t.Errorf("the team manager reads the case's messages")
	}
	wantStatus(t, n.hal.get("/messages"), http.StatusForbidden)
}
