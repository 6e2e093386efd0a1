package http

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/session"
)

// TestWebUsernameErrorNamesTheField_AUTH1_UI2: a username the add-a-user
// form refuses is refused naming the username, as every other field's
// error names its field, not with a message that starts mid-sentence
// ("May contain only …").
func TestWebUsernameErrorNamesTheField_AUTH1_UI2(t *testing.T) {
	n := newNetwork(t, withWebPages())
	admin := n.pagesAs(t, n.Admin.Token)
	form := url.Values{"display-name": {"Nell New"}, "username": {"nell new"}, "email": {"nell@example.org"},
		"roles": {"adviser"}, "password": {"Set-By-Lead#Quokka7"}}
	page := showing(t, admin.post("/organisations/"+n.OrgB+"/users", form), http.StatusUnprocessableEntity,
		`<a href="#username">The username may contain only letters, digits and . _ - @.</a>`, `value="nell new"`)
	if strings.Contains(page, ">May contain") {
		t.Error("the username's error does not say what it is about")
	}
	form.Set("username", "nl")
	showing(t, admin.post("/organisations/"+n.OrgB+"/users", form), http.StatusUnprocessableEntity,
		`<a href="#username">The username must be 3 to 64 characters long.</a>`)
}

// TestWebSignInTellsTheIdleLimit_UI1_UI2: without JavaScript no warning
// comes before an idle session ends (WCAG 2.2.1 Timing Adjustable), so the
// sign-in page says, before the user starts, how long the service waits
// and that what is not sent by then is lost: the idle timeout in force.
func TestWebSignInTellsTheIdleLimit_UI1_UI2(t *testing.T) {
	a := newTestAPI(t, withWebPages(), withSessions(session.Config{IdleTimeout: 90 * time.Minute, AbsoluteTimeout: 12 * time.Hour}))
	showing(t, a.pagesAs(t, "").get("/sign-in"), http.StatusOK,
		"you will be signed out if you do not use the service for 1 hour 30 minutes. Anything you have not sent by then is not saved.")
	showing(t, a.pagesAs(t, "").post("/sign-in", url.Values{}), http.StatusUnprocessableEntity,
		"you will be signed out if you do not use the service for 1 hour 30 minutes.")

	d := newTestAPI(t, withWebPages(), withSessions(session.DefaultConfig()))
	showing(t, d.pagesAs(t, "").get("/sign-in"), http.StatusOK, "if you do not use the service for 30 minutes.")
}

// TestWebClientWithoutDateOfBirth_REF1_UI2: a referral made without the
// client's date of birth, which the API and the form allow, shows "Not
// given" for it on the referral's page and in the subject access export,
// not an empty row in the list of the client's details.
func TestWebClientWithoutDateOfBirth_REF1_UI2(t *testing.T) {
	n := newNetwork(t, withWebPages())
	body := validReferral(n.OrgB, "Dana Nodob")
	delete(body["client"].(map[string]any), "date_of_birth")
	id := n.makeReferralWith(t, n.AdviserA.Token, body)
	empty := `<dt>Date of birth</dt><dd></dd>`
	given := `<dt>Date of birth</dt><dd>Not given</dd>`
	page := showing(t, n.pagesAs(t, n.AdviserB.Token).get("/referrals/"+id), http.StatusOK, "Dana Nodob", given)
	if strings.Contains(page, empty) {
		t.Error("the referral's page shows an empty date of birth")
	}
	page = showing(t, n.pagesAs(t, n.Admin.Token).get("/clients/"+n.clientOf(t, id)+"/subject-access"), http.StatusOK, "Dana Nodob", given)
	if strings.Contains(page, empty) {
		t.Error("the subject access export shows an empty date of birth")
	}
}

// TestWebCoordinatingBodyTakesNoReferrals_ORG1_UI2: the network's
// coordinating body, to which every referral is refused, is not shown to
// the coordinator as "Accepting" referrals, on the organisations page or
// its own page; the other organisations still are.
func TestWebCoordinatingBodyTakesNoReferrals_ORG1_UI2(t *testing.T) {
	n := newNetwork(t, withWebPages())
	admin := n.pagesAs(t, n.Admin.Token)
	page := showing(t, admin.get("/organisations"), http.StatusOK)
	row := regexp.MustCompile(`(?s)<tr>\s*<td data-label="Organisation"><a href="/organisations/` + n.CoordinatorOrg + `">.*?</tr>`).FindString(page)
	if row == "" || !strings.Contains(row, "Takes no referrals") || strings.Contains(row, ">Accepting<") {
		t.Errorf("the coordinating body's row: %q", row)
	}
	if !strings.Contains(page, `<a href="/organisations/`+n.OrgB+`">`) || strings.Count(page, ">Accepting<") < 2 {
		t.Errorf("the organisations that take referrals are no longer shown accepting:\n%s", page)
	}
	page = showing(t, admin.get("/organisations/"+n.CoordinatorOrg), http.StatusOK, "Takes no referrals")
	if strings.Contains(page, "Accepting referrals") {
		t.Error("the coordinating body's page says it is accepting referrals")
	}
	showing(t, admin.get("/organisations/"+n.OrgB), http.StatusOK, "Accepting referrals")
}

// TestWebCoordinatingBodyHasNoIntake_ORG2_UI2: the intake page of the
// network's coordinating body, which its lead (the bootstrap coordinator)
// reaches from their own organisation's pages, says it takes no referrals
// and offers no switch, instead of "Accepting referrals" and a form to
// switch an intake nobody can refer through.
func TestWebCoordinatingBodyHasNoIntake_ORG2_UI2(t *testing.T) {
	n := newNetwork(t, withWebPages())
	page := showing(t, n.pagesAs(t, n.Admin.Token).get("/organisations/"+n.CoordinatorOrg+"/intake"), http.StatusOK, "Takes no referrals")
	if strings.Contains(page, "Accepting referrals") || strings.Contains(page, "Switch intake") {
		t.Errorf("the coordinating body's intake page offers an intake:\n%s", page)
	}
	showing(t, n.pagesAs(t, n.Admin.Token).get("/organisations/"+n.OrgB+"/intake"), http.StatusOK, "Accepting referrals")
}

// TestWebForwardConfirmShowsSafeguardingReason_REF10_REF2_UI2: a forward
// shared without consent asks "Are you sure?" showing the safeguarding
// reason given with the rest of what will be sent, so it can be checked
// before the client's details go to another organisation.
func TestWebForwardConfirmShowsSafeguardingReason_REF10_REF2_UI2(t *testing.T) {
	n := newNetwork(t, withWebPages())
	want(t, n.do(t, http.MethodPost, "/v1/referrals/"+n.Referral+"/acknowledgement", n.AdviserB.Token, map[string]any{}), http.StatusOK)
	form := url.Values{"forward-to": {n.OrgC}, "forward-comment": {"They can help."}, "forward-basis": {"override"},
		"forward-override-reason": {"Risk of harm to a child."}}
	showing(t, n.pagesAs(t, n.AdviserB.Token).post("/referrals/"+n.Referral+"/forward", form), http.StatusOK,
		"Are you sure you want to forward this referral?", "<dt>Safeguarding reason</dt>", "Risk of harm to a child.</dd>")
}
