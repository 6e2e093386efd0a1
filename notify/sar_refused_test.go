package notify

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

// TestSubjectAccessExportNotToAResponsiblePersonTheLockRefuses_LOCK2_LOCK12:
// a subject access export of a locked case was mailed to its responsible
// person even when the lock already refused them (moved into a team its
// deny list names): someone the deny list keeps out of the case (R-LOCK-2)
// was told, by reference, of a case "locked to you" and its export, and
// of a hidden lock they may learn nothing about (R-LOCK-12). It is mailed
// only to a responsible person the lock does not refuse, as information
// passed on is; the other notices of the case go on as before.
func TestSubjectAccessExportNotToAResponsiblePersonTheLockRefuses_LOCK2_LOCK12(t *testing.T) {
	const (
		requesterMail   = "manager@to.example"
		approverMail    = "approver@to.example"
		responsibleMail = "responsible@to.example"
	)
	h := newHarness(t)
	at := monday0600.Add(-time.Hour)
	nw := h.network(at)
	_, client := h.makeReferral(nw, false, at)
	requester := h.addUser(nw.to, requesterMail, at, domain.RoleTeamManager)
	approver := h.addUser(nw.to, approverMail, at, domain.RoleServiceManager)
	responsible := h.addUser(nw.to, responsibleMail, at, domain.RoleAdviser)
	h.lockCaseBy(client, requester, approver, responsible.UserID, at, true, nil, []domain.Party{{Team: "family"}})
	h.setRoles(nw, nw.to, responsible, at, "family", domain.RoleAdviser) // the lock refuses them now
	r := h.start(h.smtpSender())
	h.caughtUp(r.n)

	h.appendEvent(ledger.ClientStream(client), nw.coordinator, at, &domain.ClientSubjectAccessExported{ExportID: uuid.New()})
	h.passOn(nw, client, at) // to the managers instead, as the lock refuses the responsible person
	h.caughtUp(r.n)
	msgs := h.waitAllSent(t, r.n)
	if got := findTo(msgs, responsibleMail, ""); len(got) != 0 {
		t.Errorf("the responsible person the lock refuses was mailed about the case: %q", got[0].Subject)
	}
	mustOne(t, msgs, requesterMail, "about locked case "+ClientReference(client))
	noLeaks(t, h, responsibleMail)
}
