package notify

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// TestNoticeLinksOpenWebPages_REF13_UI1: every link in every notice opens a
// page of the web interface: a link about a referral opens its page
// /referrals/{id} and names its reference; the others open a page a browser
// can show. None is a JSON document under /v1, and no client id is in a URL.
func TestNoticeLinksOpenWebPages_REF13_UI1(t *testing.T) {
	l := links{base: publicURL}
	id, client := uuid.New(), uuid.New()
	from := orgState{id: uuid.New(), name: "Referring Advice Centre"}
	to := orgState{id: uuid.New(), name: "Receiving Housing Trust"}
	due := time.Date(2026, 2, 25, 17, 0, 0, 0, time.UTC)
	late := []overdueReferral{{referral: domain.Referral{ID: id, FromOrganisationID: from.id, ToOrganisationID: to.id},
		stage: domain.StageAcknowledge, due: due, workingDaysOverdue: 3}}
	name := func(uuid.UUID) string { return "an organisation" }
	type notice struct {
		name, body    string
		aboutReferral bool
	}
	var all []notice
	add := func(n string, about bool, _, body string) { all = append(all, notice{n, body, about}) }
	s, b := newReferralContent(l, id, from, to, true)
	add("new referral", true, s, b)
	s, b = acknowledgedContent(l, id, to)
	add("acknowledged", true, s, b)
	s, b = closedContent(l, id, to)
	add("closed", true, s, b)
	s, b = digestContent(l, "2026-03-02", to, false, late, name)
	add("organisation digest", true, s, b)
	s, b = digestContent(l, "2026-03-02", to, true, late, name)
	add("network digest", true, s, b)
	s, b = intakeOffContent(l, to, due, 7)
	add("intake off", false, s, b)
	s, b = lockedCaseMessageContent(l, client, true)
	add("locked case message", false, s, b)
	s, b = lockedCaseSubjectAccessContent(l, client)
	add("subject access", false, s, b)

	url := regexp.MustCompile(`https?://\S+`)
	for _, n := range all {
		found := url.FindAllString(n.body, -1)
		if len(found) == 0 {
			t.Errorf("%s notice has no link:\n%s", n.name, n.body)
		}
		for _, u := range found {
			if !strings.HasPrefix(u, publicURL+"/") || strings.Contains(u, "/v1/") || strings.Contains(u, client.String()) {
				t.Errorf("%s notice links to %s, not a web page", n.name, u)
			}
		}
		if n.aboutReferral {
			if !strings.Contains(n.body, publicURL+"/referrals/"+id.String()) || !strings.Contains(n.body, Reference(id)) {
				t.Errorf("%s notice does not link to the referral's page with its reference:\n%s", n.name, n.body)
			}
		}
	}
}
