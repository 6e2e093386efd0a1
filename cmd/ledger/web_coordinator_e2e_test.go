package main

// The coordinator's pages through plain HTTP (R-VIEW-3, R-PRIV-2/5/6,
// R-ORG-1, R-UI-1): forms that check what was entered and write nothing
// until it is right, the confirmation step of an erasure decision, the
// overdue list and its CSV, subject access and retention.

import (
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	ledgernode "github.com/referral-ledger/ledger/node"
)

// shiftedClock is the node's clock in these tests: the real time moved by
// an offset the test sets, so a referral made "two weeks ago" is overdue
// now.
type shiftedClock struct{ offset atomic.Int64 }

func (c *shiftedClock) now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// set moves the clock to d from the real time.
func (c *shiftedClock) set(d time.Duration) { c.offset.Store(int64(d)) }

// newWebNetworkAt starts the web network with the node's clock at offset
// from now; the test moves it on with the clock returned.
func newWebNetworkAt(t *testing.T, offset time.Duration) (*webNetwork, *shiftedClock) {
	t.Helper()
	clk := &shiftedClock{}
	clk.set(offset)
	withNodeOptions(t, ledgernode.WithClock(clk.now))
	return newWebNetwork(t), clk
}

// referralFor makes a referral from Advice Centre to Housing Trust through
// the API, as ann, and returns its id and client id.
func (n *webNetwork) referralFor(t *testing.T, ann, name string) (string, string) {
	t.Helper()
	r := n.must(t, 201, "POST", "/v1/referrals", ann, map[string]any{"to_organisation_id": n.orgB,
		"client": map[string]string{"name": name, "date_of_birth": "1980-03-27"}, "reason": "rent arrears",
		"consent": map[string]any{"method": "written", "confirmed": true}, "privacy_notice_given": true})
	return r["id"].(string), r["client_id"].(string)
}

// signedIn is a browser signed in as user.
func (n *webNetwork) signedIn(t *testing.T, user, password string) *browser {
	t.Helper()
	b := n.browser(t)
	if p := b.signIn(user, password, "/"); p.status != http.StatusSeeOther {
		t.Fatalf("%s cannot sign in: %d %s", user, p.status, p.body)
	}
	return b
}

// TestWebOverdueFollowUp_VIEW3: a referral made two weeks ago and never
// acknowledged is on the coordinator's overdue page with its working days
// overdue, and in the CSV download, which carries no client data; an org
// lead sees only their own organisation's, an adviser is refused as the
// API refuses them.
func TestWebOverdueFollowUp_VIEW3(t *testing.T) {
	n, clk := newWebNetworkAt(t, -14*24*time.Hour)
	ann := n.signIn(t, "ann", annPassword)
	late, _ := n.referralFor(t, ann, "Olive Overdue")
	clk.set(0)
	admin := n.signedIn(t, "admin", adminPassword)
	want := n.must(t, 200, "GET", "/v1/overdue", n.signIn(t, "admin", adminPassword), nil)["referrals"].([]any)
	if len(want) != 1 || want[0].(map[string]any)["id"] != late {
		t.Fatalf("the API's overdue list: %v", want)
	}
	days := int(want[0].(map[string]any)["working_days_overdue"].(float64))
	if days < 5 {
		t.Fatalf("two weeks on, only %d working days overdue", days)
	}
	p := admin.get("/overdue")
	wantStatus(t, p, http.StatusOK, "Overdue referrals", `href="/referrals/`+late+`"`, "Advice Centre", "Housing Trust",
		"Acknowledge", strconv.Itoa(days)+" working days")
	if strings.Contains(p.body, "Olive Overdue") {
		t.Error("the overdue page shows the client's name")
	}
	wantStatus(t, admin.get("/overdue?stage=close"), http.StatusOK, "No referral is overdue with these filters")
	wantStatus(t, admin.get("/overdue?organisation="+n.orgC), http.StatusOK, "No referral is overdue with these filters")

	csvPage := admin.get("/overdue.csv?organisation=" + n.orgB)
	wantStatus(t, csvPage, http.StatusOK)
	if cd := csvPage.header.Get("Content-Disposition"); !regexp.MustCompile(`^attachment; filename="overdue-referrals-\d{4}-\d{2}-\d{2}\.csv"$`).MatchString(cd) {
		t.Errorf("Content-Disposition %q", cd)
	}
	if ct := csvPage.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("Content-Type %q", ct)
	}
	rows, err := csv.NewReader(strings.NewReader(csvPage.body)).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("CSV: %v\n%s", err, csvPage.body)
	}
	if rows[1][1] != late || rows[1][4] != "Advice Centre" || rows[1][5] != "Housing Trust" || rows[1][6] != "acknowledge" || rows[1][8] != strconv.Itoa(days) {
		t.Errorf("CSV row %v", rows[1])
	}
	if body := withoutIDs(csvPage.body); strings.Contains(body, "Olive") || strings.Contains(body, "rent arrears") || strings.Contains(body, "1980") {
		t.Errorf("the CSV carries client data:\n%s", csvPage.body)
	}

	// Cleo leads Debt Line, which the referral does not involve.
	cleo := n.signedIn(t, "cleo", "Plover#Shore19")
	wantStatus(t, cleo.get("/overdue"), http.StatusOK, "No referral is overdue")
	if p := cleo.get("/overdue.csv"); strings.Contains(p.body, late) {
		t.Error("an org lead's CSV lists another organisation's referral")
	}
	wantStatus(t, n.signedIn(t, "ann", annPassword).get("/overdue"), http.StatusForbidden)
	wantStatus(t, n.signedIn(t, "ann", annPassword).get("/overdue.csv"), http.StatusForbidden)
}

var erasureLink = regexp.MustCompile(`href="/erasure-requests/([0-9a-f-]{36})"`)

// TestWebErasureRequestAndDecision_PRIV2: an adviser of an organisation
// involved passes the client's request on from the referral page (a reason
// is required, and nothing is recorded without one); the coordinator
// refuses one request (a reason required, then a confirmation step, and
// only the confirmed decision is recorded) and carries another out; the
// outcome is shown, and the client's details are gone. The adviser sees
// where the request stands; only the coordinator decides it.
func TestWebErasureRequestAndDecision_PRIV2(t *testing.T) {
	n := newWebNetwork(t)
	annToken := n.signIn(t, "ann", annPassword)
	id, client := n.referralFor(t, annToken, "Erin Erase")
	ann := n.signedIn(t, "ann", annPassword)
	askPath := "/clients/" + client + "/erasure-request"
	wantStatus(t, ann.get("/referrals/"+id), http.StatusOK, `href="`+askPath+`?referral=`+id+`"`)
	wantStatus(t, ann.get(askPath+"?referral="+id), http.StatusOK, "Ask for a client", `value="`+id+`"`)
	wantStatus(t, ann.post(askPath, url.Values{"referral": {id}, "erasure-reason": {"  "}}), http.StatusUnprocessableEntity,
		"There is a problem", `href="#erasure-reason"`)
	admin := n.signedIn(t, "admin", adminPassword)
	wantStatus(t, admin.get("/erasure-requests"), http.StatusOK, "No erasure request is waiting")

	p := ann.post(askPath, url.Values{"referral": {id}, "erasure-reason": {"asked by phone on Monday"}})
	if p.status != http.StatusSeeOther || p.location != "/referrals/"+id {
		t.Fatalf("asking: %d %q %s", p.status, p.location, p.body)
	}
	wantStatus(t, ann.follow(p), http.StatusOK, "passed to the coordinator")
	// Someone whose organisation does not know the client finds nothing.
	wantStatus(t, n.signedIn(t, "cleo", "Plover#Shore19").get(askPath), http.StatusNotFound)

	list := admin.get("/erasure-requests")
	wantStatus(t, list, http.StatusOK, "Advice Centre", "Ann Adviser", `href="/referrals/`+id+`"`)
	m := erasureLink.FindStringSubmatch(list.body)
	if m == nil {
		t.Fatalf("no request listed:\n%s", list.body)
	}
	reqPath := "/erasure-requests/" + m[1]
	wantStatus(t, admin.get(reqPath), http.StatusOK, "Carry out or refuse", "Waiting for a decision")
	wantStatus(t, admin.post(reqPath, url.Values{}), http.StatusUnprocessableEntity, `href="#decision"`)
	wantStatus(t, admin.post(reqPath, url.Values{"decision": {"refuse"}, "decision-reason": {""}}), http.StatusUnprocessableEntity,
		`href="#decision-reason"`, "Enter the reason for refusing")
	confirm := admin.post(reqPath, url.Values{"decision": {"refuse"}, "decision-reason": {"legal hold until 2030"}})
	wantStatus(t, confirm, http.StatusOK, "Are you sure you want to refuse", `name="confirm" value="yes"`, "legal hold until 2030")
	// The confirmation step wrote nothing: the request still waits.
	wantStatus(t, admin.get("/erasure-requests"), http.StatusOK, reqPath)
	p = admin.post(reqPath, url.Values{"decision": {"refuse"}, "decision-reason": {"legal hold until 2030"}, "confirm": {"yes"}})
	if p.status != http.StatusSeeOther || p.location != reqPath {
		t.Fatalf("deciding: %d %q %s", p.status, p.location, p.body)
	}
	wantStatus(t, admin.follow(p), http.StatusOK, "Erasure request refused", "Refused", "The erasure was refused")
	wantStatus(t, admin.get("/erasure-requests"), http.StatusOK, "No erasure request is waiting")
	wantStatus(t, admin.post(reqPath, url.Values{"decision": {"carry-out"}, "confirm": {"yes"}}), http.StatusConflict, "This erasure request was already refused. Nothing more was done.")

	// A second request, carried out.
	ann.post(askPath, url.Values{"erasure-reason": {"asked again in writing"}})
	m = erasureLink.FindStringSubmatch(admin.get("/erasure-requests").body)
	if m == nil {
		t.Fatal("the second request is not listed")
	}
	reqPath = "/erasure-requests/" + m[1]
	wantStatus(t, admin.post(reqPath, url.Values{"decision": {"carry-out"}}), http.StatusOK,
		"Are you sure you want to erase", "cannot be undone")
	if got := n.must(t, 200, "GET", "/v1/referrals/"+id, annToken, nil); got["erased"] == true {
		t.Fatal("the confirmation step erased the client")
	}
	p = admin.post(reqPath, url.Values{"decision": {"carry-out"}, "confirm": {"yes"}})
	wantStatus(t, admin.follow(p), http.StatusOK, "Erasure carried out", "The erasure was carried out")
	wantStatus(t, ann.get("/referrals/"+id), http.StatusOK, "have been erased")
	if strings.Contains(ann.get("/referrals/"+id).body, "Erin Erase") {
		t.Error("the erased client's name is still shown")
	}
	// The adviser who passed it on sees where it stands, as GET
	// /v1/erasure-requests/{id} shows them, without the decision form;
	// only the coordinator decides, as the API says.
	if p := ann.get(reqPath); p.status != http.StatusOK || !strings.Contains(p.body, "Carried out") || strings.Contains(p.body, `name="decision"`) {
		t.Errorf("the request's page to the adviser who passed it on: %d, want 200 with its status and no decision form:\n%s", p.status, p.body)
	}
	wantStatus(t, ann.post(reqPath, url.Values{"decision": {"refuse"}, "decision-reason": {"x"}, "confirm": {"yes"}}), http.StatusForbidden)
}

var orgPath = regexp.MustCompile(`^/organisations/([0-9a-f-]{36})$`)

// TestWebRegisterOrganisation_ORG1: the coordinator registers an
// organisation; a missing name or a taken one is shown on the form and
// registers nothing; the new organisation is then shown, in the directory,
// and its users are listed on the network's users page.
func TestWebRegisterOrganisation_ORG1(t *testing.T) {
	n := newWebNetwork(t)
	admin := n.signedIn(t, "admin", adminPassword)
	wantStatus(t, admin.get("/organisations/new"), http.StatusOK, "Register an organisation")
	wantStatus(t, admin.post("/organisations/new", url.Values{"org-name": {""}, "admin-email": {"not an email"}}),
		http.StatusUnprocessableEntity, `href="#org-name"`, `href="#admin-email"`, `value="not an email"`)
	wantStatus(t, admin.post("/organisations/new", url.Values{"org-name": {"housing  TRUST"}, "admin-email": {"x@y.example"}}),
		http.StatusUnprocessableEntity, `href="#org-name"`)
	// A taken name beside another mistake: both in one error summary.
	wantStatus(t, admin.post("/organisations/new", url.Values{"org-name": {"housing  TRUST"}, "admin-email": {"not an email"}}),
		http.StatusUnprocessableEntity, `href="#org-name"`, `href="#admin-email"`, "already the name of another organisation")
	wantStatus(t, admin.post("/organisations/new", url.Values{"org-name": {"Food Bank"}, "admin-email": {"f@food.example"},
		"services": {": no name"}}), http.StatusUnprocessableEntity, `href="#services"`)
	before := len(n.must(t, 200, "GET", "/v1/directory", n.admin, nil)["organisations"].([]any))
	p := admin.post("/organisations/new", url.Values{"org-name": {"Food Bank"}, "admin-email": {"f@food.example"},
		"description": {"Emergency food"}, "services": {"Parcels: three days of food\r\nAdvice"}})
	m := orgPath.FindStringSubmatch(p.location)
	if p.status != http.StatusSeeOther || m == nil {
		t.Fatalf("registering: %d %q %s", p.status, p.location, p.body)
	}
	wantStatus(t, admin.follow(p), http.StatusOK, "Organisation registered", "Food Bank", "f@food.example", "Emergency food",
		"<strong>Parcels</strong>: three days of food", "<strong>Advice</strong>", `href="/organisations/`+m[1]+`/users/new"`)
	if got := len(n.must(t, 200, "GET", "/v1/directory", n.admin, nil)["organisations"].([]any)); got != before+1 {
		t.Errorf("the directory has %d organisations, want %d: the failed forms registered one", got, before+1)
	}
	wantStatus(t, admin.get("/organisations"), http.StatusOK, "Food Bank", `href="/organisations/`+m[1]+`"`)

	users := admin.get("/users?organisation=" + n.orgB)
	wantStatus(t, users, http.StatusOK, "Ben Adviser", "Bob Caseworker", `href="/organisations/`+n.orgB+`/users/`)
	if strings.Contains(users.body, "Ann Adviser") {
		t.Error("the organisation filter shows another organisation's user")
	}
	lead := admin.get("/users?role=org_lead")
	wantStatus(t, lead, http.StatusOK, "Cleo Lead", "Debt Line", "Organisation lead")
	if strings.Contains(lead.body, "Ben Adviser") {
		t.Error("the role filter shows an adviser as an org lead")
	}
	wantStatus(t, n.signedIn(t, "ann", annPassword).post("/organisations/new", url.Values{"org-name": {"Sneaky"},
		"admin-email": {"s@s.example"}}), http.StatusForbidden)
}

// TestWebSubjectAccessAndRetention_PRIV6_PRIV5: the coordinator's
// printable export shows the client's details and every event, the JSON
// download carries the same export, each is recorded in the access log as
// the API records its own; the retention page lists a client whose
// referrals are all closed with when they are shredded.
func TestWebSubjectAccessAndRetention_PRIV6_PRIV5(t *testing.T) {
	n := newWebNetwork(t)
	annToken := n.signIn(t, "ann", annPassword)
	id, client := n.referralFor(t, annToken, "Sid Subject")
	ben := n.signIn(t, "ben", benPassword)
	n.must(t, 200, "POST", "/v1/referrals/"+id+"/acknowledgement", ben, map[string]any{})
	n.must(t, 200, "POST", "/v1/referrals/"+id+"/closure", ben, map[string]any{"outcome": "positive", "comment": "housed"})
	admin := n.signedIn(t, "admin", adminPassword)

	wantStatus(t, admin.get("/subject-access?client=Sid+Subject"), http.StatusUnprocessableEntity, `href="#client"`)
	p := admin.get("/subject-access?client=" + client)
	if p.status != http.StatusSeeOther || p.location != "/clients/"+client+"/subject-access" {
		t.Fatalf("finding the client: %d %q", p.status, p.location)
	}
	page := admin.follow(p)
	wantStatus(t, page, http.StatusOK, "Sid Subject", "rent arrears", "referral.made", "referral.closed",
		`href="/clients/`+client+`/subject-access.json"`)
	if cc := page.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("the export page may be cached: %q", cc)
	}
	dl := admin.get("/clients/" + client + "/subject-access.json")
	wantStatus(t, dl, http.StatusOK)
	if cd := dl.header.Get("Content-Disposition"); cd != `attachment; filename="subject-access-`+client+`.json"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	var x struct {
		ClientID  string `json:"client_id"`
		Referrals []struct {
			ReferralID string `json:"referral_id"`
			Events     []struct {
				Type string          `json:"type"`
				Data json.RawMessage `json:"data"`
			} `json:"events"`
		} `json:"referrals"`
		Events []struct {
			Type string `json:"type"`
		} `json:"events"`
	}
	if err := json.Unmarshal([]byte(dl.body), &x); err != nil {
		t.Fatal(err)
	}
	if x.ClientID != client || len(x.Referrals) != 1 || x.Referrals[0].ReferralID != id || len(x.Referrals[0].Events) != 3 ||
		!strings.Contains(string(x.Referrals[0].Events[0].Data), "Sid Subject") {
		t.Errorf("export %+v", x)
	}
	if len(x.Events) != 2 || x.Events[0].Type != "client.subject_access_exported" {
		t.Errorf("the client's own events %+v: want the page's export and the download's", x.Events)
	}
	entries := n.must(t, 200, "GET", "/v1/clients/"+client+"/access-log", n.signIn(t, "admin", adminPassword), nil)["entries"].([]any)
	seen := map[string]bool{}
	for _, e := range entries {
		e := e.(map[string]any)
		if e["grant"] == "subject_access" {
			seen[e["endpoint"].(string)] = true
		}
	}
	if !seen["GET /clients/:id/subject-access"] || !seen["GET /clients/:id/subject-access.json"] {
		t.Errorf("the access log's subject access reads: %v", entries)
	}
	wantStatus(t, n.signedIn(t, "ann", annPassword).get("/clients/"+client+"/subject-access"), http.StatusForbidden)

	r := admin.get("/retention")
	wantStatus(t, r, http.StatusOK, "6 years", client, "<span class=\"count-number\">0</span> due now")
	wantStatus(t, n.signedIn(t, "ann", annPassword).get("/retention"), http.StatusForbidden)
}

// TestWebSubjectAccessLockedCase_PRIV6_LOCK9: on a locked case the export
// asks for a reason first, sent in the form's body, never the address; none
// given is refused and exports nothing; given, the export is shown and
// downloaded, and the access log records each read as locked, with it.
func TestWebSubjectAccessLockedCase_PRIV6_LOCK9(t *testing.T) {
	n := newWebNetwork(t)
	for _, u := range []struct{ name, role, initial string }{
		{"tess", "team_manager", "Initial#Tern4455"},
		{"sam", "service_manager", "Initial#Swift667"},
	} {
		n.must(t, 201, "POST", "/v1/organisations/"+n.orgB+"/users", n.admin, map[string]any{"username": u.name,
			"display_name": u.name, "email": u.name + "@example.org", "roles": []string{u.role}, "password": u.initial})
	}
	tess := n.firstSignIn(t, "tess", "Initial#Tern4455", "Tern#Glide4455")
	sam := n.firstSignIn(t, "sam", "Initial#Swift667", "Swift#Dart667")
	benID := n.must(t, 201, "POST", "/v1/sessions", "", map[string]string{"username": "ben", "password": benPassword})["user"].(map[string]any)["id"].(string)
	_, client := n.referralFor(t, n.signIn(t, "ann", annPassword), "Lola Locked")
	req := n.must(t, 201, "POST", "/v1/clients/"+client+"/lock-requests", tess, map[string]any{
		"responsible_user_id": benID, "reason": "a related member of staff", "allow": []any{}, "deny": []any{}})
	n.must(t, 200, "POST", "/v1/lock-requests/"+req["id"].(string)+"/decision", sam, map[string]any{"approve": true})

	admin := n.signedIn(t, "admin", adminPassword)
	path := "/clients/" + client + "/subject-access"
	p := admin.get(path)
	wantStatus(t, p, http.StatusOK, "Why you are exporting", `action="`+path+`"`, `formaction="`+path+`.json"`)
	if strings.Contains(p.body, "Lola Locked") {
		t.Fatal("the reason form shows the client")
	}
	wantStatus(t, admin.post(path, url.Values{"sar-reason": {""}}), http.StatusUnprocessableEntity, `href="#sar-reason"`)
	log := func() []any {
		return n.must(t, 200, "GET", "/v1/clients/"+client+"/access-log", n.signIn(t, "admin", adminPassword), nil)["entries"].([]any)
	}
	for _, e := range log() {
		if e.(map[string]any)["grant"] == "subject_access" {
			t.Fatalf("an export without a reason was recorded: %v", e)
		}
	}
	wantStatus(t, admin.post(path, url.Values{"sar-reason": {"the client's solicitor asked"}}), http.StatusOK, "Lola Locked",
		`name="sar-reason" value="the client&#39;s solicitor asked"`)
	dl := admin.post(path+".json", url.Values{"sar-reason": {"the client's solicitor asked"}})
	wantStatus(t, dl, http.StatusOK, `"client_id":"`+client+`"`)
	found := 0
	for _, e := range log() {
		e := e.(map[string]any)
		if e["grant"] == "subject_access" && e["locked"] == true && e["reason"] == "the client's solicitor asked" {
			found++
		}
	}
	if found != 2 {
		t.Errorf("%d locked subject access reads logged with the reason, want 2 (page and download): %v", found, log())
	}
}
