package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

// TestSecondFactorResetEmailsTheUser_Issue17: a reset of a user's second
// factor is emailed to them, with a link to set up a new one and nothing
// of a secret or code; an enrolment notifies nobody.
func TestSecondFactorResetEmailsTheUser_Issue17(t *testing.T) {
	h := newHarness(t)
	r := h.start(h.smtpSender())
	at := monday0600.Add(-time.Hour)
	nw := h.network(at)
	h.appendEvent(ledger.OrganisationStream(nw.from), nw.adviser, at,
		&domain.OrganisationUserMFAEnrolled{UserID: nw.adviser.UserID, Method: domain.MFAMethodTOTP})
	h.appendEvent(ledger.OrganisationStream(nw.from), nw.lead, at, &domain.OrganisationUserMFAReset{UserID: nw.adviser.UserID})
	msgs := h.mail.WaitFor(t, 1)
	h.caughtUp(r.n)
	m := mustOne(t, msgs, adviserMail, "second factor")
	if !strings.Contains(m.Body, "Link: "+publicURL+"/two-factor") || !strings.Contains(m.Body, "did not ask for this") {
		t.Errorf("reset notice:\n%s", m.Body)
	}
	if len(msgs) != 1 {
		t.Errorf("%d notices, want the reset's alone: %v", len(msgs), msgs)
	}
}
