package notify

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/notify/notifytest"
)

// gateSender passes messages to inner but, once armed, holds the next one
// until released: a mail server slow to take it.
type gateSender struct {
	inner   Sender
	mu      sync.Mutex
	armed   bool
	held    chan string
	release chan struct{}
}

func newGateSender(inner Sender) *gateSender {
	return &gateSender{inner: inner, held: make(chan string, 1), release: make(chan struct{})}
}

func (g *gateSender) arm() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.armed = true
}

func (g *gateSender) Send(ctx context.Context, m Message) error {
	g.mu.Lock()
	armed := g.armed
	g.armed = false
	g.mu.Unlock()
	if armed {
		g.held <- m.ID
		select {
		case <-g.release:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return g.inner.Send(ctx, m)
}

// TestWaitingNoticeOfABatchFollowsWhatWasRead_NOTE1_LOCK12: the delivery
// loop reads up to 50 due notices at a time and sent each as it was read,
// however long the ones before it took at the mail server (up to its
// timeout each). A notice waiting behind a slow one whose administrative
// contact changed meanwhile went to the old address; one whose client's
// case came under a hidden lock meanwhile was still sent to the receiver's
// administrative contact, telling them of the lock (R-LOCK-12). A notice
// goes where the notifier, as far as it has read the log, says it goes
// when it is handed to the mail server (R-NOTE-1): each is read again just
// before it is sent.
func TestWaitingNoticeOfABatchFollowsWhatWasRead_NOTE1_LOCK12(t *testing.T) {
	const newAdmin = "new-admin@to.example"
	for _, name := range []string{"admin contact changed", "hidden lock"} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			at := monday0600.Add(-time.Hour)
			nw := h.network(at)
			manager := h.addUser(nw.to, "manager@to.example", at, domain.RoleTeamManager)
			approver := h.addUser(nw.to, "approver@to.example", at, domain.RoleServiceManager)
			gate := newGateSender(h.smtpSender())
			r := h.start(gate)
			h.caughtUp(r.n)
			out := h.mailOutage()
			first, _ := h.makeReferral(nw, false, at)
			second, secondClient := h.makeReferral(nw, false, at)
			h.mail.WaitUntil(t, "each notice tried once", func(_ []notifytest.Message, attempts int) bool { return attempts >= 2 })
			h.caughtUp(r.n)
			h.triedAll(t, r.n)

			out.up()
			gate.arm()
			h.clock.Set(monday0600.Add(2 * time.Minute)) // past the retry backoff: both due, in one batch
			select {
			case <-gate.held: // the first at the mail server, slow to take it
			case <-time.After(notifytest.WaitTimeout):
				t.Fatal("no notice was sent")
			}
			switch name {
			case "admin contact changed":
				h.appendEvent(ledger.OrganisationStream(nw.to), nw.toLead, at,
					&domain.OrganisationAdminContactChanged{AdminEmail: newAdmin})
			case "hidden lock":
				h.lockCaseBy(secondClient, manager, approver, nw.toLead.UserID, at, true, nil, nil)
			}
			h.caughtUp(r.n)
			close(gate.release)
			msgs := h.waitAllSent(t, r.n)
			mustOne(t, msgs, toAdmin, "New referral "+Reference(first)) // it was being handed over
			switch name {
			case "admin contact changed":
				if got := findTo(msgs, toAdmin, Reference(second)); len(got) != 0 {
					t.Errorf("the notice waiting went to the old administrative contact")
				}
				mustOne(t, msgs, newAdmin, "New referral "+Reference(second))
			case "hidden lock":
				if got := findTo(msgs, toAdmin, Reference(second)); len(got) != 0 {
					t.Errorf("the receiver's administrative contact was told of the hidden lock's referral")
				}
			}
		})
	}
}
