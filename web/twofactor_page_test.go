package web

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// TestOrgTwoFactorPageLinksTheNextPageOfUsers_Issue17: the org lead's
// second-factor page shows a page of users at a time, as the users page
// does, with a link to the next page while there is one, so an
// organisation with more users than a page can still see and reset each.
func TestOrgTwoFactorPageLinksTheNextPageOfUsers_Issue17(t *testing.T) {
	org := domain.Organisation{ID: uuid.New(), Name: "Housing Trust"}
	v := orgTwoFactorView{orgView: orgView{layout: layout{Title: "Second factor"}, Org: org, Managed: true},
		Users: []twoFactorRow{{User: domain.User{ID: uuid.New(), DisplayName: "Ben Adviser", Username: "ben"}}},
		Next:  "cursor-after-ben"}
	page := draw(t, "org-two-factor", v)
	want := `href="/organisations/` + org.ID.String() + `/second-factor?next=cursor-after-ben"`
	if !strings.Contains(page, want) || !strings.Contains(page, "Next page of users") {
		t.Errorf("the page does not link the next page of users (%s):\n%s", want, page)
	}
	v.Next = ""
	if page := draw(t, "org-two-factor", v); strings.Contains(page, "Next page of users") {
		t.Errorf("the last page links a next page:\n%s", page)
	}
}
