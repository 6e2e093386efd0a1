package http

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestWebRegisterOrganisationServiceErrorsSayWhich_UI2: the services of
// the register-an-organisation form are typed one a line in one box. A
// service the ledger refuses (too long a name, a name given twice) is
// named by its number, not by a bare "Must be at most 200 characters.",
// the box gets one error, the same in the summary and beside it, and the
// summary lists the errors in the order of the form. Nothing is written
// and what was typed is kept.
func TestWebRegisterOrganisationServiceErrorsSayWhich_UI2(t *testing.T) {
	a := newTestAPI(t, withWebPages())
	admin := a.pagesAs(t, a.Admin.Token)
	registered := a.countEvents(t, domain.OrganisationRegisteredType)
	long := strings.Repeat("S", 201)
	page := showing(t, admin.post("/organisations/new", url.Values{"org-name": {"Delta Debt Advice"}, "admin-email": {"not an email"},
		"services": {"Debt advice: help with debts\n" + long + ": too long\nDEBT ADVICE: again"}}),
		http.StatusUnprocessableEntity, "<title>Error: ", `value="Delta Debt Advice"`, `value="not an email"`, long,
		"The name of service 2 must be at most 200 characters")
	summary, _, _ := strings.Cut(page[strings.Index(page, "error-summary-list"):], "</ul>")
	links := strings.Count(summary, "<li>")
	if links != 2 || strings.Index(summary, `href="#admin-email"`) > strings.Index(summary, `href="#services"`) {
		t.Errorf("the summary does not list the email's error, then the services' one:\n%s", summary)
	}
	if fields := strings.Count(page, `class="error-message"`); fields != links {
		t.Errorf("%d errors beside the fields, %d in the summary", fields, links)
	}
	if strings.Contains(page, "Must be at most") || strings.Contains(page, "services[") {
		t.Errorf("an error does not say what it is about:\n%s", summary)
	}
	if got := a.countEvents(t, domain.OrganisationRegisteredType); got != registered {
		t.Fatalf("a refused form registered an organisation")
	}
}
