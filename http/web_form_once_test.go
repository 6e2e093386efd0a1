package http

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// The pages' forms sent twice: a double click, a reload, Back and send
// again, with JavaScript off. Each form carries a one-time key; the second
// sending of the same form is acted on once and goes where the first went,
// with its confirmation (R-UI-1), even after a restart that lost the key
// (R-OPS-1).

// webUser is a browser with JavaScript off, signed in as one user: it
// keeps cookies, sends forms as a browser does and follows no redirect by
// itself.
type webUser struct {
	tb  testing.TB
	api *testAPI
	c   *http.Client
}

func (a *testAPI) web(tb testing.TB, u testUser) *webUser {
	tb.Helper()
	jar, _ := cookiejar.New(nil)
	base, _ := url.Parse(a.URL)
	jar.SetCookies(base, []*http.Cookie{{Name: "ledger_session", Value: u.Token, Path: "/"}})
	return &webUser{tb: tb, api: a, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// webPage is an answer as a browser shows it.
type webPage struct {
	status   int
	location string
	body     string
}

func (w *webUser) send(method, path string, form url.Values) webPage {
	w.tb.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, w.api.URL+path, body)
	if err != nil {
		w.tb.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", w.api.URL)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	res, err := w.c.Do(req)
	if err != nil {
		w.tb.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return webPage{status: res.StatusCode, location: res.Header.Get("Location"), body: string(b)}
}

func (w *webUser) get(path string) webPage { w.tb.Helper(); return w.send(http.MethodGet, path, nil) }

func (w *webUser) post(path string, form url.Values) webPage {
	w.tb.Helper()
	return w.send(http.MethodPost, path, form)
}

// follow opens the page a redirect names.
func (w *webUser) follow(p webPage) webPage {
	w.tb.Helper()
	if p.status != http.StatusSeeOther {
		w.tb.Fatalf("status %d, want a redirect:\n%s", p.status, p.body)
	}
	return w.get(p.location)
}

func wantPage(tb testing.TB, p webPage, status int, contains ...string) {
	tb.Helper()
	if p.status != status {
		tb.Fatalf("status %d, want %d; location %q\n%s", p.status, status, p.location, p.body)
	}
	for _, s := range contains {
		if !strings.Contains(p.body, s) {
			tb.Fatalf("page lacks %q:\n%s", s, p.body)
		}
	}
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// formOf is what the page's form posting to action sends of itself: its
// hidden fields, the one-time key among them. The test adds what a user
// would choose and type.
func formOf(tb testing.TB, body, action string, fields url.Values) url.Values {
	tb.Helper()
	i := strings.Index(body, `<form method="post" action="`+action+`"`)
	if i < 0 {
		tb.Fatalf("no form posts to %s on the page:\n%s", action, body)
	}
	end := strings.Index(body[i:], "</form>")
	v := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(body[i:i+end], -1) {
		v.Add(html.UnescapeString(m[1]), html.UnescapeString(m[2]))
	}
	for k, vs := range fields {
		v[k] = vs
	}
	return v
}

// sentTwiceText is the word a second sending's page adds to the first's
// confirmation.
const sentTwiceText = "You sent this form more than once: it was acted on once."

// twice sends form to action twice, as a double click does, and checks
// that the first did what it does (a redirect, confirmed with confirm on
// the next page), that the second went to the same page with the same
// confirmation and the word that it was acted on once, and that one event
// of type counted was written.
func (w *webUser) twice(action string, form url.Values, confirm, counted string) string {
	w.tb.Helper()
	before := w.api.countEvents(w.tb, counted)
	first := w.post(action, form)
	if first.status != http.StatusSeeOther {
		w.tb.Fatalf("%s: %d, want a redirect\n%s", action, first.status, first.body)
	}
	second := w.post(action, form)
	if second.status != http.StatusSeeOther || second.location != first.location {
		w.tb.Fatalf("%s sent again: %d %q, want the first's %q\n%s", action, second.status, second.location, first.location, second.body)
	}
	wantPage(w.tb, w.follow(second), http.StatusOK, confirm, sentTwiceText)
	if got := w.api.countEvents(w.tb, counted); got != before+1 {
		w.tb.Fatalf("%s sent twice wrote %d %s events, want 1", action, got-before, counted)
	}
	return first.location
}

// TestWebReferralActionSentTwice_UI1: every action on a referral's page,
// sent twice (acknowledge, assign, note, urgency review, close; decline,
// reopen, forward and withdraw after their confirmation step), is acted on
// once, and the second press goes to the referral with the first's
// confirmation instead of "someone else changed it" and the note put back
// to send again. A change someone else made in between still says so, and
// keeps what the user typed.
func TestWebReferralActionSentTwice_UI1(t *testing.T) {
	n := newNetwork(t, withWebPages())
	body := validReferral(n.OrgB, "Client Twice")
	body["urgent"] = true
	r := n.makeReferralWith(t, n.AdviserA.Token, body)
	page := "/referrals/" + r
	b := n.web(t, n.AdviserB)

	stale := b.get(page).body
	b.twice(page+"/acknowledge", formOf(t, b.get(page).body, page+"/acknowledge", nil), "Referral acknowledged.", domain.ReferralAcknowledgedType)
	// Someone else's change since the page was drawn is still refused as
	// one, and the note is kept to send again.
	p := b.post(page+"/notes", formOf(t, stale, page+"/notes", url.Values{"note-text": {"Left a voicemail."}}))
	wantPage(t, p, http.StatusConflict, "Someone else changed it", "Left a voicemail.</textarea>")
	if c := n.countEvents(t, domain.ReferralNoteAddedType); c != 0 {
		t.Fatalf("a stale note was added (%d)", c)
	}

	for _, a := range []struct {
		action         string
		fields         url.Values
		confirm, event string
	}{
		{"assign", url.Values{"assignee": {n.AdviserB.ID}}, "Referral assigned.", domain.ReferralAssignedType},
		{"notes", url.Values{"note-text": {"Left a voicemail."}}, "Note added.", domain.ReferralNoteAddedType},
		{"urgency-review", url.Values{"feedback": {"Not urgent: the hearing is next year."}}, "Urgency review recorded", domain.ReferralUrgencyDeclinedType},
		{"close", url.Values{"outcome": {"positive"}, "comment": {"Housed."}}, "Referral closed.", domain.ReferralClosedType},
	} {
		b.twice(page+"/"+a.action, formOf(t, b.get(page).body, page+"/"+a.action, a.fields), a.confirm, a.event)
	}
	notes := n.do(t, http.MethodGet, "/v1/referrals/"+r, n.AdviserB.Token, nil).JSON["notes"].([]any)
	if len(notes) != 1 {
		t.Fatalf("the referral holds %d notes, want 1", len(notes))
	}

	// The lifecycle: decline, reopen, forward; withdraw by the referrer.
	r2 := n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Lifecycle")
	page2 := "/referrals/" + r2
	confirmed := func(w *webUser, action string, fields url.Values) url.Values {
		t.Helper()
		ask := w.post(page2+"/"+action, formOf(t, w.get(page2).body, page2+"/"+action, fields))
		wantPage(t, ask, http.StatusOK, "Are you sure")
		return formOf(t, ask.body, page2+"/"+action, nil)
	}
	b.twice(page2+"/decline", confirmed(b, "decline", url.Values{"decline-reason": {domain.DeclineNoCapacity}, "decline-comment": {"No caseworker free."}}),
		"Referral declined.", domain.ReferralDeclinedType)
	b.twice(page2+"/reopen", formOf(t, b.get(page2).body, page2+"/reopen", url.Values{"reopen-reason": {"Capacity freed."}}),
		"Referral reopened.", domain.ReferralReopenedType)
	b.twice(page2+"/forward", confirmed(b, "forward", url.Values{"forward-to": {n.OrgC}, "forward-basis": {"written"}, "forward-comment": {"Debt advice first."},
		"forward-consent-confirmed": {"yes"}}), "Referral forwarded.", domain.ReferralForwardedType)
	if c := n.countEvents(t, domain.ReferralMadeType); c != 4 { // Client Zero, Client Twice, Client Lifecycle and its forward
		t.Fatalf("%d referrals made, want 4", c)
	}
	r3 := n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Withdrawn")
	page2 = "/referrals/" + r3
	a := n.web(t, n.AdviserA)
	a.twice(page2+"/withdraw", confirmed(a, "withdraw", url.Values{"withdraw-reason": {"The client moved away."}}),
		"Referral withdrawn.", domain.ReferralWithdrawnType)
}

// TestWebCreatingFormSentTwice_UI1: the forms that record something new
// (an erasure request and its decision, a lock request, its decision,
// temporary access and its end, a review, an unlock request and its
// decision, information passed to the case's owner, an organisation, a
// user), sent twice, record it once; the second press goes where the
// first went. A form sent with a mistake first, then corrected, is acted
// on (the failed sending gave the key up).
func TestWebCreatingFormSentTwice_UI1(t *testing.T) {
	n := newNetwork(t, withWebPages())
	client := n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil).str("client_id")
	clientPage := "/clients/" + client

	// The erasure request, first with its reason missing.
	ben := n.web(t, n.AdviserB)
	ask := clientPage + "/erasure-request"
	form := formOf(t, ben.get(ask+"?referral="+n.Referral).body, ask, nil)
	wantPage(t, ben.post(ask, form), http.StatusUnprocessableEntity, `href="#erasure-reason"`)
	form.Set("erasure-reason", "The client asked.")
	ben.twice(ask, form, "", domain.ClientErasureRequestedType)
	reqs := n.do(t, http.MethodGet, "/v1/erasure-requests", n.Admin.Token, nil).JSON["erasure_requests"].([]any)
	if len(reqs) != 1 {
		t.Fatalf("%d erasure requests, want 1", len(reqs))
	}
	decision := "/erasure-requests/" + reqs[0].(map[string]any)["id"].(string)
	admin := n.web(t, n.Admin)
	check := admin.post(decision, formOf(t, admin.get(decision).body, decision, url.Values{"decision": {"refuse"},
		"decision-reason": {"The referral is still open."}}))
	wantPage(t, check, http.StatusOK, "Yes, refuse the erasure")
	admin.twice(decision, formOf(t, check.body, decision, nil), "", domain.ClientErasureRefusedType)

	// The lock request, and its decision by a service manager.
	sam := n.addUser(t, n.OrgB, "sam.b", domain.RoleServiceManager)
	una := n.addUser(t, n.OrgB, "una.b", domain.RoleServiceManager)
	dora := n.addUser(t, n.OrgB, "dora.b", domain.RoleAdviser)
	tess := n.web(t, n.TeamManager)
	lock := clientPage + "/lock-request"
	loc := tess.twice(lock, formOf(t, tess.get(lock+"?referral="+n.Referral).body, lock, url.Values{
		"responsible": {n.AdviserB.ID}, "lock-reason": {"Staff member related."}}), "Lock requested.", domain.LockRequestedType)
	if loc != "/referrals/"+n.Referral {
		t.Errorf("the lock request went to %q", loc)
	}
	samWeb := n.web(t, sam)
	decide := "/lock-requests/" + requestLink.FindStringSubmatch(samWeb.get("/lock-requests").body)[1]
	first := formOf(t, samWeb.get(decide).body, decide, url.Values{"decision": {"approve"}})
	check = samWeb.post(decide, first)
	wantPage(t, check, http.StatusOK, "Check your decision")
	samWeb.twice(decide, formOf(t, check.body, decide, nil), "Lock approved.", domain.LockApprovedType)

	// Temporary access, granted and ended by the responsible person.
	access := clientPage + "/temporary-access"
	ben.twice(access, formOf(t, ben.get(access).body, access, url.Values{"grantee": {dora.ID},
		"access-reason": {"Covering a visit."}, "hours": {"2"}}), "Temporary access granted.", domain.TemporaryAccessGrantedType)
	end := access + "/" + dora.ID + "/end"
	ben.twice(end, formOf(t, ben.get(end).body, end, nil), "Temporary access ended.", domain.TemporaryAccessEndedType)

	// The monthly review, first with its choice missing; the unlock
	// request; its refusal.
	review := "/locked-cases/" + client + "/review"
	form = formOf(t, tess.get(review).body, review, url.Values{"review-notes": {"Still needed."}})
	wantPage(t, tess.post(review, form), http.StatusUnprocessableEntity, `href="#keep-locked"`)
	form.Set("keep-locked", "yes")
	tess.twice(review, form, "Review recorded.", domain.LockReviewedType)
	unlock := "/locked-cases/" + client + "/unlock"
	tess.twice(unlock, formOf(t, tess.get(unlock).body, unlock, url.Values{"unlock-reason": {"The risk has passed."}}),
		"Unlock requested.", domain.UnlockRequestedType)
	unaWeb := n.web(t, una)
	decideUnlock := "/lock-requests/" + requestLink.FindStringSubmatch(unaWeb.get("/lock-requests").body)[1]
	check = unaWeb.post(decideUnlock, formOf(t, unaWeb.get(decideUnlock).body, decideUnlock, url.Values{"decision": {"refuse"},
		"decision-reason": {"Not yet."}}))
	wantPage(t, check, http.StatusOK, "Check your decision")
	unaWeb.twice(decideUnlock, formOf(t, check.body, decideUnlock, nil), "Unlock request refused.", domain.UnlockRefusedType)

	// Information passed to the case's owner.
	hal := n.web(t, n.HelpdeskB)
	reference := n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil).str("reference")
	hal.twice("/pass-information", formOf(t, hal.get("/pass-information").body, "/pass-information", url.Values{
		"case": {reference}, "message-text": {"The client called."}}), "Sent to the person responsible", domain.MessageForResponsiblePersonType)

	// An organisation, and a user.
	admin.twice("/organisations/new", formOf(t, admin.get("/organisations/new").body, "/organisations/new", url.Values{
		"org-name": {"Delta Welfare"}, "admin-email": {"intake@delta.example"}, "description": {"Another member."},
		"services": {"Advice: general advice"}}), "", domain.OrganisationRegisteredType)
	lead := n.web(t, n.LeadB)
	users := "/organisations/" + n.OrgB + "/users"
	lead.twice(users, formOf(t, lead.get(users+"/new").body, users, url.Values{"display-name": {"Ada Adviser"},
		"username": {"ada.b"}, "email": {"ada@example.org"}, "roles": {"adviser"}, "password": {"Marmot#Kettle-Blue7"}}),
		"User added.", domain.OrganisationUserAddedType)
	// A new one-time password for someone who forgot theirs: confirmed
	// once, even when sent twice.
	pw := users + "/" + n.AdviserB.ID + "/password"
	lead.twice(pw, formOf(t, lead.get(pw).body, pw, url.Values{"password": {"Heron#Lantern-Gold4"}}),
		"One-time password set", domain.OrganisationPasswordChangedType)
}

var requestLink = regexp.MustCompile(`href="/lock-requests/([0-9a-f-]{36})"`)

// TestWebFormRetriedAfterLostKey_OPS1: a form sent again after the node
// restarted and lost every record of its key (the worst a crash can do to
// the key store) still makes nothing twice: what it writes derives from
// the form's key, so the second sending finds the first's writes. The
// make-a-referral form sent again goes straight to the referral its first
// sending made, the client unchanged, without asking whether that client
// is already known (R-REF-14).
func TestWebFormRetriedAfterLostKey_OPS1(t *testing.T) {
	n := newNetwork(t, withWebPages())
	client := n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil).str("client_id")
	page := "/referrals/" + n.Referral
	ask := "/clients/" + client + "/erasure-request"
	ben, ann := n.web(t, n.AdviserB), n.web(t, n.AdviserA)
	sent := []struct {
		user   testUser
		action string
		form   url.Values
		event  string
	}{
		{n.AdviserB, page + "/notes", formOf(t, ben.get(page).body, page+"/notes", url.Values{"note-text": {"Called the landlord."}}),
			domain.ReferralNoteAddedType},
		{n.AdviserB, ask, formOf(t, ben.get(ask).body, ask, url.Values{"erasure-reason": {"The client asked."}}),
			domain.ClientErasureRequestedType},
		{n.AdviserA, "/make-a-referral", formOf(t, ann.get("/make-a-referral").body, "/make-a-referral", url.Values{"to": {n.OrgB},
			"client-name": {"Client Again"}, "client-dob": {"27 3 1980"}, "reason": {"Rent arrears."}, "basis": {"written"},
			"consent-confirmed": {"yes"}, "privacy-notice": {"yes"}}), domain.ReferralMadeType},
	}
	counts := map[string]int{}
	locations := map[string]string{}
	for _, s := range sent {
		p := n.web(t, s.user).post(s.action, s.form)
		if p.status != http.StatusSeeOther {
			t.Fatalf("%s: %d\n%s", s.action, p.status, p.body)
		}
		locations[s.action], counts[s.event] = p.location, n.countEvents(t, s.event)
	}
	made := n.do(t, http.MethodGet, "/v1"+locations["/make-a-referral"], n.AdviserA.Token, nil).str("client_id")

	n.Close()
	files, _ := filepath.Glob(filepath.Join(n.Dir, "idempotency.db*"))
	if len(files) == 0 {
		t.Fatal("no idempotency store to lose")
	}
	for _, f := range files {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	restarted := *n
	restarted.testAPI = newTestAPI(t, onDataDir(n.Dir, n.MasterKey), startingAt(n.Clock.Now()), withWebPages())
	m := &restarted
	for _, s := range sent {
		w := m.web(t, s.user)
		p := w.post(s.action, s.form)
		if p.status != http.StatusSeeOther || p.location != locations[s.action] {
			t.Fatalf("%s sent again after the restart: %d %q, want the first's %q\n%s", s.action, p.status, p.location, locations[s.action], p.body)
		}
		if got := m.countEvents(t, s.event); got != counts[s.event] {
			t.Errorf("%s sent again wrote another %s (%d, want %d)", s.action, s.event, got, counts[s.event])
		}
	}
	if again := m.do(t, http.MethodGet, "/v1"+locations["/make-a-referral"], n.AdviserA.Token, nil).str("client_id"); again != made {
		t.Errorf("the referral sent again names client %s, the first %s", again, made)
	}
}
