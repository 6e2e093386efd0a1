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

// TestNoNoticeOfAHiddenLock_LOCK12: once a client's case is locked with
// its notification hidden, nobody the lock keeps out is mailed about its
// referrals: not the adviser who made one (acknowledged, closed, declined,
// reopened), not the receiver's administrative contact (a new referral
// naming the client, a withdrawal), not an organisation's overdue digest.
// Each would tell of a referral that, followed, is not found: what a
// referral that does not exist never does. A referrer the lock lets in is
// told as usual, and so is one kept out by a lock that is not hidden, who
// is told whom the case is locked to anyway (R-LOCK-3).
func TestNoNoticeOfAHiddenLock_LOCK12(t *testing.T) {
	h := newHarness(t)
	r := h.start(h.smtpSender())
	lastWeek := monday0600.AddDate(0, 0, -7)
	nw := h.network(lastWeek)
	manager := h.addUser(nw.to, "manager@to.example", lastWeek, domain.RoleTeamManager)
	lock := func(client uuid.UUID, hide bool, allow ...domain.Party) {
		request := uuid.New()
		h.appendEvent(ledger.ClientStream(client), manager, lastWeek, &domain.LockRequested{RequestID: request, ClientID: client,
			ResponsibleUserID: nw.toLead.UserID, Reason: "reason " + marker, Allow: append([]domain.Party{}, allow...),
			Deny: []domain.Party{}, HideNotification: hide})
		h.appendEvent(ledger.ClientStream(client), manager, lastWeek, &domain.LockApproved{RequestID: request})
	}
	hidden, client := h.makeReferral(nw, false, lastWeek)
	withdrawn, withdrawnClient := h.makeReferral(nw, false, lastWeek)
	visible, visibleClient := h.makeReferral(nw, false, lastWeek)
	allowed, allowedClient := h.makeReferral(nw, false, lastWeek)
	plain, _ := h.makeReferral(nw, false, lastWeek) // no lock: overdue by Monday
	h.caughtUp(r.n)
	h.waitAllSent(t, r.n) // the new referrals, sent before the locks: one still waiting then would not be
	lock(client, true)
	lock(withdrawnClient, true)
	lock(visibleClient, false)
	lock(allowedClient, true, domain.Party{UserID: nw.adviser.UserID})

	// Kept out of a hidden lock: nothing.
	again := uuid.New()
	h.appendEvent(ledger.ReferralStream(again), nw.adviser, lastWeek, &domain.ReferralMade{ReferralID: again,
		FromOrganisationID: nw.from, ToOrganisationID: nw.to, ClientID: client,
		Reason: "reason " + marker, Consent: &domain.Consent{Method: domain.ConsentVerbal, Confirmed: true}, PrivacyNoticeGiven: true})
	h.acknowledge(nw, hidden, lastWeek)
	h.appendEvent(ledger.ReferralStream(hidden), nw.toLead, lastWeek, &domain.ReferralDeclined{ClientID: client,
		ReasonCode: domain.DeclineNoCapacity, Comment: "comment " + marker})
	h.appendEvent(ledger.ReferralStream(hidden), nw.toLead, lastWeek, &domain.ReferralReopened{ClientID: client, Reason: "reason " + marker})
	h.closeReferral(nw, hidden, client, lastWeek)
	h.appendEvent(ledger.ReferralStream(withdrawn), nw.adviser, lastWeek, &domain.ReferralWithdrawn{ClientID: withdrawnClient, Reason: "reason " + marker})
	// Let in, or a lock that is not hidden: told as usual.
	h.acknowledge(nw, allowed, lastWeek)
	h.acknowledge(nw, visible, lastWeek)

	h.caughtUp(r.n)
	counts, err := r.n.outbox.counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	msgs := h.mail.WaitFor(t, 7) // five new referrals before the locks, two acknowledgements
	if total != 7 || len(msgs) != 7 {
		t.Errorf("%d notices enqueued, %d sent (%v), want 7", total, len(msgs), recipients(msgs))
	}
	mustOne(t, msgs, adviserMail, Reference(allowed)+" acknowledged")
	mustOne(t, msgs, adviserMail, Reference(visible)+" acknowledged")
	if got := findTo(msgs, toAdmin, Reference(again)); len(got) != 0 {
		t.Errorf("the receiver was told of a new referral of a hidden lock's client: %v", recipients(got))
	}
	for _, m := range msgs {
		if strings.Contains(m.Subject, Reference(hidden)) && m.To == adviserMail {
			t.Errorf("the referrer, kept out of a hidden lock, was mailed %q", m.Subject)
		}
		if strings.Contains(m.Subject, Reference(withdrawn)+" withdrawn") {
			t.Errorf("the receiver's contact was mailed %q about a hidden lock's case", m.Subject)
		}
	}

	// The overdue digest: the organisation's mailbox lists its overdue
	// referral, not the hidden lock's, which is as overdue.
	h.clock.Set(monday0600.Add(time.Hour))
	msgs = h.mail.WaitFor(t, 9)
	org := mustOne(t, msgs, toAdmin, "Overdue referrals for Receiving Housing Trust on 2026-03-02: 1")
	if strings.Contains(org.Body, Reference(again)) || !strings.Contains(org.Body, Reference(plain)) {
		t.Errorf("the organisation's digest lists a hidden lock's referral, or not its own:\n%s", org.Body)
	}
}

// TestCoordinatorsDigestLeavesOutAHiddenLock_LOCK12: a hidden lock lets
// no coordinator in by their role, and their Overdue page leaves its
// referrals out, so their overdue digest does too: a referral listed
// there that, followed, is not found would tell of the lock. One whose
// lock lets the coordinator in is listed as usual.
func TestCoordinatorsDigestLeavesOutAHiddenLock_LOCK12(t *testing.T) {
	h := newHarness(t)
	r := h.start(h.smtpSender())
	lastWeek := monday0600.AddDate(0, 0, -7)
	nw := h.network(lastWeek)
	manager := h.addUser(nw.to, "manager@to.example", lastWeek, domain.RoleTeamManager)
	lock := func(client uuid.UUID, allow ...domain.Party) {
		request := uuid.New()
		h.appendEvent(ledger.ClientStream(client), manager, lastWeek, &domain.LockRequested{RequestID: request, ClientID: client,
			ResponsibleUserID: nw.toLead.UserID, Reason: "reason " + marker, Allow: append([]domain.Party{}, allow...),
			Deny: []domain.Party{}, HideNotification: true})
		h.appendEvent(ledger.ClientStream(client), manager, lastWeek, &domain.LockApproved{RequestID: request})
	}
	hidden, client := h.makeReferral(nw, false, lastWeek)
	allowed, allowedClient := h.makeReferral(nw, false, lastWeek)
	plain, _ := h.makeReferral(nw, false, lastWeek)
	h.caughtUp(r.n)
	h.waitAllSent(t, r.n) // the three new referrals, sent before the locks: one still waiting then would not be
	h.mail.WaitFor(t, 3)
	lock(client)
	lock(allowedClient, domain.Party{UserID: nw.coordinator.UserID})
	h.caughtUp(r.n)

	h.clock.Set(monday0600.Add(time.Hour))
	msgs := h.mail.WaitFor(t, 5)
	network := mustOne(t, msgs, coordinatorMail, "Overdue referrals across the network on 2026-03-02: 2")
	if strings.Contains(network.Body, Reference(hidden)) {
		t.Errorf("the coordinators' digest lists a hidden lock's referral:\n%s", network.Body)
	}
	if !strings.Contains(network.Body, Reference(plain)) || !strings.Contains(network.Body, Reference(allowed)) {
		t.Errorf("the coordinators' digest leaves out a referral they may see:\n%s", network.Body)
	}
}
