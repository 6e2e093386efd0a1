package main

// Navigation by role (R-UI-2): each person sees only the sections their
// roles allow, and a page they may not use answers as the API would (403
// or 404). Every page of the interface is listed in a pageRule table,
// here or beside the tests of its section, and checked for every role.

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

// rolesNetwork is a web network with one signed-in person per role: the
// organisation roles in Housing Trust (orgB), the network roles in the
// coordinating body (the bootstrap "admin" is the coordinator).
type rolesNetwork struct {
	*webNetwork
	as    map[domain.Role]*browser // a browser signed in as a user holding just that role
	users map[domain.Role]string   // that user's id
}

// rolePasswords are the role users' own passwords, set at first sign-in.
const rolePassword = "Gannet#Cliff-2049"

func newRolesNetwork(t *testing.T) *rolesNetwork {
	t.Helper()
	n := &rolesNetwork{webNetwork: newWebNetwork(t), as: map[domain.Role]*browser{}, users: map[domain.Role]string{}}
	coordinatorOrg := ledger.CoordinatorOrganisationID().String()
	for _, r := range domain.Roles() {
		org := n.orgB
		if r.Network() {
			org = coordinatorOrg
		}
		name := "role-" + strings.ReplaceAll(string(r), "_", "-")
		u := n.must(t, 201, "POST", "/v1/organisations/"+org+"/users", n.admin, map[string]any{"username": name,
			"display_name": "Role " + string(r), "email": name + "@example.org", "roles": []string{string(r)},
			"team": "Tenancy", "password": "Initial#Marmot-2049"})
		n.users[r] = u["id"].(string)
		n.firstSignIn(t, name, "Initial#Marmot-2049", rolePassword)
		b := n.browser(t)
		if p := b.signIn(name, rolePassword, "/"); p.status != http.StatusSeeOther {
			t.Fatalf("%s cannot sign in: %d %s", name, p.status, p.body)
		}
		n.as[r] = b
	}
	return n
}

// pageRule is one page of the interface and who may use it.
type pageRule struct {
	Path    string        // a GET path, with real ids
	Allowed []domain.Role // the roles that get 200
	Denied  int           // what every other role gets: 403 or 404
	Nav     bool          // the page has a navigation entry: shown exactly to Allowed
}

var navLink = regexp.MustCompile(`<nav aria-label="Main"[\s\S]*?</nav>`)

// checkPageRoles asks every rule's page as every role and checks the
// answer and the navigation against the rule.
func checkPageRoles(t *testing.T, n *rolesNetwork, rules []pageRule) {
	t.Helper()
	home := map[domain.Role]string{}
	for _, r := range domain.Roles() {
		p := n.as[r].follow(n.as[r].get("/"))
		if p.status != http.StatusOK {
			t.Fatalf("%s's first page: %d %s", r, p.status, p.location)
		}
		home[r] = navLink.FindString(p.body)
	}
	for _, rule := range rules {
		for _, r := range domain.Roles() {
			allowed := slices.Contains(rule.Allowed, r)
			p := n.as[r].get(rule.Path)
			want := rule.Denied
			if allowed {
				want = http.StatusOK
			}
			if p.status != want {
				t.Errorf("GET %s as %s = %d, want %d", rule.Path, r, p.status, want)
			}
			if rule.Nav {
				if shown := strings.Contains(home[r], `href="`+rule.Path+`"`); shown != allowed {
					t.Errorf("the navigation of %s shows %s: %v, want %v", r, rule.Path, shown, allowed)
				}
			}
		}
	}
}

var (
	allRoles        = domain.Roles()
	caseworkerRoles = []domain.Role{domain.RoleAdviser, domain.RoleOrgLead, domain.RoleTeamManager, domain.RoleServiceManager}
)

// TestWebPagesByRole_UI2: the advisers' pages, for every role.
func TestWebPagesByRole_UI2(t *testing.T) {
	n := newRolesNetwork(t)
	checkPageRoles(t, n, []pageRule{
		{Path: "/incoming", Allowed: allRoles, Nav: false},
		// Refused, as POST /v1/referrals refuses it, to those who do not
		// work cases, before they type a client's details into it.
		{Path: "/make-a-referral", Allowed: caseworkerRoles, Denied: http.StatusForbidden},
		{Path: "/directory", Allowed: allRoles, Nav: true},
		{Path: "/password", Allowed: allRoles},
	})
	for _, r := range allRoles {
		p := n.as[r].follow(n.as[r].get("/"))
		nav := navLink.FindString(p.body)
		if got := strings.Contains(nav, `href="/incoming"`); got != slices.Contains(caseworkerRoles, r) {
			t.Errorf("the navigation of %s shows Incoming: %v", r, got)
		}
	}

	// The bootstrap coordinator is also the org lead of the coordinating
	// body, which takes no referrals: they are not offered casework, and
	// their first page is a coordinator's page.
	admin := n.browser(t)
	if p := admin.signIn("admin", adminPassword, "/"); p.status != http.StatusSeeOther {
		t.Fatalf("admin cannot sign in: %d", p.status)
	}
	home := admin.get("/")
	if home.status != http.StatusSeeOther || home.location == "/incoming" {
		t.Errorf("the coordinator's first page: %d %q", home.status, home.location)
	}
	if nav := navLink.FindString(admin.follow(home).body); strings.Contains(nav, `href="/incoming"`) || !strings.Contains(nav, `href="/overdue"`) {
		t.Errorf("the coordinator's navigation:\n%s", nav)
	}
}
