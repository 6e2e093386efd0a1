package main

// The web interface (R-UI-1, R-UI-2) through plain HTTP, as a browser with
// JavaScript off sends it: forms, cookies and redirects, on a node started
// by the binary's run function. web_browser_test.go drives the same pages
// in a real browser.

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/calendar"
)

// webNetwork is a node with two organisations and their advisers, signed
// up through the API.
type webNetwork struct {
	*node
	admin            string // the coordinator's bearer token
	orgA, orgB, orgC string // Advice Centre (refers), Housing Trust (receives), Debt Line (intake off)
	dir              string // the node's data directory
}

// Passwords of the web tests' advisers, after their first sign-in.
const (
	annPassword = "Kestrel#Wing42"
	benPassword = "Osprey#Dive77"
	bobPassword = "Heron#Wade31"
)

func newWebNetwork(t *testing.T) *webNetwork {
	t.Helper()
	dir := t.TempDir()
	n := &webNetwork{node: startNode(t, dir), dir: dir}
	n.admin = n.signIn(t, "admin", adminPassword)
	n.orgA = n.must(t, 201, "POST", "/v1/organisations", n.admin, map[string]any{"name": "Advice Centre",
		"admin_email": "a@advice.example", "services": []any{}})["id"].(string)
	n.orgB = n.must(t, 201, "POST", "/v1/organisations", n.admin, map[string]any{"name": "Housing Trust",
		"admin_email": "b@housing.example", "description": "Help for tenants",
		"services": []any{map[string]string{"name": "Tenancy support", "description": "help keeping a home"}}})["id"].(string)
	n.orgC = n.must(t, 201, "POST", "/v1/organisations", n.admin, map[string]any{"name": "Debt Line",
		"admin_email": "c@debt.example", "services": []any{}})["id"].(string)
	n.must(t, 201, "POST", "/v1/organisations/"+n.orgC+"/users", n.admin, map[string]any{"username": "cleo",
		"display_name": "Cleo Lead", "email": "cleo@example.org", "roles": []string{"org_lead"}, "password": "Initial#Plover19"})
	lead := n.firstSignIn(t, "cleo", "Initial#Plover19", "Plover#Shore19")
	n.must(t, 200, "PUT", "/v1/organisations/"+n.orgC+"/intake", lead, map[string]any{"accepting": false,
		"reason": "staff shortage", "resume_on": "2099-01-04"})
	for _, u := range []struct{ org, name, display, initial, own string }{
		{n.orgA, "ann", "Ann Adviser", "Initial#Kestrel42", annPassword},
		{n.orgB, "ben", "Ben Adviser", "Initial#Osprey77", benPassword},
		{n.orgB, "bob", "Bob Caseworker", "Initial#Heron31", bobPassword},
	} {
		n.must(t, 201, "POST", "/v1/organisations/"+u.org+"/users", n.admin, map[string]any{"username": u.name,
			"display_name": u.display, "email": u.name + "@example.org", "roles": []string{"adviser"}, "password": u.initial})
		token := n.signIn(t, u.name, u.initial)
		n.must(t, 204, "PUT", "/v1/users/me/password", token, map[string]string{"current_password": u.initial, "new_password": u.own})
	}
	return n
}

// browser is a cookie-keeping HTTP client that does not follow redirects,
// so tests see each one.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func (n *webNetwork) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: n.base, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// page is a response as the tests read it.
type page struct {
	status   int
	location string
	header   http.Header
	body     string
}

func (b *browser) send(method, path string, form url.Values, headers ...string) page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		// What a browser sends with a form of the same site.
		req.Header.Set("Origin", b.base)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, location: res.Header.Get("Location"), header: res.Header, body: string(out)}
}

func (b *browser) get(path string) page { b.t.Helper(); return b.send("GET", path, nil) }

func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	return b.send("POST", path, form)
}

// follow GETs where p redirects to, until a page.
func (b *browser) follow(p page) page {
	b.t.Helper()
	for i := 0; p.status == http.StatusSeeOther && i < 5; i++ {
		p = b.get(p.location)
	}
	return p
}

func (b *browser) signIn(user, password, next string) page {
	b.t.Helper()
	return b.post("/sign-in", url.Values{"username": {user}, "password": {password}, "next": {next}})
}

func wantStatus(t *testing.T, p page, status int, contains ...string) {
	t.Helper()
	if p.status != status {
		t.Fatalf("status %d, want %d; location %q\n%s", p.status, status, p.location, p.body)
	}
	for _, s := range contains {
		if !strings.Contains(p.body, s) {
			t.Fatalf("page lacks %q:\n%s", s, p.body)
		}
	}
}

var formKeyField = regexp.MustCompile(`name="form-key" value="([0-9a-f]{32})"`)

// withoutFormKeys is a page without its forms' one-time keys, which are
// random, new each time it is drawn, to compare two answers.
func withoutFormKeys(body string) string {
	return formKeyField.ReplaceAllString(body, `name="form-key" value=""`)
}

// TestWebSignIn: pages ask to sign in and come back after (an email's link
// opens the referral); the session cookie is HttpOnly and SameSite=Lax;
// pages carry a strict CSP; the API under /v1 is unchanged (R-UI-1).
func TestWebSignIn(t *testing.T) {
	n := newWebNetwork(t)
	b := n.browser(t)
	p := b.get("/referrals/00000000-0000-4000-8000-000000000000")
	if p.status != http.StatusSeeOther || p.location != "/sign-in?next=%2Freferrals%2F00000000-0000-4000-8000-000000000000" {
		t.Fatalf("a page without a session: %d %q", p.status, p.location)
	}
	p = b.get(p.location)
	wantStatus(t, p, http.StatusOK, `<h1 class="heading-l">Sign in</h1>`, `value="/referrals/00000000-0000-4000-8000-000000000000"`)
	csp := p.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") || !strings.Contains(csp, "form-action 'self'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	wantStatus(t, b.signIn("ann", "wrong password", "/incoming"), http.StatusUnauthorized,
		`There is a problem`, `href="#username"`, `value="ann"`)
	p = b.signIn("ann", annPassword, "/referrals/00000000-0000-4000-8000-000000000000")
	if p.status != http.StatusSeeOther || p.location != "/referrals/00000000-0000-4000-8000-000000000000" {
		t.Fatalf("sign-in goes back to %d %q", p.status, p.location)
	}
	cookie := p.header.Get("Set-Cookie")
	for _, want := range []string{"ledger_session=", "HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("session cookie %q lacks %s", cookie, want)
		}
	}
	wantStatus(t, b.get(p.location), http.StatusNotFound, "Page not found")
	if p := b.signIn("ann", annPassword, "https://evil.example/"); p.location != "/" {
		t.Errorf("sign-in sends the browser to another site: %q", p.location)
	}
	wantStatus(t, b.get("/incoming"), http.StatusOK, "Incoming referrals", "Ann Adviser")
	wantStatus(t, b.get("/no-such-page"), http.StatusNotFound, "Page not found")
	if p := b.get("/v1/no-such-resource"); !strings.Contains(p.header.Get("Content-Type"), "problem+json") {
		t.Errorf("an unknown API path is not a problem document: %s", p.header.Get("Content-Type"))
	}
	if p := b.get("/v1/inbox"); p.status != http.StatusUnauthorized || !strings.Contains(p.header.Get("Content-Type"), "problem+json") {
		t.Errorf("the API answers a cookie: %d %s", p.status, p.header.Get("Content-Type"))
	}
	wantStatus(t, b.post("/sign-out", url.Values{}), http.StatusOK, "You have signed out")
	if p := b.get("/incoming"); p.status != http.StatusSeeOther {
		t.Errorf("signed out, a page still shows: %d", p.status)
	}

	// The API's throttling holds here too (R-AUTH-5): five failures for
	// one account, then even the right password waits.
	for range 5 {
		b.signIn("bob", "wrong password", "/incoming")
	}
	p = b.signIn("bob", bobPassword, "/incoming")
	wantStatus(t, p, http.StatusTooManyRequests, "There is a problem")
	if p.header.Get("Retry-After") == "" {
		t.Error("a throttled sign-in does not say when to retry")
	}
}

// TestWebForcedPasswordChange: a user whose password someone else set can
// only change it or sign out (R-AUTH-6), as in the API.
func TestWebForcedPasswordChange(t *testing.T) {
	n := newWebNetwork(t)
	n.must(t, 201, "POST", "/v1/organisations/"+n.orgA+"/users", n.admin, map[string]any{"username": "cat",
		"display_name": "Cat New", "email": "cat@example.org", "roles": []string{"adviser"}, "password": "Set-By-Lead#Quokka7"})
	b := n.browser(t)
	if p := b.signIn("cat", "Set-By-Lead#Quokka7", "/incoming"); p.location != "/password" {
		t.Fatalf("first sign-in goes to %q, want /password", p.location)
	}
	if p := b.get("/incoming"); p.status != http.StatusSeeOther || p.location != "/password" {
		t.Fatalf("before the change, /incoming: %d %q", p.status, p.location)
	}
	wantStatus(t, b.get("/password"), http.StatusOK, "You need to choose a new password")
	wantStatus(t, b.post("/password", url.Values{"current-password": {"Set-By-Lead#Quokka7"}, "new-password": {"password"},
		"confirm-password": {"password"}}), http.StatusUnprocessableEntity, `href="#new-password"`)
	wantStatus(t, b.post("/password", url.Values{"current-password": {"Set-By-Lead#Quokka7"}, "new-password": {"Otter#Stream-58"},
		"confirm-password": {"Otter#Stream-58"}}), http.StatusOK, "Your password has been changed")
	if p := b.get("/incoming"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/sign-in") {
		t.Fatalf("a password change ends the session: %d %q", p.status, p.location)
	}
	if p := b.signIn("cat", "Otter#Stream-58", "/incoming"); p.location != "/incoming" {
		t.Fatalf("sign-in with the new password goes to %q", p.location)
	}
}

// TestWebCrossSiteForgery: a form posted from another site's page is
// refused, and nothing is made (R-UI-2).
func TestWebCrossSiteForgery(t *testing.T) {
	n := newWebNetwork(t)
	b := n.browser(t)
	b.signIn("ann", annPassword, "/incoming")
	form := validReferralForm(n.orgB, "0123456789abcdef0123456789abcdef")
	for _, h := range [][]string{
		{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"},
		{"Sec-Fetch-Site", "", "Origin", "https://evil.example"},
	} {
		p := b.send("POST", "/make-a-referral", form, h...)
		wantStatus(t, p, http.StatusForbidden, "This form was sent from another website")
	}
	wantStatus(t, b.get("/outgoing"), http.StatusOK, "has not made any referrals yet")
}

func validReferralForm(to, key string) url.Values {
	return url.Values{"form-key": {key}, "to": {to}, "client-name": {"Client Person"}, "client-dob": {"27 3 1980"},
		"client-phone": {"07700 900123"}, "reason": {"Rent arrears; a notice to quit."}, "basis": {"written"},
		"consent-confirmed": {"yes"}, "privacy-notice": {"yes"}}
}

// TestWebReferralFlow works a referral through the pages alone: made after
// a mistake (errors beside the fields, values kept), made once though sent
// twice, found by reference, acknowledged, assigned, noted with an agreed
// date, closed; a stale form is never applied (R-UI-1, R-REF-13).
func TestWebReferralFlow(t *testing.T) {
	n := newWebNetwork(t)
	ann := n.browser(t)
	ann.signIn("ann", annPassword, "/incoming")
	p := ann.get("/make-a-referral")
	wantStatus(t, p, http.StatusOK, "Make a referral", "Debt Line (not accepting referrals until 4 January 2099)")
	key := formKeyField.FindStringSubmatch(p.body)[1]

	bad := validReferralForm(n.orgB, key)
	bad.Del("client-name")
	bad.Del("consent-confirmed")
	p = ann.post("/make-a-referral", bad)
	wantStatus(t, p, http.StatusUnprocessableEntity, "<title>Error: Make a referral", `href="#client-name"`,
		`id="client-name-error"`, `href="#consent-confirmed"`, `value="07700 900123"`, "Rent arrears; a notice to quit.")

	good := validReferralForm(n.orgB, key)
	p = ann.post("/make-a-referral", good)
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/referrals/") {
		t.Fatalf("make: %d %q\n%s", p.status, p.location, p.body)
	}
	page := ann.get(p.location)
	wantStatus(t, page, http.StatusOK, "Referral made.", "Client Person", "27 March 1980")
	ref := regexp.MustCompile(`<h1 class="heading-l">([0-9A-Z]{4}-[0-9A-Z]{4})</h1>`).FindStringSubmatch(page.body)[1]
	// R-REF-13: the reference is in the title of the referral's page; a
	// list page keeps its own.
	if !strings.Contains(page.body, "<title>Referral "+ref+" – Referral ledger</title>") {
		t.Errorf("the referral page's title lacks its reference %s", ref)
	}
	wantStatus(t, ann.get("/outgoing"), http.StatusOK, "<title>Outgoing referrals")
	again := ann.post("/make-a-referral", good) // pressed twice, or reloaded
	if again.location != p.location {
		t.Fatalf("a second submission of one form goes to %q, want the first's %q", again.location, p.location)
	}
	wantStatus(t, ann.get(again.location), http.StatusOK, "only one referral was made")
	out := ann.get("/outgoing")
	if c := strings.Count(out.body, `class="reference"`); c != 1 {
		t.Fatalf("outgoing lists %d referrals, want 1:\n%s", c, out.body)
	}

	ben := n.browser(t)
	ben.signIn("ben", benPassword, "/incoming")
	in := ben.get("/incoming")
	wantStatus(t, in, http.StatusOK, ref, "Acknowledge by", "working days left")
	if strings.Contains(in.body, "Client Person") {
		t.Fatal("the incoming list shows client data")
	}
	// Found by its reference as typed on the phone: lower case, no hyphen.
	if found := ben.get("/find?reference=" + strings.ToLower(strings.ReplaceAll(ref, "-", ""))); found.status != http.StatusSeeOther || found.location != p.location {
		t.Fatalf("find by reference: %d %q, want the referral %q", found.status, found.location, p.location)
	}
	referral := p.location
	rev := func(b *browser) string {
		return regexp.MustCompile(`name="revision" value="(\d+)"`).FindStringSubmatch(b.get(referral).body)[1]
	}
	wantStatus(t, ben.follow(ben.post(referral+"/acknowledge", url.Values{"revision": {rev(ben)}})), http.StatusOK, "Referral acknowledged.")
	stale := "0" // the page as ben first saw it
	bob := regexp.MustCompile(`<option value="([0-9a-f-]{36})"[^>]*>Bob Caseworker`).FindStringSubmatch(ben.get(referral).body)[1]
	wantStatus(t, ben.follow(ben.post(referral+"/assign", url.Values{"revision": {rev(ben)}, "assignee": {bob}})), http.StatusOK,
		"Referral assigned.", "Bob Caseworker")
	wantStatus(t, ben.post(referral+"/notes", url.Values{"revision": {stale}, "note-text": {"Called the landlord."}}), http.StatusConflict,
		"This referral changed while you were looking at it", "Called the landlord.</textarea>")
	typed, shown := agreedCloseBy(t)
	wantStatus(t, ben.follow(ben.post(referral+"/notes", url.Values{"revision": {rev(ben)}, "note-text": {"Called the landlord."},
		"agreed-close-by": {typed}})), http.StatusOK, "Note added.", "Agreed new close-by date: "+shown)
	wantStatus(t, ben.post(referral+"/close", url.Values{"revision": {rev(ben)}}), http.StatusUnprocessableEntity, `href="#outcome"`)
	wantStatus(t, ben.follow(ben.post(referral+"/close", url.Values{"revision": {rev(ben)}, "outcome": {"positive"},
		"comment": {"Tenancy saved."}})), http.StatusOK, "Referral closed.", "Taken forward")
	wantStatus(t, ann.get("/outgoing"), http.StatusOK, ref, "Closed: Taken forward")

	// The pages' reads are in the client's access log, as the API's are
	// (R-LOCK-9, R-UI-2).
	id := strings.TrimPrefix(referral, "/referrals/")
	client := n.must(t, 200, "GET", "/v1/referrals/"+id, n.admin, nil)["client_id"].(string)
	log := n.must(t, 200, "GET", "/v1/clients/"+client+"/access-log", n.admin, nil)
	pageReads := 0
	for _, e := range log["entries"].([]any) {
		if e.(map[string]any)["endpoint"] == "GET /referrals/:id" {
			pageReads++
		}
	}
	if pageReads == 0 {
		t.Fatalf("the access log holds no read through the pages: %v", log)
	}
}

// TestWebLockedAndErased: a locked case shows the API's own refusal, and
// is not listed to those the lock keeps out (R-LOCK-2); an erased client
// shows as erased (R-PRIV-3). The pages read through the same service as
// the API, so the same rules apply (R-UI-2).
func TestWebLockedAndErased(t *testing.T) {
	n := newWebNetwork(t)
	for _, u := range []struct{ name, role, initial, own string }{
		{"tess", "team_manager", "Initial#Tern4455", "Tern#Glide4455"},
		{"sam", "service_manager", "Initial#Swift667", "Swift#Dart667"},
	} {
		n.must(t, 201, "POST", "/v1/organisations/"+n.orgB+"/users", n.admin, map[string]any{"username": u.name,
			"display_name": u.name, "email": u.name + "@example.org", "roles": []string{u.role}, "password": u.initial})
	}
	tess := n.firstSignIn(t, "tess", "Initial#Tern4455", "Tern#Glide4455")
	sam := n.firstSignIn(t, "sam", "Initial#Swift667", "Swift#Dart667")
	ann := n.signIn(t, "ann", annPassword)
	benID := n.must(t, 201, "POST", "/v1/sessions", "", map[string]string{"username": "ben", "password": benPassword})["user"].(map[string]any)["id"].(string)
	makeReferral := func(name string) (string, string) {
		r := n.must(t, 201, "POST", "/v1/referrals", ann, map[string]any{"to_organisation_id": n.orgB,
			"client": map[string]string{"name": name, "date_of_birth": "1980-03-27"}, "reason": "rent arrears",
			"consent": map[string]any{"method": "written", "confirmed": true}, "privacy_notice_given": true})
		return r["id"].(string), r["client_id"].(string)
	}
	locked, lockedClient := makeReferral("Locked Client")
	erased, erasedClient := makeReferral("Erased Client")

	req := n.must(t, 201, "POST", "/v1/clients/"+lockedClient+"/lock-requests", tess, map[string]any{
		"responsible_user_id": benID, "reason": "a related member of staff", "allow": []any{}, "deny": []any{}})
	n.must(t, 200, "POST", "/v1/lock-requests/"+req["id"].(string)+"/decision", sam, map[string]any{"approve": true})
	_, refusal := n.call(t, "GET", "/v1/referrals/"+locked, ann, nil)

	annWeb := n.browser(t)
	annWeb.signIn("ann", annPassword, "/incoming")
	p := annWeb.get("/referrals/" + locked)
	wantStatus(t, p, http.StatusForbidden, "You cannot do this")
	detail, _ := refusal["detail"].(string)
	if detail == "" || !strings.Contains(p.body, strings.ToUpper(detail[:1])+detail[1:]) {
		t.Errorf("the page does not give the API's refusal %q:\n%s", detail, p.body)
	}
	if strings.Contains(p.body, "Locked Client") {
		t.Fatal("a locked case's page shows the client")
	}
	bob := n.browser(t)
	bob.signIn("bob", bobPassword, "/incoming")
	in := bob.get("/incoming")
	if c := strings.Count(in.body, `class="reference"`); c != 1 {
		t.Fatalf("an adviser the lock keeps out sees %d referrals in Incoming, want only the unlocked one", c)
	}

	er := n.must(t, 201, "POST", "/v1/clients/"+erasedClient+"/erasure-requests", ann, map[string]any{"reason": "the client asked"})
	n.must(t, 200, "POST", "/v1/erasure-requests/"+er["id"].(string)+"/decision", n.admin, map[string]any{"carry_out": true, "reason": "agreed"})
	p = bob.get("/referrals/" + erased)
	wantStatus(t, p, http.StatusOK, "The client's details have been erased")
	if strings.Contains(p.body, "Erased Client") {
		t.Fatal("an erased client's name is shown")
	}
}

// TestWebIncoming: the inbox page lists open incoming referrals with
// urgent ones marked in words and counted, filters by "assigned to me" and
// status, and pages (R-VIEW-1); an urgent referral's urgency can be
// declined with feedback from its page (R-REF-7).
func TestWebIncoming(t *testing.T) {
	n := newWebNetwork(t)
	ann := n.signIn(t, "ann", annPassword)
	var ids []string
	for i := range 27 {
		r := n.must(t, 201, "POST", "/v1/referrals", ann, map[string]any{"to_organisation_id": n.orgB, "urgent": i == 0,
			"client": map[string]string{"name": "Client Person", "date_of_birth": "1980-03-27"}, "reason": "rent arrears",
			"consent": map[string]any{"method": "verbal", "confirmed": true}, "privacy_notice_given": true})
		ids = append(ids, r["id"].(string))
	}
	ben := n.signIn(t, "ben", benPassword)
	n.must(t, 200, "POST", "/v1/referrals/"+ids[1]+"/acknowledgement", ben, map[string]any{})

	b := n.browser(t)
	b.signIn("ben", benPassword, "/incoming")
	p := b.get("/incoming")
	wantStatus(t, p, http.StatusOK, `<span class="count-number">1</span> urgent`, `<span class="count-number">0</span> overdue`,
		`<strong class="tag tag-urgent">Urgent</strong>`, "Next page")
	if c := strings.Count(p.body, `class="reference"`); c != 25 {
		t.Fatalf("the first page lists %d referrals, want 25", c)
	}
	if first := strings.Index(p.body, `class="reference"`); !strings.Contains(p.body[first:first+200], "Urgent") {
		t.Error("the urgent referral, due soonest, is not listed first")
	}
	next := regexp.MustCompile(`href="(/incoming\?[^"]*next=[^"]+)"`).FindStringSubmatch(p.body)
	if next == nil {
		t.Fatal("no link to the next page")
	}
	p = b.get(strings.ReplaceAll(next[1], "&amp;", "&"))
	if c := strings.Count(p.body, `class="reference"`); c != 2 {
		t.Fatalf("the second page lists %d referrals, want 2", c)
	}
	if c := strings.Count(b.get("/incoming?status=acknowledged").body, `class="reference"`); c != 1 {
		t.Fatalf("status=acknowledged lists %d, want 1", c)
	}
	wantStatus(t, b.get("/incoming?assigned=me"), http.StatusOK, "No open referrals match these filters")

	page := b.get("/referrals/" + ids[0])
	rev := regexp.MustCompile(`name="revision" value="(\d+)"`).FindStringSubmatch(page.body)[1]
	wantStatus(t, b.follow(b.post("/referrals/"+ids[0]+"/urgency-review", url.Values{"revision": {rev},
		"feedback": {"A week is soon enough."}})), http.StatusOK, "no longer treated as urgent", "Declined as urgent: A week is soon enough.")
	wantStatus(t, b.get("/incoming"), http.StatusOK, `<span class="count-number">0</span> urgent`)
}

// TestWebSafeguardingAndDirectory: a referral shared without consent under
// a safeguarding override, with its reason (R-REF-2); the directory's
// search box finds organisations by service (R-VIEW-4).
func TestWebSafeguardingAndDirectory(t *testing.T) {
	n := newWebNetwork(t)
	b := n.browser(t)
	b.signIn("ann", annPassword, "/incoming")
	p := b.get("/directory?q=tenancy")
	wantStatus(t, p, http.StatusOK, "1 of 3 organisations match", "Housing Trust", "Tenancy support")
	if strings.Contains(p.body, "Debt Line") {
		t.Error("the directory search lists an organisation that does not match")
	}
	key := formKeyField.FindStringSubmatch(b.get("/make-a-referral").body)[1]
	form := validReferralForm(n.orgB, key)
	form.Set("basis", "override")
	form.Del("consent-confirmed")
	p = b.post("/make-a-referral", form)
	wantStatus(t, p, http.StatusUnprocessableEntity, `href="#override-reason"`)
	form.Set("override-reason", "Risk of harm to a child.")
	wantStatus(t, b.follow(b.post("/make-a-referral", form)), http.StatusOK, "Referral made.",
		"Shared without consent for safeguarding: Risk of harm to a child.")
}

// agreedCloseBy is an agreed close-by date the note forms accept whenever
// the tests run: a working day in June of next year, within the two years
// ahead a date may be agreed (R-TIME-4). typed is as a person types it in
// the form's date field, shown as the pages write it.
func agreedCloseBy(t *testing.T) (typed, shown string) {
	t.Helper()
	cal, err := calendar.New(calendar.EnglandAndWales, nil)
	if err != nil {
		t.Fatal(err)
	}
	d := time.Date(time.Now().Year()+1, time.June, 10, 12, 0, 0, 0, time.UTC)
	for !cal.IsWorkingDay(cal.DateOf(d)) {
		d = d.AddDate(0, 0, 1)
	}
	return d.Format("2 1 2006"), d.Format("2 January 2006")
}
