package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

// TestLockMessageNotToAResponsiblePersonTheLockRefuses_LOCK8_LOCK2: the
// deny list wins over everything and helpdesk never has access (R-LOCK-2),
// so a locked case's responsible person whom the lock now refuses (moved
// into a team its deny list names, or given the helpdesk role) cannot
// read the case and is not emailed the information passed on about it
// (R-LOCK-8, R-LOCK-12). As when their account is closed, the managers
// who asked for and approved the lock are told instead, but not one the
// lock refuses too, in plain words without client data.
func TestLockMessageNotToAResponsiblePersonTheLockRefuses_LOCK8_LOCK2(t *testing.T) {
	for _, tc := range []struct {
		name  string
		roles []domain.Role
		team  string
	}{
		{"denied team", []domain.Role{domain.RoleAdviser}, "family"},
		{"helpdesk", []domain.Role{domain.RoleAdviser, domain.RoleHelpdesk}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
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
			// The approver is refused too: the deny list names their team.
			h.appendEvent(ledger.OrganisationStream(nw.to), nw.toLead, at, &domain.OrganisationUserRolesChanged{UserID: approver.UserID,
				Roles: []domain.Role{domain.RoleServiceManager}, Team: "family"})
			h.appendEvent(ledger.OrganisationStream(nw.to), nw.toLead, at, &domain.OrganisationUserRolesChanged{UserID: responsible.UserID,
				Roles: tc.roles, Team: tc.team})
			h.appendEvent(ledger.MessagesStream(client), nw.adviser, at, &domain.MessageForResponsiblePerson{MessageID: uuid.New(),
				ClientID: client, ChildProtection: true, Text: "text " + marker})
			h.caughtUp(r.n)
			msgs := h.waitAllSent(t, r.n)
			subject := "URGENT child protection: information about locked case " + ClientReference(client) +
				", whose responsible person can no longer read it"
			m := mustOne(t, msgs, "manager@to.example", subject)
			if strings.Contains(m.Body, marker) || !strings.Contains(m.Body, "can no longer read") {
				t.Errorf("notice to the managers: %q", m.Body)
			}
			for _, m := range msgs {
				if (m.To == "responsible@to.example" || m.To == "approver@to.example") && strings.Contains(m.Subject, ClientReference(client)) {
					t.Errorf("%s, whom the lock refuses now, was told of the case: %s", m.To, m.Subject)
				}
			}
		})
	}
}
