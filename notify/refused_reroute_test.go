package notify

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/notify/notifytest"
)

// lockCaseBy locks client's case: asked for by requester, approved by
// approver, locked to responsible.
func (h *harness) lockCaseBy(client uuid.UUID, requester, approver domain.Actor, responsible uuid.UUID, at time.Time,
	hide bool, allow, deny []domain.Party) {
	request := uuid.New()
	h.appendEvent(ledger.ClientStream(client), requester, at, &domain.LockRequested{RequestID: request, ClientID: client,
		ResponsibleUserID: responsible, Reason: "reason " + marker, Allow: append([]domain.Party{}, allow...),
		Deny: append([]domain.Party{}, deny...), HideNotification: hide})
	h.appendEvent(ledger.ClientStream(client), approver, at, &domain.LockApproved{RequestID: request})
}

// unlockCase lifts the lock on client's case.
func (h *harness) unlockCase(client uuid.UUID, requester, approver domain.Actor, at time.Time) {
	request := uuid.New()
	h.appendEvent(ledger.ClientStream(client), requester, at, &domain.UnlockRequested{RequestID: request, ClientID: client,
		Reason: "reason " + marker})
	h.appendEvent(ledger.ClientStream(client), approver, at, &domain.UnlockApproved{RequestID: request})
}

// passOn passes information about client on to its responsible person.
func (h *harness) passOn(nw network, client uuid.UUID, at time.Time) {
	h.appendEvent(ledger.MessagesStream(client), nw.adviser, at, &domain.MessageForResponsiblePerson{MessageID: uuid.New(),
		ClientID: client, ChildProtection: true, Text: "text " + marker})
}

// setRoles gives the account u roles and a team.
func (h *harness) setRoles(nw network, org uuid.UUID, u domain.Actor, at time.Time, team string, roles ...domain.Role) {
	h.appendEvent(ledger.OrganisationStream(org), nw.toLead, at, &domain.OrganisationUserRolesChanged{UserID: u.UserID,
		Roles: roles, Team: team})
}

// reroutedFrom returns the id of the notice id was rerouted from, or "".
func reroutedFrom(t *testing.T, n *Notifier, id string) string {
	t.Helper()
	var from *string
	if err := n.outbox.db.QueryRow(`SELECT rerouted_from FROM outbox WHERE id = ?`, id).Scan(&from); err != nil {
		t.Fatal(err)
	}
	if from == nil {
		return ""
	}
	return *from
}

// TestPendingLockMessageReroutedWhenTheLockRefusesTheResponsiblePerson_LOCK8_LOCK12:
// a child-protection message notice still pending for a locked case's
// responsible person (the mail server down) when the lock starts refusing
// them (moved into a team its deny list names, or given the helpdesk
// role: R-LOCK-2; or the case locked again, to someone else, with them
// left out) is not sent to them, who may no longer be told of the case
// (R-LOCK-12). As when their account closes, it goes where a notice
// derived now goes (R-LOCK-8): to the managers who asked for and approved
// the lock whom it does not refuse, or to the new responsible person, in
// the same words, under an id of its own derived from the first one's;
// the first is recorded as not sent, and the log names ids, kinds and
// references only.
func TestPendingLockMessageReroutedWhenTheLockRefusesTheResponsiblePerson_LOCK8_LOCK12(t *testing.T) {
	const (
		requesterMail   = "manager@to.example"
		approverMail    = "approver@to.example"
		responsibleMail = "responsible@to.example"
		successorMail   = "successor@to.example"
	)
	for _, tc := range []struct {
		name string
		// refuse makes the lock refuse the responsible person.
		refuse func(h *harness, nw network, client uuid.UUID, requester, approver, responsible, successor domain.Actor)
		want   string // who is sent the notice now
		words  string // its subject's end after the reference
	}{
		{"denied team", func(h *harness, nw network, _ uuid.UUID, _, _, responsible, _ domain.Actor) {
			h.setRoles(nw, nw.to, responsible, monday0600, "family", domain.RoleAdviser)
		}, requesterMail, ", whose responsible person can no longer read it"},
		{"helpdesk", func(h *harness, nw network, _ uuid.UUID, _, _, responsible, _ domain.Actor) {
			h.setRoles(nw, nw.to, responsible, monday0600, "", domain.RoleAdviser, domain.RoleHelpdesk)
		}, requesterMail, ", whose responsible person can no longer read it"},
		{"locked again to someone else", func(h *harness, nw network, client uuid.UUID, requester, approver, _, successor domain.Actor) {
			h.unlockCase(client, requester, approver, monday0600)
			h.lockCaseBy(client, requester, approver, successor.UserID, monday0600, true, nil, nil)
		}, successorMail, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			at := monday0600.Add(-time.Hour)
			nw := h.network(at)
			_, client := h.makeReferral(nw, false, at)
			requester := h.addUser(nw.to, requesterMail, at, domain.RoleTeamManager)
			approver := h.addUser(nw.to, approverMail, at, domain.RoleServiceManager)
			responsible := h.addUser(nw.to, responsibleMail, at, domain.RoleAdviser)
			successor := h.addUser(nw.to, successorMail, at, domain.RoleAdviser)
			h.lockCaseBy(client, requester, approver, responsible.UserID, at, true, nil, []domain.Party{{Team: "family"}})
			// The approver is refused already: the deny list names their team.
			h.setRoles(nw, nw.to, approver, at, "family", domain.RoleServiceManager)
			r := h.start(h.smtpSender())
			h.caughtUp(r.n)
			out := h.mailOutage()
			h.passOn(nw, client, at)
			h.mail.WaitUntil(t, "the notice tried once", func(_ []notifytest.Message, attempts int) bool { return attempts >= 1 })
			h.caughtUp(r.n)
			before := out.triedIDs()
			if len(before) != 1 {
				t.Fatalf("tried %v, want the notice to the responsible person", before)
			}

			tc.refuse(h, nw, client, requester, approver, responsible, successor)
			h.passOn(nw, client, monday0600) // derived after the lock refuses them
			h.caughtUp(r.n)
			h.triedAll(t, r.n)
			out.up()
			h.clock.Set(monday0600.Add(2 * time.Minute)) // past the retry backoff
			msgs := h.waitAllSent(t, r.n)
			ref := ClientReference(client)
			for _, m := range msgs {
				if m.To != tc.want && strings.Contains(m.Subject, ref) {
					t.Errorf("%s was sent %q", m.To, m.Subject)
				}
			}
			got := findTo(msgs, tc.want, ref)
			if len(got) != 2 {
				t.Fatalf("%s got %d notices, want the rerouted one and the one derived after the refusal: %v",
					tc.want, len(got), recipients(msgs))
			}
			if want := "URGENT child protection: information about locked case " + ref + tc.words; !strings.HasSuffix(got[0].Subject, want) {
				t.Errorf("subject %q, want %q", got[0].Subject, want)
			}
			if got[0].Subject != got[1].Subject || got[0].Body != got[1].Body {
				t.Errorf("the rerouted notice differs from one derived after the refusal:\n%s\n%s", got[0].Body, got[1].Body)
			}
			if strings.Contains(got[0].Body, marker) {
				t.Errorf("notice carries client data:\n%s", got[0].Body)
			}
			rerouted := 0
			for _, m := range got {
				if slices.Contains(before, m.NoticeID) {
					t.Errorf("notice to %s sent under the id of the notice to the responsible person", m.To)
				}
				if from := reroutedFrom(t, r.n, m.NoticeID); from != "" {
					rerouted++
					if from != before[0] || m.NoticeID != noticeID(KindLockedCaseMessage, "rerouted", from, tc.want) {
						t.Errorf("rerouted notice %s from %q, want derived from %s", m.NoticeID, from, before[0])
					}
				}
			}
			if rerouted != 1 {
				t.Errorf("%d notices rerouted from the one to the responsible person, want 1", rerouted)
			}
			if to, status, lastError := noticeRow(t, r.n, before[0]); to != responsibleMail || status != statusCancelled ||
				lastError != refusedReroutedReason {
				t.Errorf("the notice to the responsible person: %s %s %q", to, status, lastError)
			}
			logs := h.logs.String()
			if strings.Count(logs, "email notice rerouted: its recipient may no longer be told of the case") != 1 {
				t.Errorf("the log does not say once that the notice was rerouted:\n%s", logs)
			}
			noLeaks(t, h, requesterMail, approverMail, responsibleMail, successorMail)
		})
	}
}

// TestPendingLockMessageDroppedWhenTheLockRefusesEveryone_LOCK8_LOCK12:
// the notice rerouted from a responsible person the lock refuses to the
// one manager it lets in is itself taken from that manager when the lock
// starts refusing them too: nobody is left, so it is not sent at all,
// and the log says so (R-LOCK-12); nobody is told of the case.
func TestPendingLockMessageDroppedWhenTheLockRefusesEveryone_LOCK8_LOCK12(t *testing.T) {
	h := newHarness(t)
	at := monday0600.Add(-time.Hour)
	nw := h.network(at)
	_, client := h.makeReferral(nw, false, at)
	requester := h.addUser(nw.to, "manager@to.example", at, domain.RoleTeamManager)
	approver := h.addUser(nw.to, "approver@to.example", at, domain.RoleServiceManager)
	responsible := h.addUser(nw.to, "responsible@to.example", at, domain.RoleAdviser)
	h.lockCaseBy(client, requester, approver, responsible.UserID, at, true, nil, []domain.Party{{Team: "family"}})
	h.setRoles(nw, nw.to, approver, at, "family", domain.RoleServiceManager)
	r := h.start(h.smtpSender())
	h.caughtUp(r.n)
	out := h.mailOutage()
	h.passOn(nw, client, at)
	h.mail.WaitUntil(t, "the notice tried once", func(_ []notifytest.Message, attempts int) bool { return attempts >= 1 })
	h.caughtUp(r.n)

	h.setRoles(nw, nw.to, responsible, at, "family", domain.RoleAdviser) // rerouted to the requester
	h.caughtUp(r.n)
	h.setRoles(nw, nw.to, requester, at, "family", domain.RoleTeamManager) // nobody left
	h.caughtUp(r.n)
	h.triedAll(t, r.n)
	out.up()
	h.clock.Set(monday0600.Add(2 * time.Minute))
	msgs := h.waitAllSent(t, r.n)
	for _, m := range msgs {
		if strings.Contains(m.Subject, ClientReference(client)) {
			t.Errorf("%s was sent %q", m.To, m.Subject)
		}
	}
	var status, lastError string
	if err := r.n.outbox.db.QueryRowContext(context.Background(), `SELECT status, last_error FROM outbox
		WHERE rerouted_from IS NOT NULL`).Scan(&status, &lastError); err != nil {
		t.Fatalf("no notice rerouted to the requester: %v", err)
	}
	if status != statusCancelled || lastError != refusedReason {
		t.Errorf("the notice rerouted to the requester: %s %q", status, lastError)
	}
	logs := h.logs.String()
	for _, want := range []string{
		"email notice rerouted: its recipient may no longer be told of the case",
		"email notice not sent: its recipient may no longer be told of the case and nobody else is left to receive it",
	} {
		if strings.Count(logs, want) != 1 {
			t.Errorf("the log does not say once %q:\n%s", want, logs)
		}
	}
	noLeaks(t, h, "manager@to.example", "approver@to.example", "responsible@to.example")
}

// TestPendingReferrerNoticeNotSentToAnAdviserAHiddenLockRefuses_LOCK12_REF8:
// an acknowledgement still pending for the adviser who made the referral
// (the mail server down) when a hidden lock on the client's case starts
// keeping them out (they are moved into a team its deny list names, or
// the lock comes into force without letting them in) is not sent to them,
// nor to their organisation's administrative contact, whom the lock keeps
// out too: a notice derived now would go to nobody (R-LOCK-12, R-REF-8).
// It is recorded as not sent and the log says nobody is left to receive
// it. The adviser's other pending notices go to them as usual: of a case
// not locked, and of one locked without hiding it, which tells them whom
// it is locked to anyway (R-LOCK-3).
func TestPendingReferrerNoticeNotSentToAnAdviserAHiddenLockRefuses_LOCK12_REF8(t *testing.T) {
	for _, tc := range []struct {
		name        string
		lockedFirst bool // the locks come into force before the acknowledgements, and the adviser is then moved
	}{
		{"moved into a denied team", true},
		{"locked afterwards", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			at := monday0600.Add(-time.Hour)
			nw := h.network(at)
			manager := h.addUser(nw.to, "manager@to.example", at, domain.RoleTeamManager)
			approver := h.addUser(nw.to, "approver@to.example", at, domain.RoleServiceManager)
			hidden, hiddenClient := h.makeReferral(nw, false, at)
			visible, visibleClient := h.makeReferral(nw, false, at)
			plain, _ := h.makeReferral(nw, false, at)
			var allow, deny []domain.Party
			if tc.lockedFirst {
				allow = []domain.Party{{UserID: nw.adviser.UserID}}
				deny = []domain.Party{{Team: "advice", OrganisationID: nw.from}}
			}
			lock := func() {
				h.lockCaseBy(hiddenClient, manager, approver, nw.toLead.UserID, at, true, allow, deny)
				h.lockCaseBy(visibleClient, manager, approver, nw.toLead.UserID, at, false, allow, deny)
			}
			if tc.lockedFirst {
				lock()
			}
			r := h.start(h.smtpSender())
			h.caughtUp(r.n)
			out := h.mailOutage()
			for _, id := range []uuid.UUID{hidden, visible, plain} {
				h.acknowledge(nw, id, at)
			}
			h.mail.WaitUntil(t, "each notice tried once", func(_ []notifytest.Message, attempts int) bool { return attempts >= 3 })
			h.caughtUp(r.n)
			before := out.triedIDs()

			if tc.lockedFirst {
				h.setRoles(nw, nw.from, nw.adviser, at, "advice", domain.RoleAdviser)
			} else {
				lock()
			}
			h.caughtUp(r.n)
			h.triedAll(t, r.n)
			out.up()
			h.clock.Set(monday0600.Add(2 * time.Minute)) // past the retry backoff
			msgs := h.waitAllSent(t, r.n)
			for _, m := range msgs {
				if strings.Contains(m.Subject, Reference(hidden)) {
					t.Errorf("%s was sent %q about the hidden lock's case", m.To, m.Subject)
				}
			}
			mustOne(t, msgs, adviserMail, Reference(visible)+" acknowledged")
			mustOne(t, msgs, adviserMail, Reference(plain)+" acknowledged")
			dropped := 0
			for _, id := range before {
				if _, status, lastError := noticeRow(t, r.n, id); status == statusCancelled {
					dropped++
					if lastError != refusedReason {
						t.Errorf("the notice not sent: %q", lastError)
					}
				}
			}
			if dropped != 1 {
				t.Errorf("%d notices tried before not sent, want 1", dropped)
			}
			logs := h.logs.String()
			if strings.Count(logs, "email notice not sent: its recipient may no longer be told of the case and nobody else is left to receive it") != 1 {
				t.Errorf("the log does not say once the notice was dropped with nobody left:\n%s", logs)
			}
			noLeaks(t, h, adviserMail, fromAdmin)
		})
	}
}

// TestPendingNewReferralNotSentPastAHiddenLock_LOCK12_NOTE1: a new
// referral's notice still pending for the receiver's administrative
// contact (the mail server down) when a lock with its notification hidden
// comes into force on the client's case is not sent: no lock lets an
// administrative contact in, and a notice derived now would not be sent
// either (R-LOCK-12). It is recorded as not sent and the log says nobody
// is left to receive it. The notices of a referral not locked, and of one
// locked without hiding it, are sent as usual (R-NOTE-1, R-LOCK-3).
func TestPendingNewReferralNotSentPastAHiddenLock_LOCK12_NOTE1(t *testing.T) {
	h := newHarness(t)
	at := monday0600.Add(-time.Hour)
	nw := h.network(at)
	manager := h.addUser(nw.to, "manager@to.example", at, domain.RoleTeamManager)
	approver := h.addUser(nw.to, "approver@to.example", at, domain.RoleServiceManager)
	r := h.start(h.smtpSender())
	h.caughtUp(r.n)
	out := h.mailOutage()
	hidden, hiddenClient := h.makeReferral(nw, false, at)
	visible, visibleClient := h.makeReferral(nw, false, at)
	plain, _ := h.makeReferral(nw, false, at)
	h.mail.WaitUntil(t, "each notice tried once", func(_ []notifytest.Message, attempts int) bool { return attempts >= 3 })
	h.caughtUp(r.n)
	before := out.triedIDs()

	h.lockCaseBy(hiddenClient, manager, approver, nw.toLead.UserID, at, true, nil, nil)
	h.lockCaseBy(visibleClient, manager, approver, nw.toLead.UserID, at, false, nil, nil)
	h.caughtUp(r.n)
	h.triedAll(t, r.n)
	out.up()
	h.clock.Set(monday0600.Add(2 * time.Minute)) // past the retry backoff
	msgs := h.waitAllSent(t, r.n)
	if got := findTo(msgs, toAdmin, Reference(hidden)); len(got) != 0 {
		t.Errorf("the receiver's administrative contact was told of the hidden lock's referral: %v", recipients(got))
	}
	mustOne(t, msgs, toAdmin, "New referral "+Reference(visible))
	mustOne(t, msgs, toAdmin, "New referral "+Reference(plain))
	dropped := 0
	for _, id := range before {
		if _, status, lastError := noticeRow(t, r.n, id); status == statusCancelled {
			dropped++
			if lastError != refusedReason {
				t.Errorf("the notice not sent: %q", lastError)
			}
		}
	}
	if dropped != 1 {
		t.Errorf("%d notices tried before not sent, want 1", dropped)
	}
	logs := h.logs.String()
	if strings.Count(logs, "email notice not sent: its recipient may no longer be told of the case and nobody else is left to receive it") != 1 {
		t.Errorf("the log does not say once the notice was dropped with nobody left:\n%s", logs)
	}
	noLeaks(t, h, toAdmin)
}
