package notify

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/notify/notifytest"
)

// TestPendingNoticeFollowsTheMailbox_NOTE1_NOTE2_NOTE3_ORG3: a notice still
// pending when its recipient's mailbox changes (here: retried through a
// mail server outage) goes to the mailbox recorded when it is sent, under
// the id it was derived with (R-NOTE-1, R-NOTE-3): an organisation's
// administrative contact changed by its lead, an account's address
// changed; one to an account closed meanwhile (R-ORG-3) is not sent at
// all, and that is logged with its id, kind and reference, no client data
// (R-NOTE-2).
func TestPendingNoticeFollowsTheMailbox_NOTE1_NOTE2_NOTE3_ORG3(t *testing.T) {
	h := newHarness(t)
	var mu sync.Mutex
	down := true
	var tried []string // the notice ids the server deferred
	h.mail.SetRefuse(func(_ int, id string) error {
		mu.Lock()
		defer mu.Unlock()
		if down {
			tried = append(tried, id)
			return notifytest.TempFailure()
		}
		return nil
	})
	r := h.start(h.smtpSender())
	at := monday0600
	nw := h.network(at)
	from, to := ledger.OrganisationStream(nw.from), ledger.OrganisationStream(nw.to)
	id, _ := h.makeReferral(nw, false, at) // to the receiver's administrative contact
	h.acknowledge(nw, id, at)              // to the adviser who made it
	h.appendEvent(from, nw.lead, at, &domain.OrganisationUserMFAEnrolled{UserID: nw.lead.UserID, Method: domain.MFAMethodTOTP})
	h.appendEvent(from, nw.coordinator, at, &domain.OrganisationUserMFAReset{UserID: nw.lead.UserID}) // to the lead
	h.mail.WaitUntil(t, "each notice tried once", func(_ []notifytest.Message, attempts int) bool { return attempts >= 3 })

	// While they wait for the server, the mailboxes change.
	const newAdmin, newAdviser = "intake@to.example", "adviser.new@from.example"
	h.appendEvent(to, nw.toLead, at, &domain.OrganisationAdminContactChanged{AdminEmail: newAdmin})
	h.appendEvent(from, nw.lead, at, &domain.OrganisationUserDetailsChanged{UserID: nw.adviser.UserID,
		DisplayName: "Renamed Adviser", Email: newAdviser})
	h.appendEvent(from, nw.coordinator, at, &domain.OrganisationAccountClosed{UserID: nw.lead.UserID})
	h.caughtUp(r.n)

	mu.Lock()
	down = false
	mu.Unlock()
	h.clock.Set(at.Add(2 * time.Minute)) // past the retry backoff
	h.mail.WaitFor(t, 2)
	msgs := h.waitAllSent(t, r.n)
	mustOne(t, msgs, newAdmin, "New referral "+Reference(id))
	mustOne(t, msgs, newAdviser, Reference(id)+" acknowledged")
	if len(msgs) != 2 {
		t.Fatalf("messages to %v, want the two to the new mailboxes only", recipients(msgs))
	}
	mu.Lock()
	for _, m := range msgs {
		if !slices.Contains(tried, m.NoticeID) {
			t.Errorf("notice to %s sent under id %s, not one derived before the change %v", m.To, m.NoticeID, tried)
		}
	}
	mu.Unlock()

	// The closed account's notice is not sent, and says why in the log.
	var status, lastError string
	if err := r.n.outbox.db.QueryRowContext(context.Background(), `SELECT status, last_error FROM outbox WHERE kind = ?`,
		string(KindSecondFactorReset)).Scan(&status, &lastError); err != nil {
		t.Fatal(err)
	}
	if status != statusCancelled || !strings.Contains(lastError, "closed") {
		t.Errorf("the closed account's notice: status %s (%q), want cancelled as closed", status, lastError)
	}
	logs := h.logs.String()
	if !strings.Contains(logs, "email notice not sent: its recipient's account is closed") ||
		!strings.Contains(logs, string(KindSecondFactorReset)) {
		t.Errorf("no log line says the closed account's notice was not sent:\n%s", logs)
	}
	for _, s := range []string{marker, fromLeadMail} {
		if strings.Contains(logs, s) {
			t.Errorf("the log holds %q", s)
		}
	}
}
