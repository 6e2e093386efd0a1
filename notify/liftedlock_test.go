package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/notify/notifytest"
)

// TestPendingLockMessageOfALiftedLockAtClosure_LOCK8_NOTE1: a message
// notice still pending for a locked case's responsible person when the
// lock is lifted still goes to them: the lift refuses nobody. If their
// account then closes, it goes where a notice derived at that moment
// goes: information passed on about a case that is not locked tells
// nobody (R-LOCK-8 is the route to a locked case's owner), so it is not
// sent, and the log says nobody is left to receive it; nobody else, the
// managers of the lock lifted or an administrative contact, hears of it.
func TestPendingLockMessageOfALiftedLockAtClosure_LOCK8_NOTE1(t *testing.T) {
	h := newHarness(t)
	at := monday0600.Add(-time.Hour)
	nw := h.network(at)
	_, left := h.makeReferral(nw, false, at)
	_, stays := h.makeReferral(nw, false, at)
	requester := h.addUser(nw.to, "manager@to.example", at, domain.RoleTeamManager)
	approver := h.addUser(nw.to, "approver@to.example", at, domain.RoleServiceManager)
	leaver := h.addUser(nw.to, "leaver@to.example", at, domain.RoleAdviser)
	stayer := h.addUser(nw.to, "stayer@to.example", at, domain.RoleAdviser)
	h.lockCaseBy(left, requester, approver, leaver.UserID, at, false, nil, nil)
	h.lockCaseBy(stays, requester, approver, stayer.UserID, at, false, nil, nil)
	r := h.start(h.smtpSender())
	h.caughtUp(r.n)
	out := h.mailOutage()
	h.passOn(nw, left, at)
	h.passOn(nw, stays, at)
	h.mail.WaitUntil(t, "each notice tried once", func(_ []notifytest.Message, attempts int) bool { return attempts >= 2 })
	h.caughtUp(r.n)

	h.unlockCase(left, requester, approver, at)
	h.unlockCase(stays, requester, approver, at)
	h.appendEvent(ledger.OrganisationStream(nw.to), nw.toLead, at, &domain.OrganisationAccountClosed{UserID: leaver.UserID})
	h.passOn(nw, left, at) // derived after the closure, of a case not locked: nobody is told
	h.caughtUp(r.n)
	h.triedAll(t, r.n)
	out.up()
	h.clock.Set(monday0600.Add(2 * time.Minute))
	msgs := h.waitAllSent(t, r.n)
	mustOne(t, msgs, "stayer@to.example", ClientReference(stays))
	for _, m := range msgs {
		if strings.Contains(m.Subject, ClientReference(left)) {
			t.Errorf("%s was sent %q about the lifted lock's case", m.To, m.Subject)
		}
	}
	var n int
	if err := r.n.outbox.db.QueryRow(`SELECT count(*) FROM outbox WHERE kind = ?`, string(KindLockedCaseMessage)).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("%d message notices in the outbox, want the two derived while the cases were locked", n)
	}
	if !strings.Contains(h.logs.String(), "email notice not sent: its recipient's account is closed and nobody else is left to receive it") {
		t.Errorf("the log does not say the notice was dropped with nobody left:\n%s", h.logs.String())
	}
	noLeaks(t, h, "leaver@to.example", "manager@to.example", "approver@to.example", toAdmin)
}
