package http

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestWebUserFormUnknownRoleNamedAtTheRoles_UI2: a user form sent with a
// role the form does not offer (a value edited, or from an older page) is
// refused, as the API refuses it, with nothing written; the error sits
// beside the roles, where the summary's link leads, and says in words
// what to do, not the API's "roles[1]: is not a known role". Each form
// keeps what was typed, and the other fields' errors come with it.
func TestWebUserFormUnknownRoleNamedAtTheRoles_UI2(t *testing.T) {
	n := newNetwork(t, withWebPages())
	lead := n.pagesAs(t, n.LeadA.Token)
	users := "/organisations/" + n.OrgA + "/users"
	check := func(r *response, typed ...string) {
		t.Helper()
		page := showing(t, r, http.StatusUnprocessableEntity, "<title>Error: ", `<a href="#roles">`,
			`id="roles-error"`, "Select only roles from the list")
		for _, s := range typed {
			if !strings.Contains(page, s) {
				t.Errorf("the form lost %q", s)
			}
		}
		if strings.Contains(page, "roles[") || strings.Contains(page, "roles%5b") || strings.Contains(page, "Is not a known role") {
			t.Errorf("the page names the API's field or words:\n%s", page)
		}
		summary, _, _ := strings.Cut(page[strings.Index(page, "error-summary-list"):], "</ul>")
		if c, l := strings.Count(page, `class="error-message"`), strings.Count(summary, "<li>"); c != l {
			t.Errorf("%d errors by the fields, but the summary lists %d:\n%s", c, l, page)
		}
	}
	added := n.countEvents(t, domain.OrganisationUserAddedType)
	check(lead.post(users, url.Values{"display-name": {"Cara Case"}, "username": {"cara"}, "email": {"not-an-address"},
		"roles": {"adviser", "bogus", "also-bogus"}, "password": {"Marmot#Kettle-Blue7"}}),
		`value="Cara Case"`, `value="cara"`, `value="not-an-address"`, `href="#email"`)
	if got := n.countEvents(t, domain.OrganisationUserAddedType); got != added {
		t.Fatalf("%d accounts added by a refused form", got-added)
	}

	changed := n.countEvents(t, domain.OrganisationUserRolesChangedType)
	account := users + "/" + n.AdviserA.ID
	page := showing(t, lead.get(account), http.StatusOK)
	rev := regexp.MustCompile(`name="revision" value="(\d+)"`).FindStringSubmatch(page)
	if rev == nil {
		t.Fatalf("the account's form carries no revision:\n%s", page)
	}
	check(lead.post(account, url.Values{"revision": {rev[1]}, "display-name": {"Ada Adviser"}, "email": {"ada@example.org"},
		"roles": {"adviser", "bogus"}}), `value="Ada Adviser"`, `value="ada@example.org"`)
	if got := n.countEvents(t, domain.OrganisationUserRolesChangedType); got != changed {
		t.Fatalf("the roles were changed by a refused form")
	}
}
