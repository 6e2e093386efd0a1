package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

// TestPasswordSetEmailsTheUser_AUTH6_NOTE2: a one-time password their
// organisation's lead set for them is emailed to the user as a notice
// that it happened, with a link to sign in and never the password or its
// hash; changing their own password notifies nobody.
func TestPasswordSetEmailsTheUser_AUTH6_NOTE2(t *testing.T) {
	h := newHarness(t)
	r := h.start(h.smtpSender())
	at := monday0600.Add(-time.Hour)
	nw := h.network(at)
	const hash = "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$bmV3"
	h.appendEvent(ledger.OrganisationStream(nw.from), nw.adviser, at,
		&domain.OrganisationPasswordChanged{UserID: nw.adviser.UserID, PasswordHash: hash})
	h.appendEvent(ledger.OrganisationStream(nw.from), nw.lead, at,
		&domain.OrganisationPasswordChanged{UserID: nw.adviser.UserID, PasswordHash: hash, PasswordChangeRequired: true})
	msgs := h.mail.WaitFor(t, 1)
	h.caughtUp(r.n)
	m := mustOne(t, msgs, adviserMail, "new password was set")
	if !strings.Contains(m.Body, "Link: "+publicURL+"/sign-in") || !strings.Contains(m.Body, "did not ask for this") {
		t.Errorf("password-set notice:\n%s", m.Body)
	}
	if strings.Contains(m.Body, "argon2") || strings.Contains(m.Body, "bmV3") {
		t.Errorf("the notice holds the password's hash:\n%s", m.Body)
	}
	if len(msgs) != 1 {
		t.Errorf("%d notices, want the set password's alone: %v", len(msgs), msgs)
	}
}
