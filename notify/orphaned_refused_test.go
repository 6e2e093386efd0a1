package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

// TestOrphanedLockMessageNotToAManagerTheLockRefuses_LOCK8_LOCK12:
// information passed on about a locked case whose responsible person's
// account is closed goes to the managers who asked for and approved the
// lock (R-LOCK-8), but not to one the lock now refuses: the deny list
// wins over everything and helpdesk never has access (R-LOCK-2), so the
// team manager who asked for a hidden lock and was then moved into a team
// it refuses hears nothing of the case (R-LOCK-12), while the service
// manager who approved it is told.
func TestOrphanedLockMessageNotToAManagerTheLockRefuses_LOCK8_LOCK12(t *testing.T) {
	h := newHarness(t)
	r := h.start(h.smtpSender())
	at := monday0600.Add(-time.Hour)
	nw := h.network(at)
	_, client := h.makeReferral(nw, false, at)
	requester := h.addUser(nw.to, "manager@to.example", at, domain.RoleTeamManager)
	approver := h.addUser(nw.to, "approver@to.example", at, domain.RoleServiceManager)
	responsible := h.addUser(nw.to, "responsible@to.example", at, domain.RoleAdviser)
	request := uuid.New()
	h.appendEvent(ledger.ClientStream(client), requester, at, &domain.LockRequested{RequestID: request, ClientID: client,
		ResponsibleUserID: responsible.UserID, Reason: "reason " + marker, Allow: []domain.Party{},
		Deny: []domain.Party{{Team: "family"}}, HideNotification: true})
	h.appendEvent(ledger.ClientStream(client), approver, at, &domain.LockApproved{RequestID: request})
	h.appendEvent(ledger.OrganisationStream(nw.to), nw.toLead, at, &domain.OrganisationUserRolesChanged{UserID: requester.UserID,
		Roles: []domain.Role{domain.RoleTeamManager}, Team: "family"})
	h.appendEvent(ledger.OrganisationStream(nw.to), nw.toLead, at, &domain.OrganisationAccountClosed{UserID: responsible.UserID})
	h.appendEvent(ledger.MessagesStream(client), nw.adviser, at, &domain.MessageForResponsiblePerson{MessageID: uuid.New(),
		ClientID: client, ChildProtection: true, Text: "text " + marker})
	h.caughtUp(r.n)
	msgs := h.waitAllSent(t, r.n)
	subject := "URGENT child protection: information about locked case " + ClientReference(client)
	mustOne(t, msgs, "approver@to.example", subject)
	for _, m := range msgs {
		if m.To == "manager@to.example" && strings.Contains(m.Subject, ClientReference(client)) {
			t.Errorf("the team manager the hidden lock refuses now was told of the case: %s", m.Subject)
		}
	}
}
