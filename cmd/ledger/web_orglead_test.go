package main

// The org lead's pages (R-ORG-1..3, R-AUTH-6, R-AUTH-7) through plain
// HTTP, as a browser with JavaScript off sends them: each form's errors
// beside its fields with nothing written, and its success.

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Lena leads Housing Trust (orgB) in the org lead tests.
const (
	lenaInitial  = "Initial#Lapwing58"
	lenaPassword = "Lapwing#Marsh58"
)

// orgLeadNetwork is a web network with Lena, Housing Trust's org lead,
// signed in.
type orgLeadNetwork struct {
	*webNetwork
	lena    *browser
	lenaID  string
	orgBURL string // "/organisations/<orgB>"
}

func newOrgLeadNetwork(t *testing.T) *orgLeadNetwork {
	t.Helper()
	n := &orgLeadNetwork{webNetwork: newWebNetwork(t)}
	n.lenaID = n.must(t, 201, "POST", "/v1/organisations/"+n.orgB+"/users", n.admin, map[string]any{"username": "lena",
		"display_name": "Lena Lead", "email": "lena@example.org", "roles": []string{"org_lead"}, "password": lenaInitial})["id"].(string)
	n.firstSignIn(t, "lena", lenaInitial, lenaPassword)
	n.lena = n.browser(t)
	wantStatus(t, n.lena.signIn("lena", lenaPassword, "/"), http.StatusSeeOther)
	n.orgBURL = "/organisations/" + n.orgB
	return n
}

// revision is organisation org's revision, which any write to it moves.
func (n *orgLeadNetwork) revision(t *testing.T, org string) float64 {
	t.Helper()
	return n.must(t, 200, "GET", "/v1/organisations/"+org, n.admin, nil)["revision"].(float64)
}

// wantUnchanged fails if organisation org's revision is not before.
func (n *orgLeadNetwork) wantUnchanged(t *testing.T, org string, before float64) {
	t.Helper()
	if after := n.revision(t, org); after != before {
		t.Fatalf("a refused form wrote to the organisation: revision %v → %v", before, after)
	}
}

// TestWebOrgLeadUsers_ORG3_AUTH6_AUTH7: the org lead lists, adds, edits and
// closes users; each form's errors come back beside its fields and write
// nothing; the new user must change the one-time password at first
// sign-in; network roles are neither offered nor accepted from the org
// lead; another organisation's users answer 403 as in the API.
func TestWebOrgLeadUsers_ORG3_AUTH6_AUTH7(t *testing.T) {
	n := newOrgLeadNetwork(t)
	b := n.lena

	home := b.follow(b.get("/"))
	wantStatus(t, home, http.StatusOK, `href="/organisation"`, "Your organisation")
	p := b.get("/organisation")
	if p.status != http.StatusSeeOther || p.location != n.orgBURL+"/users" {
		t.Fatalf("/organisation: %d %q", p.status, p.location)
	}
	p = b.follow(p)
	wantStatus(t, p, http.StatusOK, "Housing Trust", "Users", "Ben Adviser", "ben", "Lena Lead", "Organisation lead",
		`<strong class="tag tag-open">Open</strong>`, `aria-current="page">Your organisation`)
	if strings.Contains(p.body, ">Never<") {
		t.Errorf("everyone here has signed in, yet a user shows Never:\n%s", p.body)
	}

	// The form offers the organisation's roles, not the network's (R-AUTH-7).
	p = b.get(n.orgBURL + "/users/new")
	wantStatus(t, p, http.StatusOK, "Add a user", `value="adviser"`, `value="helpdesk"`, "They must change it when they first sign in")
	if strings.Contains(p.body, `value="auditor"`) || strings.Contains(p.body, `value="coordinator"`) {
		t.Errorf("the org lead is offered network roles:\n%s", p.body)
	}

	before := n.revision(t, n.orgB)
	form := func(mod func(url.Values)) url.Values {
		f := url.Values{"display-name": {"Nia Newcomer"}, "username": {"nia"}, "email": {"nia@example.org"},
			"roles": {"adviser", "team_manager"}, "team": {"Tenancy"}, "password": {"Initial#Puffin63"}}
		if mod != nil {
			mod(f)
		}
		return f
	}
	// Nothing filled in: every field named, in the order of the form.
	p = b.post(n.orgBURL+"/users", url.Values{})
	wantStatus(t, p, http.StatusUnprocessableEntity, "There is a problem", `href="#display-name"`, `href="#username"`,
		`href="#email"`, `href="#roles"`, `href="#password"`, "Enter a one-time password", "<title>Error: Add a user")
	if i, j := strings.Index(p.body, `href="#display-name"`), strings.Index(p.body, `href="#password"`); i > j {
		t.Errorf("the error summary is not in the order of the form")
	}
	// A weak password: named, the other fields kept, the password not.
	p = b.post(n.orgBURL+"/users", form(func(f url.Values) { f.Set("password", "password") }))
	wantStatus(t, p, http.StatusUnprocessableEntity, `href="#password"`, `value="Nia Newcomer"`, `value="nia@example.org"`, `value="team_manager" aria-describedby="roles-team_manager-hint" checked`)
	if strings.Contains(p.body, `value="password"`) {
		t.Errorf("the refused password is sent back in the page")
	}
	// A mistyped email and a weak password: both named in one answer, not
	// the password only once the email is right.
	wantStatus(t, b.post(n.orgBURL+"/users", form(func(f url.Values) { f.Set("email", "nia-at-example.org"); f.Set("password", "password") })),
		http.StatusUnprocessableEntity, `href="#email"`, `href="#password"`)
	// A network role, forged into the form: refused naming the roles (R-AUTH-7).
	wantStatus(t, b.post(n.orgBURL+"/users", form(func(f url.Values) { f.Set("roles", "auditor") })),
		http.StatusUnprocessableEntity, `href="#roles"`, "only the coordinator grants")
	// A username someone has, in any case (R-AUTH-1).
	wantStatus(t, b.post(n.orgBURL+"/users", form(func(f url.Values) { f.Set("username", "BEN") })),
		http.StatusUnprocessableEntity, `href="#username"`)
	n.wantUnchanged(t, n.orgB, before)

	p = b.post(n.orgBURL+"/users", form(nil))
	if p.status != http.StatusSeeOther || p.location != n.orgBURL+"/users" {
		t.Fatalf("adding a user: %d %q\n%s", p.status, p.location, p.body)
	}
	p = b.follow(p)
	wantStatus(t, p, http.StatusOK, "User added", "Nia Newcomer", "Adviser, Team manager", "Tenancy", ">Never<")

	// Nia signs in with the one-time password and must change it (R-AUTH-6).
	nia := n.browser(t)
	p = nia.signIn("nia", "Initial#Puffin63", "/")
	p = nia.follow(p)
	wantStatus(t, p, http.StatusOK, "Change your password", "You need to choose a new password")
	if p := nia.get("/incoming"); p.status != http.StatusSeeOther || p.location != "/password" {
		t.Fatalf("before changing the one-time password: %d %q", p.status, p.location)
	}
	p = nia.post("/password", url.Values{"current-password": {"Initial#Puffin63"}, "new-password": {"Puffin#Burrow63"},
		"confirm-password": {"Puffin#Burrow63"}})
	wantStatus(t, nia.follow(p), http.StatusOK)
	wantStatus(t, nia.signIn("nia", "Puffin#Burrow63", "/incoming"), http.StatusSeeOther)
	niaID := ""
	for _, u := range n.users(t, n.orgB) {
		if u["username"] == "nia" {
			niaID = u["id"].(string)
			if u["last_sign_in_at"] == nil {
				t.Errorf("Nia signed in, but no sign-in is recorded")
			}
		}
	}
	if niaID == "" {
		t.Fatal("Nia is not among Housing Trust's users")
	}

	// Edit: errors beside the fields, nothing written; then saved.
	userURL := n.orgBURL + "/users/" + niaID
	wantStatus(t, b.get(userURL), http.StatusOK, "Nia Newcomer", "Change their details", "Close this account", `value="Tenancy"`)
	before = n.revision(t, n.orgB)
	p = b.post(userURL, url.Values{"display-name": {""}, "email": {"not an email"}, "team": {"Money"}})
	wantStatus(t, p, http.StatusUnprocessableEntity, `href="#display-name"`, `href="#email"`, `href="#roles"`, `value="Money"`)
	wantStatus(t, b.post(userURL, url.Values{"display-name": {"Nia N"}, "email": {"nia@example.org"}, "roles": {"coordinator"}}),
		http.StatusUnprocessableEntity, `href="#roles"`)
	n.wantUnchanged(t, n.orgB, before)
	p = b.post(userURL, url.Values{"display-name": {"Nia Newman"}, "email": {"nia.newman@example.org"}, "roles": {"adviser"}, "team": {"Money"}})
	if p.status != http.StatusSeeOther || p.location != userURL {
		t.Fatalf("saving a user: %d %q\n%s", p.status, p.location, p.body)
	}
	wantStatus(t, b.follow(p), http.StatusOK, "have been saved", "Nia Newman", `value="nia.newman@example.org"`, `value="Money"`)

	// Close, after a confirmation step: Nia is signed out at once (R-ORG-3).
	wantStatus(t, b.get(userURL+"/close"), http.StatusOK, "Are you sure you want to close Nia Newman", "Yes, close the account")
	p = b.post(userURL+"/close", url.Values{})
	if p.status != http.StatusSeeOther || p.location != n.orgBURL+"/users" {
		t.Fatalf("closing an account: %d %q", p.status, p.location)
	}
	wantStatus(t, b.follow(p), http.StatusOK, "Account closed", `<strong class="tag tag-closed">Closed</strong>`)
	if p := nia.get("/incoming"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/sign-in") {
		t.Errorf("a closed account's session still works: %d %q", p.status, p.location)
	}
	wantStatus(t, b.get(userURL), http.StatusOK, "This account was closed on")
	wantStatus(t, b.get(userURL+"/close"), http.StatusOK, "already closed")

	// An account holding a network role is the coordinator's (R-AUTH-7).
	support := n.must(t, 201, "POST", "/v1/organisations/"+n.orgB+"/users", n.admin, map[string]any{"username": "sam",
		"display_name": "Sam Support", "email": "sam@example.org", "roles": []string{"system_support"}, "password": "Initial#Tern44"})["id"].(string)
	wantStatus(t, b.get(n.orgBURL+"/users/"+support), http.StatusOK, "only the network coordinator can change or close it")
	wantStatus(t, b.get(n.orgBURL+"/users/"+support+"/close"), http.StatusForbidden)
	before = n.revision(t, n.orgB)
	wantStatus(t, b.post(n.orgBURL+"/users/"+support+"/close", url.Values{}), http.StatusForbidden)
	wantStatus(t, b.post(n.orgBURL+"/users/"+support, url.Values{"display-name": {"X"}, "email": {"x@example.org"}, "roles": {"adviser"}}), http.StatusForbidden)
	n.wantUnchanged(t, n.orgB, before)

	// Another organisation's users: 403, as the API answers; nothing written.
	before = n.revision(t, n.orgA)
	for _, path := range []string{"/users", "/users/new", "/intake", "/profile"} {
		wantStatus(t, b.get("/organisations/"+n.orgA+path), http.StatusForbidden)
	}
	wantStatus(t, b.post("/organisations/"+n.orgA+"/users", form(func(f url.Values) { f.Set("username", "intruder") })), http.StatusForbidden)
	n.wantUnchanged(t, n.orgA, before)
	wantStatus(t, b.get("/organisations/00000000-0000-4000-8000-000000000000/users"), http.StatusNotFound)
	wantStatus(t, b.get(n.orgBURL+"/users/00000000-0000-4000-8000-000000000000"), http.StatusNotFound)
}

// users is organisation org's users, as the API lists them to the coordinator.
func (n *orgLeadNetwork) users(t *testing.T, org string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, u := range n.must(t, 200, "GET", "/v1/organisations/"+org+"/users", n.admin, nil)["users"].([]any) {
		out = append(out, u.(map[string]any))
	}
	return out
}

// userID is the id of organisation org's user with username.
func (n *orgLeadNetwork) userID(t *testing.T, org, username string) string {
	t.Helper()
	for _, u := range n.users(t, org) {
		if u["username"] == username {
			return u["id"].(string)
		}
	}
	t.Fatalf("no user %s in %s", username, org)
	return ""
}

// TestWebOrgLeadIntake_ORG2: the org lead switches intake off, with a
// reason and a resume date, and on again; a missing reason or a past date
// is named beside its field and nothing is written; the directory follows;
// the coordinator sees the state without the form, and cannot switch it.
func TestWebOrgLeadIntake_ORG2(t *testing.T) {
	n := newOrgLeadNetwork(t)
	b := n.lena
	intake := n.orgBURL + "/intake"
	wantStatus(t, b.get(intake), http.StatusOK, "Accepting referrals", "Switch intake off", `aria-current="page">Intake`)

	before := n.revision(t, n.orgB)
	wantStatus(t, b.post(intake, url.Values{"accepting": {"no"}, "intake-reason": {""}, "resume-on": {"4 1 2099"}}),
		http.StatusUnprocessableEntity, `href="#intake-reason"`, `value="4 1 2099"`)
	wantStatus(t, b.post(intake, url.Values{"accepting": {"no"}, "intake-reason": {"Staff training"}, "resume-on": {"1 1 2020"}}),
		http.StatusUnprocessableEntity, `href="#resume-on"`, "Staff training")
	n.wantUnchanged(t, n.orgB, before)

	p := b.post(intake, url.Values{"accepting": {"no"}, "intake-reason": {"Staff training"}, "resume-on": {"4 1 2099"}})
	if p.status != http.StatusSeeOther || p.location != intake {
		t.Fatalf("switching intake off: %d %q\n%s", p.status, p.location, p.body)
	}
	wantStatus(t, b.follow(p), http.StatusOK, "Intake switched off", "Not accepting referrals", "Staff training",
		"4 January 2099", "Less than a day", "Switch intake on now")
	o := n.must(t, 200, "GET", "/v1/organisations/"+n.orgB, n.admin, nil)
	if o["accepting_referrals"] != false || o["intake"].(map[string]any)["resume_on"] != "2099-01-04" {
		t.Fatalf("the organisation after intake off: %v", o)
	}
	wantStatus(t, b.get("/directory"), http.StatusOK, "4 January 2099")

	// The coordinator sees it, without the form, and may not switch it.
	admin := n.browser(t)
	wantStatus(t, admin.signIn("admin", adminPassword, "/"), http.StatusSeeOther)
	p = admin.get(intake)
	wantStatus(t, p, http.StatusOK, "Not accepting referrals", "Only the organisation's lead can switch")
	if strings.Contains(p.body, "Switch intake on now") {
		t.Error("the coordinator is offered the intake form")
	}
	before = n.revision(t, n.orgB)
	wantStatus(t, admin.post(intake, url.Values{"accepting": {"yes"}}), http.StatusForbidden)
	n.wantUnchanged(t, n.orgB, before)

	p = b.post(intake, url.Values{"accepting": {"yes"}})
	wantStatus(t, b.follow(p), http.StatusOK, "Intake switched on", "Accepting referrals", "Switch intake off")
	if o := n.must(t, 200, "GET", "/v1/organisations/"+n.orgB, n.admin, nil); o["accepting_referrals"] != true {
		t.Fatalf("the organisation after intake on: %v", o)
	}
}

// TestWebOrgLeadProfile_ORG1: the org lead keeps the directory entry and
// the admin contact email current; errors are named beside their fields
// and nothing is written; a cleared row removes its service.
func TestWebOrgLeadProfile_ORG1(t *testing.T) {
	n := newOrgLeadNetwork(t)
	b := n.lena
	profile := n.orgBURL + "/profile"
	wantStatus(t, b.get(profile), http.StatusOK, "Directory entry", `value="Tenancy support"`, "Help for tenants",
		`value="b@housing.example"`, `id="service-1-name"`)

	before := n.revision(t, n.orgB)
	p := b.post(profile, url.Values{"name": {"advice centre"}, "description": {"Homes"}, "admin-email": {"intake@housing.example"}})
	wantStatus(t, p, http.StatusUnprocessableEntity, `href="#name"`, `value="advice centre"`) // Advice Centre's, in any case
	// A taken name beside another mistake: both in one error summary.
	p = b.post(profile, url.Values{"name": {"advice centre"}, "description": {"Homes"}, "admin-email": {"not an email"}})
	wantStatus(t, p, http.StatusUnprocessableEntity, `href="#name"`, `href="#admin-email"`, "already the name of another organisation")
	p = b.post(profile, url.Values{"name": {"Housing Trust"}, "description": {"Homes"}, "admin-email": {"not an email"},
		"service-0-name": {"Tenancy support"}, "service-1-description": {"A service without a name"}})
	wantStatus(t, p, http.StatusUnprocessableEntity, `href="#admin-email"`, `href="#service-1-name"`,
		"The name of service 2", `value="not an email"`, "A service without a name")
	n.wantUnchanged(t, n.orgB, before)

	p = b.post(profile, url.Values{"name": {"Housing Trust"}, "description": {"Help for tenants and landlords"}, "admin-email": {"intake@housing.example"},
		"service-0-name": {""}, "service-0-description": {""}, "service-1-name": {"Mediation"}, "service-1-description": {"Between tenants and landlords"}})
	if p.status != http.StatusSeeOther || p.location != profile {
		t.Fatalf("saving the entry: %d %q\n%s", p.status, p.location, p.body)
	}
	wantStatus(t, b.follow(p), http.StatusOK, "directory entry has been saved", `value="Mediation"`, `value="intake@housing.example"`)
	o := n.must(t, 200, "GET", "/v1/organisations/"+n.orgB, n.admin, nil)
	services := o["services"].([]any)
	if o["description"] != "Help for tenants and landlords" || o["admin_email"] != "intake@housing.example" ||
		len(services) != 1 || services[0].(map[string]any)["name"] != "Mediation" {
		t.Fatalf("the organisation after saving: %v", o)
	}
}
