package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

// TestHiddenLockAfterRestart_LOCK12: a client's case locked with its
// notification hidden before the notifier restarts keeps those it keeps
// out uninformed after the restart too: the receiver's administrative
// contact hears nothing of a new referral of the client, nor the adviser
// the lock keeps out of its acknowledgement. The state resumed from
// notifications.db holds the referral's client and the whole lock, as the
// state before the restart did.
func TestHiddenLockAfterRestart_LOCK12(t *testing.T) {
	h := newHarness(t)
	r := h.start(h.smtpSender())
	at := monday0600.Add(-time.Hour)
	nw := h.network(at)
	manager := h.addUser(nw.to, "manager@to.example", at, domain.RoleTeamManager)
	id, client := h.makeReferral(nw, false, at)
	h.caughtUp(r.n)
	h.waitAllSent(t, r.n) // the new referral, sent before the lock: one still waiting then would not be
	h.mail.WaitFor(t, 1)
	request := uuid.New()
	h.appendEvent(ledger.ClientStream(client), manager, at, &domain.LockRequested{RequestID: request, ClientID: client,
		ResponsibleUserID: nw.toLead.UserID, Reason: "reason " + marker, Allow: []domain.Party{}, Deny: []domain.Party{},
		HideNotification: true})
	h.appendEvent(ledger.ClientStream(client), manager, at, &domain.LockApproved{RequestID: request})
	h.caughtUp(r.n)
	r.stop(t)

	r = h.start(h.smtpSender())
	h.acknowledge(nw, id, at)
	again := uuid.New()
	h.appendEvent(ledger.ReferralStream(again), nw.adviser, at, &domain.ReferralMade{ReferralID: again,
		FromOrganisationID: nw.from, ToOrganisationID: nw.to, ClientID: client,
		Reason: "reason " + marker, Consent: &domain.Consent{Method: domain.ConsentVerbal, Confirmed: true}, PrivacyNoticeGiven: true})
	visible, _ := h.makeReferral(nw, false, at) // no lock: told as usual
	h.caughtUp(r.n)
	msgs := h.waitAllSent(t, r.n)
	for _, m := range msgs {
		if strings.Contains(m.Subject, Reference(id)+" acknowledged") || strings.Contains(m.Subject, Reference(again)) {
			t.Errorf("after the restart %s was told of the hidden case: %s", m.To, m.Subject)
		}
	}
	mustOne(t, msgs, toAdmin, "New referral "+Reference(visible))
}

// TestOrphanedLockMessageAfterRestart_LOCK8: information passed on about
// a locked case whose responsible person's account is closed reaches the
// managers who asked for and approved the lock after a restart of the
// notifier too, not nobody.
func TestOrphanedLockMessageAfterRestart_LOCK8(t *testing.T) {
	h := newHarness(t)
	r := h.start(h.smtpSender())
	at := monday0600.Add(-time.Hour)
	nw := h.network(at)
	_, client := h.makeReferral(nw, false, at)
	requester := h.addUser(nw.to, "manager@to.example", at, domain.RoleTeamManager)
	approver := h.addUser(nw.to, "approver@to.example", at, domain.RoleTeamManager)
	responsible := h.addUser(nw.to, "responsible@to.example", at, domain.RoleAdviser)
	request := uuid.New()
	h.appendEvent(ledger.ClientStream(client), requester, at, &domain.LockRequested{RequestID: request, ClientID: client,
		ResponsibleUserID: responsible.UserID, Reason: "reason " + marker, Allow: []domain.Party{}, Deny: []domain.Party{}})
	h.appendEvent(ledger.ClientStream(client), approver, at, &domain.LockApproved{RequestID: request})
	h.appendEvent(ledger.OrganisationStream(nw.to), nw.toLead, at, &domain.OrganisationAccountClosed{UserID: responsible.UserID})
	h.mail.WaitFor(t, 1)
	h.caughtUp(r.n)
	r.stop(t)

	r = h.start(h.smtpSender())
	h.appendEvent(ledger.MessagesStream(client), nw.adviser, at, &domain.MessageForResponsiblePerson{MessageID: uuid.New(),
		ClientID: client, ChildProtection: true, Text: "text " + marker})
	h.caughtUp(r.n)
	msgs := h.waitAllSent(t, r.n)
	for _, to := range []string{"manager@to.example", "approver@to.example"} {
		mustOne(t, msgs, to, "URGENT child protection: information about locked case "+ClientReference(client))
	}
}
