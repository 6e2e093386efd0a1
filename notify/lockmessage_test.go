package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

// TestLockedCaseMessage_LOCK8: information passed on about a locked case
// reaches its responsible person by email, marked urgent for child
// protection, with a reference and a link but never the text; a message
// about a case that is not locked notifies nobody. Messages are read from
// the client's messages stream, where the ledger records them.
func TestLockedCaseMessage_LOCK8(t *testing.T) {
	h := newHarness(t)
	r := h.start(h.smtpSender())
	at := monday0600.Add(-time.Hour)
	nw := h.network(at)
	_, client := h.makeReferral(nw, false, at)
	_, unlocked := h.makeReferral(nw, false, at)
	manager := h.addUser(nw.to, "manager@to.example", at, domain.RoleTeamManager)
	request := uuid.New()
	h.appendEvent(ledger.ClientStream(client), manager, at, &domain.LockRequested{RequestID: request, ClientID: client,
		ResponsibleUserID: nw.toLead.UserID, Reason: "reason " + marker, Allow: []domain.Party{}, Deny: []domain.Party{}})
	h.appendEvent(ledger.ClientStream(client), manager, at, &domain.LockApproved{RequestID: request})
	for _, c := range []struct {
		client uuid.UUID
		cp     bool
	}{{client, true}, {client, false}, {unlocked, true}} {
		h.appendEvent(ledger.MessagesStream(c.client), nw.adviser, at, &domain.MessageForResponsiblePerson{MessageID: uuid.New(),
			ClientID: c.client, ChildProtection: c.cp, Text: "text " + marker})
	}
	msgs := h.mail.WaitFor(t, 4) // two new referrals, two messages
	h.caughtUp(r.n)
	urgent := mustOne(t, msgs, toLeadMail, "URGENT child protection")
	plain := mustOne(t, msgs, toLeadMail, "Information passed to you")
	for _, m := range []string{urgent.Body, plain.Body} {
		if !strings.Contains(m, ClientReference(client)) || !strings.Contains(m, "Link: "+publicURL+"/messages\n") {
			t.Errorf("message notice lacks reference or link:\n%s", m)
		}
		if strings.Contains(m, marker) {
			t.Errorf("message notice carries client data:\n%s", m)
		}
	}
	if got := findTo(msgs, toLeadMail, ClientReference(unlocked)); len(got) != 0 {
		t.Errorf("a message about an unlocked case was mailed: %v", got)
	}
}

// TestLockedCaseSubjectAccess_PRIV6_LOCK9: a subject access export of a
// locked case is told to its responsible person, with a reference and a
// link to the access log but no client data; an export of a case that is
// not locked notifies nobody.
func TestLockedCaseSubjectAccess_PRIV6_LOCK9(t *testing.T) {
	h := newHarness(t)
	r := h.start(h.smtpSender())
	at := monday0600.Add(-time.Hour)
	nw := h.network(at)
	_, client := h.makeReferral(nw, false, at)
	_, unlocked := h.makeReferral(nw, false, at)
	manager := h.addUser(nw.to, "manager@to.example", at, domain.RoleTeamManager)
	request := uuid.New()
	h.appendEvent(ledger.ClientStream(client), manager, at, &domain.LockRequested{RequestID: request, ClientID: client,
		ResponsibleUserID: nw.toLead.UserID, Reason: "reason " + marker, Allow: []domain.Party{}, Deny: []domain.Party{}})
	h.appendEvent(ledger.ClientStream(client), manager, at, &domain.LockApproved{RequestID: request})
	for _, c := range []uuid.UUID{client, unlocked} {
		h.appendEvent(ledger.ClientStream(c), nw.adviser, at, &domain.ClientSubjectAccessExported{ExportID: uuid.New()})
	}
	msgs := h.mail.WaitFor(t, 3) // two new referrals, one export
	h.caughtUp(r.n)
	m := mustOne(t, msgs, toLeadMail, "Subject access export of locked case "+ClientReference(client))
	if !strings.Contains(m.Body, "Link: "+publicURL+"/\n") || strings.Contains(m.Body, marker) {
		t.Errorf("subject access notice lacks the link or carries client data:\n%s", m.Body)
	}
	if got := findTo(msgs, toLeadMail, ClientReference(unlocked)); len(got) != 0 {
		t.Errorf("an export of an unlocked case was mailed: %v", got)
	}
}

// TestLockedCaseMessageResponsibleLeft_LOCK8: when the person a case is
// locked to has had their account closed, information passed on about the
// case reaches the team manager who asked for the lock and the service
// manager who approved it instead, marked urgent for child protection and
// without client data, rather than nobody.
func TestLockedCaseMessageResponsibleLeft_LOCK8(t *testing.T) {
	h := newHarness(t)
	r := h.start(h.smtpSender())
	at := monday0600.Add(-time.Hour)
	nw := h.network(at)
	_, client := h.makeReferral(nw, false, at)
	manager := h.addUser(nw.to, "manager@to.example", at, domain.RoleTeamManager)
	service := h.addUser(nw.to, "service@to.example", at, domain.RoleServiceManager)
	request := uuid.New()
	h.appendEvent(ledger.ClientStream(client), manager, at, &domain.LockRequested{RequestID: request, ClientID: client,
		ResponsibleUserID: nw.toLead.UserID, Reason: "reason " + marker, Allow: []domain.Party{}, Deny: []domain.Party{}})
	h.appendEvent(ledger.ClientStream(client), service, at, &domain.LockApproved{RequestID: request})
	h.appendEvent(ledger.OrganisationStream(nw.to), service, at, &domain.OrganisationAccountClosed{UserID: nw.toLead.UserID})
	h.appendEvent(ledger.MessagesStream(client), nw.adviser, at, &domain.MessageForResponsiblePerson{MessageID: uuid.New(),
		ClientID: client, ChildProtection: true, Text: "text " + marker})
	msgs := h.mail.WaitFor(t, 3) // the new referral, the message to each manager
	h.caughtUp(r.n)
	for _, to := range []string{"manager@to.example", "service@to.example"} {
		m := mustOne(t, msgs, to, "URGENT child protection")
		if !strings.Contains(m.Body, ClientReference(client)) || strings.Contains(m.Body, marker) {
			t.Errorf("notice to %s:\n%s", to, m.Body)
		}
	}
	if got := findTo(msgs, toLeadMail, ClientReference(client)); len(got) != 0 {
		t.Errorf("the closed account was mailed: %v", got)
	}
}

// TestLockedCaseMessageNobodyLeft_LOCK8: when the responsible person and
// both managers of a lock have closed accounts, information passed on
// about the case reaches nobody by email: the log says so, with the case's
// reference and never the text, rather than dropping it in silence.
func TestLockedCaseMessageNobodyLeft_LOCK8(t *testing.T) {
	h := newHarness(t)
	r := h.start(h.smtpSender())
	at := monday0600.Add(-time.Hour)
	nw := h.network(at)
	_, client := h.makeReferral(nw, false, at)
	manager := h.addUser(nw.to, "manager@to.example", at, domain.RoleTeamManager)
	service := h.addUser(nw.to, "service@to.example", at, domain.RoleServiceManager)
	request := uuid.New()
	h.appendEvent(ledger.ClientStream(client), manager, at, &domain.LockRequested{RequestID: request, ClientID: client,
		ResponsibleUserID: nw.toLead.UserID, Reason: "reason " + marker, Allow: []domain.Party{}, Deny: []domain.Party{}})
	h.appendEvent(ledger.ClientStream(client), service, at, &domain.LockApproved{RequestID: request})
	for _, u := range []domain.Actor{nw.toLead, manager, service} {
		h.appendEvent(ledger.OrganisationStream(nw.to), nw.toLead, at, &domain.OrganisationAccountClosed{UserID: u.UserID})
	}
	h.appendEvent(ledger.MessagesStream(client), nw.adviser, at, &domain.MessageForResponsiblePerson{MessageID: uuid.New(),
		ClientID: client, ChildProtection: true, Text: "text " + marker})
	h.caughtUp(r.n)
	logs := h.logs.String()
	if !strings.Contains(logs, "email notice has no recipient") || !strings.Contains(logs, ClientReference(client)) {
		t.Errorf("a message nobody is told of is not logged:\n%s", logs)
	}
	if strings.Contains(logs, marker) {
		t.Errorf("the log carries client data:\n%s", logs)
	}
}
