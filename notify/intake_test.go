package notify

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

// TestIntakeOffReminder: the org leads are reminded once intake has been
// off for the configured number of days (R-ORG-2), not before; switching
// intake back on cancels the reminder, and so does a resume date that
// comes first.
func TestIntakeOffReminder(t *testing.T) {
	h := newHarness(t)
	r := h.start(h.smtpSender())
	nw := h.network(monday0600)
	h.addUser(nw.to, "adviser@to.example", monday0600, domain.RoleAdviser)
	gone := h.addUser(nw.to, "gone-lead@to.example", monday0600, domain.RoleOrgLead)
	h.appendEvent(ledger.OrganisationStream(nw.to), nw.toLead, monday0600, &domain.OrganisationAccountClosed{UserID: gone.UserID})

	h.intakeOff(nw.to, nw.toLead, monday0600, "") // reminded on the 9th
	h.intakeOff(nw.from, nw.lead, monday0600, "") // back on before the reminder
	h.intakeOn(nw.from, nw.lead, monday0600.Add(24*time.Hour))
	other := uuid.New() // resumes by itself before the reminder
	h.registerOrg(other, "Resuming Org", "admin@resume.example", monday0600)
	otherLead := h.addUser(other, "lead@resume.example", monday0600, domain.RoleOrgLead)
	h.intakeOff(other, otherLead, monday0600, "2026-03-05")
	h.caughtUp(r.n)
	counts, err := r.n.outbox.counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if counts[statusPending] != 1 || counts[statusCancelled] != 1 {
		t.Errorf("outbox = %v, want 1 pending reminder and 1 cancelled", counts)
	}

	h.clock.Set(monday0600.AddDate(0, 0, 7))
	msgs := h.mail.WaitFor(t, 1)
	m := mustOne(t, msgs, toLeadMail, "Intake at Receiving Housing Trust has been off for 7 days")
	if !strings.Contains(m.Body, publicURL+"/directory") || !strings.Contains(m.Body, "2026-03-02") {
		t.Errorf("reminder lacks the link or the date intake went off:\n%s", m.Body)
	}
	if strings.Contains(m.Body, "staff away") {
		t.Errorf("reminder quotes the free-text reason:\n%s", m.Body)
	}
	// A later notice arrives after the reminder would have: nothing else
	// was due.
	h.makeReferral(nw, false, monday0600.AddDate(0, 0, 7))
	msgs = h.mail.WaitFor(t, 2)
	if len(msgs) != 2 || msgs[0].To != toLeadMail {
		t.Errorf("messages to %v, want the one reminder then the new referral", recipients(msgs))
	}
}
