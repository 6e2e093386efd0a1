package notify

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/internal/pgtest"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/notify/notifytest"
)

// mailOutage makes the harness's mail server defer every notice (a 4xx)
// until up is called; tried returns the ids of the notices it deferred.
type mailOutage struct {
	mu    sync.Mutex
	down  bool
	tried []string
}

func (h *harness) mailOutage() *mailOutage {
	o := &mailOutage{down: true}
	h.mail.SetRefuse(func(_ int, id string) error {
		o.mu.Lock()
		defer o.mu.Unlock()
		if o.down {
			o.tried = append(o.tried, id)
			return notifytest.TempFailure()
		}
		return nil
	})
	return o
}

func (o *mailOutage) up() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.down = false
}

func (o *mailOutage) triedIDs() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.tried)
}

// triedAll waits until the notifier has tried, and recorded trying, every
// notice due now, so that no attempt during the outage is still under
// way when the test lifts it and moves the clock on: one failing then
// would be retried after the new time, which the fake clock never
// reaches.
func (h *harness) triedAll(t *testing.T, n *Notifier) {
	t.Helper()
	waitUntil(t, "every notice due now tried", func() bool {
		var due int
		err := n.outbox.db.QueryRow(`SELECT count(*) FROM outbox WHERE status = ? AND next_attempt_at <= ?`,
			statusPending, h.clock.Now().UnixMilli()).Scan(&due)
		return err == nil && due == 0
	})
}

// noticeRow is one notice's row, by id.
func noticeRow(t *testing.T, n *Notifier, id string) (recipient, status, lastError string) {
	t.Helper()
	var le *string
	if err := n.outbox.db.QueryRowContext(context.Background(), `SELECT recipient, status, last_error FROM outbox WHERE id = ?`,
		id).Scan(&recipient, &status, &le); err != nil {
		t.Fatalf("notice %s: %v", id, err)
	}
	if le != nil {
		lastError = *le
	}
	return recipient, status, lastError
}

// noLeaks fails if the log holds client data or an address.
func noLeaks(t *testing.T, h *harness, addrs ...string) {
	t.Helper()
	logs := h.logs.String()
	for _, s := range append([]string{marker}, addrs...) {
		if strings.Contains(logs, s) {
			t.Errorf("the log holds %q", s)
		}
	}
}

// TestPendingReferrerNoticeRerouted_REF8_NOTE1_ORG3: an acknowledgement
// and a closure still pending for the adviser who made the referral (the
// mail server down) when that adviser's account closes are sent where a
// notice derived after the closure goes, the referring organisation's
// administrative contact (R-REF-8), not dropped; each under an id of its
// own, derived from the first one's and the new address, and the first
// is recorded as not sent to the closed account (R-ORG-3). The log names
// ids, kinds and references only (R-NOTE-2).
func TestPendingReferrerNoticeRerouted_REF8_NOTE1_ORG3(t *testing.T) {
	h := newHarness(t)
	out := h.mailOutage()
	r := h.start(h.smtpSender())
	at := monday0600
	nw := h.network(at)
	id, client := h.makeReferral(nw, false, at) // to the receiver's administrative contact
	h.acknowledge(nw, id, at)                   // to the adviser
	h.closeReferral(nw, id, client, at)         // to the adviser
	h.mail.WaitUntil(t, "each notice tried once", func(_ []notifytest.Message, attempts int) bool { return attempts >= 3 })
	h.caughtUp(r.n)
	before := out.triedIDs()

	h.appendEvent(ledger.OrganisationStream(nw.from), nw.lead, at, &domain.OrganisationAccountClosed{UserID: nw.adviser.UserID})
	// A notice derived after the closure: a second referral's
	// acknowledgement, which goes to the referrer's administrative contact.
	later, _ := h.makeReferral(nw, false, at)
	h.acknowledge(nw, later, at)
	h.caughtUp(r.n)

	h.triedAll(t, r.n)
	out.up()
	h.clock.Set(at.Add(2 * time.Minute)) // past the retry backoff
	msgs := h.waitAllSent(t, r.n)
	if got := findTo(msgs, adviserMail, ""); len(got) != 0 {
		t.Errorf("%d notices went to the closed account", len(got))
	}
	ack := mustOne(t, msgs, fromAdmin, Reference(id)+" acknowledged")
	closed := mustOne(t, msgs, fromAdmin, Reference(id)+" closed")
	derivedNow := mustOne(t, msgs, fromAdmin, Reference(later)+" acknowledged")
	if !strings.Contains(ack.Body, Reference(id)) {
		t.Errorf("the rerouted notice lacks the referral's reference:\n%s", ack.Body)
	}
	for _, m := range []notifytest.Message{ack, closed, derivedNow} {
		if strings.Contains(m.Body, marker) {
			t.Errorf("notice carries client data:\n%s", m.Body)
		}
	}

	// Each rerouted notice has an id of its own, derived from the one it
	// replaces and its new address; the replaced one is cancelled.
	var replaced []string
	for _, m := range []notifytest.Message{ack, closed} {
		if slices.Contains(before, m.NoticeID) {
			t.Errorf("notice to %s sent under the id of the notice to the closed account", m.To)
		}
		var from string
		if err := r.n.outbox.db.QueryRow(`SELECT rerouted_from FROM outbox WHERE id = ?`, m.NoticeID).Scan(&from); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(before, from) || m.NoticeID != noticeID(Kind(kindOf(t, r.n, from)), "rerouted", from, fromAdmin) {
			t.Errorf("rerouted notice %s: from %q, not derived from a notice tried before the closure %v", m.NoticeID, from, before)
		}
		if to, status, lastError := noticeRow(t, r.n, from); to != adviserMail || status != statusCancelled ||
			!strings.Contains(lastError, "closed") {
			t.Errorf("the notice to the closed account: %s %s %q", to, status, lastError)
		}
		replaced = append(replaced, from)
	}
	if replaced[0] == replaced[1] {
		t.Errorf("both rerouted notices replace %s", replaced[0])
	}
	logs := h.logs.String()
	if strings.Count(logs, "email notice rerouted: its recipient's account is closed") != 2 {
		t.Errorf("the log does not say twice that a notice was rerouted:\n%s", logs)
	}
	noLeaks(t, h, adviserMail, fromAdmin)
}

// kindOf returns the kind of the notice id.
func kindOf(t *testing.T, n *Notifier, id string) string {
	t.Helper()
	var kind string
	if err := n.outbox.db.QueryRow(`SELECT kind FROM outbox WHERE id = ?`, id).Scan(&kind); err != nil {
		t.Fatal(err)
	}
	return kind
}

// TestPendingLockMessageRerouted_LOCK8_ORG3: a child-protection message
// notice still pending for a locked case's responsible person (the mail
// server down) when their account closes is sent to the managers who
// asked for and approved the lock, as a notice derived after the closure
// is, saying the responsible person has left, not dropped; once theirs
// are closed too, a further pending one is dropped and logged, with no
// client data.
func TestPendingLockMessageRerouted_LOCK8_ORG3(t *testing.T) {
	h := newHarness(t)
	out := h.mailOutage()
	r := h.start(h.smtpSender())
	at := monday0600.Add(-time.Hour)
	nw := h.network(at)
	_, client := h.makeReferral(nw, false, at)
	const requesterMail, approverMail = "manager@to.example", "approver@to.example"
	requester := h.addUser(nw.to, requesterMail, at, domain.RoleTeamManager)
	approver := h.addUser(nw.to, approverMail, at, domain.RoleTeamManager)
	responsible := h.addUser(nw.to, "responsible@to.example", at, domain.RoleAdviser)
	request := uuid.New()
	h.appendEvent(ledger.ClientStream(client), requester, at, &domain.LockRequested{RequestID: request, ClientID: client,
		ResponsibleUserID: responsible.UserID, Reason: "reason " + marker, Allow: []domain.Party{}, Deny: []domain.Party{}})
	h.appendEvent(ledger.ClientStream(client), approver, at, &domain.LockApproved{RequestID: request})
	message := func() {
		h.appendEvent(ledger.MessagesStream(client), nw.adviser, at, &domain.MessageForResponsiblePerson{MessageID: uuid.New(),
			ClientID: client, ChildProtection: true, Text: "text " + marker})
	}
	message()
	h.mail.WaitUntil(t, "each notice tried once", func(_ []notifytest.Message, attempts int) bool { return attempts >= 2 })
	h.caughtUp(r.n)
	before := out.triedIDs()

	h.appendEvent(ledger.OrganisationStream(nw.to), nw.toLead, at, &domain.OrganisationAccountClosed{UserID: responsible.UserID})
	message() // derived after the closure
	h.caughtUp(r.n)
	h.triedAll(t, r.n)
	out.up()
	h.clock.Set(monday0600.Add(2 * time.Minute)) // past the retry backoff
	msgs := h.waitAllSent(t, r.n)
	if got := findTo(msgs, "responsible@to.example", ""); len(got) != 0 {
		t.Errorf("%d notices went to the closed account", len(got))
	}
	ref := ClientReference(client)
	for _, to := range []string{requesterMail, approverMail} {
		got := findTo(msgs, to, "URGENT child protection: information about locked case "+ref+", whose responsible person has left")
		if len(got) != 2 {
			t.Fatalf("%s got %d urgent notices, want the rerouted one and the one derived after the closure", to, len(got))
		}
		if got[0].Subject != got[1].Subject || got[0].Body != got[1].Body {
			t.Errorf("the rerouted notice differs from one derived after the closure:\n%s\n%s", got[0].Body, got[1].Body)
		}
		if strings.Contains(got[0].Body, marker) {
			t.Errorf("notice carries client data:\n%s", got[0].Body)
		}
		rerouted := 0
		for _, m := range got {
			if slices.Contains(before, m.NoticeID) {
				t.Errorf("notice to %s sent under the id of the notice to the closed account", to)
			}
			var from *string
			if err := r.n.outbox.db.QueryRow(`SELECT rerouted_from FROM outbox WHERE id = ?`, m.NoticeID).Scan(&from); err != nil {
				t.Fatal(err)
			}
			if from != nil && slices.Contains(before, *from) {
				rerouted++
			}
		}
		if rerouted != 1 {
			t.Errorf("%s: %d notices rerouted from the one to the closed account, want 1", to, rerouted)
		}
	}

	// With the managers' accounts closed too, nobody is left: a pending
	// notice is dropped, and the log says so.
	h.mail.SetRefuse(func(int, string) error { return notifytest.TempFailure() })
	message()
	h.caughtUp(r.n)
	h.appendEvent(ledger.OrganisationStream(nw.to), nw.toLead, at, &domain.OrganisationAccountClosed{UserID: requester.UserID})
	h.appendEvent(ledger.OrganisationStream(nw.to), nw.toLead, at, &domain.OrganisationAccountClosed{UserID: approver.UserID})
	h.caughtUp(r.n)
	counts, err := r.n.outbox.counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if counts[statusPending] != 0 {
		t.Errorf("%d notices pending with nobody left to receive them", counts[statusPending])
	}
	if !strings.Contains(h.logs.String(), "email notice not sent: its recipient's account is closed and nobody else is left to receive it") {
		t.Errorf("the log does not say a notice was dropped with nobody left:\n%s", h.logs.String())
	}
	noLeaks(t, h, requesterMail, approverMail, "responsible@to.example")
}

// TestPendingNoticeNotReroutedPastAHiddenLock_LOCK12_REF8: an
// acknowledgement pending for an adviser a hidden lock lets in, when the
// adviser's account closes, is not sent to their organisation's
// administrative contact, whom the lock keeps out (a notice derived after
// the closure would not be either): it is dropped, and the log says nobody
// is left to receive it, with no client data.
func TestPendingNoticeNotReroutedPastAHiddenLock_LOCK12_REF8(t *testing.T) {
	h := newHarness(t)
	out := h.mailOutage()
	r := h.start(h.smtpSender())
	at := monday0600.Add(-time.Hour)
	nw := h.network(at)
	manager := h.addUser(nw.to, "manager@to.example", at, domain.RoleTeamManager)
	id, client := h.makeReferral(nw, false, at)
	// The new referral is tried before the lock (and, still waiting
	// then, not sent after it: the lock keeps the receiver out).
	h.mail.WaitUntil(t, "the new referral tried once", func(_ []notifytest.Message, attempts int) bool { return attempts >= 1 })
	request := uuid.New()
	h.appendEvent(ledger.ClientStream(client), manager, at, &domain.LockRequested{RequestID: request, ClientID: client,
		ResponsibleUserID: nw.toLead.UserID, Reason: "reason " + marker,
		Allow: []domain.Party{{UserID: nw.adviser.UserID}}, Deny: []domain.Party{}, HideNotification: true})
	h.appendEvent(ledger.ClientStream(client), manager, at, &domain.LockApproved{RequestID: request})
	h.acknowledge(nw, id, at) // to the adviser, whom the lock lets in
	h.mail.WaitUntil(t, "each notice tried once", func(_ []notifytest.Message, attempts int) bool { return attempts >= 2 })
	h.caughtUp(r.n)
	before := out.triedIDs()

	h.appendEvent(ledger.OrganisationStream(nw.from), nw.lead, at, &domain.OrganisationAccountClosed{UserID: nw.adviser.UserID})
	h.closeReferral(nw, id, client, at) // derived after the closure: nobody to tell
	h.caughtUp(r.n)
	h.triedAll(t, r.n)
	out.up()
	h.clock.Set(monday0600.Add(2 * time.Minute)) // past the retry backoff
	msgs := h.waitAllSent(t, r.n)
	for _, m := range msgs {
		if m.To != toAdmin && strings.Contains(m.Subject+m.Body, Reference(id)) { // the new referral came before the lock
			t.Errorf("a notice of the hidden case's referral went to %s: %s", m.To, m.Subject)
		}
	}
	dropped := 0
	for _, tried := range before {
		to, status, lastError := noticeRow(t, r.n, tried)
		if to == adviserMail {
			dropped++
			if status != statusCancelled || !strings.Contains(lastError, "closed") {
				t.Errorf("the notice to the closed account: %s %q", status, lastError)
			}
		}
	}
	if dropped != 1 {
		t.Errorf("%d notices to the adviser tried before the closure, want 1", dropped)
	}
	if !strings.Contains(h.logs.String(), "email notice not sent: its recipient's account is closed and nobody else is left to receive it") {
		t.Errorf("the log does not say the notice was dropped with nobody left:\n%s", h.logs.String())
	}
	noLeaks(t, h, adviserMail, fromAdmin)
}

// TestPendingNoticeFromBeforeOriginsDropped_REF8_ORG3: a notice derived
// before the outbox recorded what notices are derived from (a
// notifications.db of schema version 4) cannot be derived again: still
// pending when its recipient's account closes, it is not sent, as before,
// and the log says so; one derived after the upgrade is rerouted.
func TestPendingNoticeFromBeforeOriginsDropped_REF8_ORG3(t *testing.T) {
	h := newHarness(t)
	out := h.mailOutage()
	r := h.start(h.smtpSender())
	at := monday0600
	nw := h.network(at)
	old, _ := h.makeReferral(nw, false, at)
	h.acknowledge(nw, old, at) // to the adviser, derived before the upgrade
	h.caughtUp(r.n)
	r.stop(t)

	db, err := sql.Open("sqlite", "file:"+filepath.Join(h.dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`DROP INDEX outbox_origin; DROP INDEX outbox_rerouted_from;
		ALTER TABLE outbox DROP COLUMN origin; ALTER TABLE outbox DROP COLUMN rerouted_from;
		ALTER TABLE outbox DROP COLUMN refusals; PRAGMA user_version = 4`)
	if err == nil {
		err = db.Close()
	}
	if err != nil {
		t.Fatal(err)
	}

	r = h.start(h.smtpSender())
	fresh, _ := h.makeReferral(nw, false, at)
	h.acknowledge(nw, fresh, at) // to the adviser, derived after the upgrade
	h.appendEvent(ledger.OrganisationStream(nw.from), nw.lead, at, &domain.OrganisationAccountClosed{UserID: nw.adviser.UserID})
	h.caughtUp(r.n)
	h.triedAll(t, r.n)
	out.up()
	h.clock.Set(at.Add(2 * time.Minute)) // past the retry backoff
	msgs := h.waitAllSent(t, r.n)
	if got := findTo(msgs, adviserMail, ""); len(got) != 0 {
		t.Errorf("%d notices went to the closed account", len(got))
	}
	if got := findTo(msgs, fromAdmin, Reference(old)); len(got) != 0 {
		t.Errorf("the notice derived before the upgrade was rerouted: %v", recipients(got))
	}
	mustOne(t, msgs, fromAdmin, Reference(fresh)+" acknowledged")
	logs := h.logs.String()
	if !strings.Contains(logs, `"reference":"`+Reference(old)+`","message":"email notice not sent: its recipient's account is closed"`) {
		t.Errorf("the log does not say the notice derived before the upgrade was not sent:\n%s", logs)
	}
	noLeaks(t, h, adviserMail, fromAdmin)
}

// TestNoticeInFlightAsItsAccountClosesNotRerouted_REF8_NOTE3: a notice
// being handed to the mail server at the moment its recipient's account
// closes went to that recipient: the notice rerouted from it in the
// meantime is not sent as well.
func TestNoticeInFlightAsItsAccountClosesNotRerouted_REF8_NOTE3(t *testing.T) {
	h := newHarness(t)
	r := h.start(h.smtpSender())
	at := monday0600
	nw := h.network(at)
	id, _ := h.makeReferral(nw, false, at)
	h.mail.WaitFor(t, 1)
	h.caughtUp(r.n)
	var once sync.Once
	h.mail.SetRefuse(func(_ int, _ string) error {
		// The server is taking the acknowledgement: the account closes,
		// and the notifier reads it, before the server answers.
		once.Do(func() {
			h.appendEvent(ledger.OrganisationStream(nw.from), nw.lead, at, &domain.OrganisationAccountClosed{UserID: nw.adviser.UserID})
			h.caughtUp(r.n)
		})
		return nil
	})
	h.acknowledge(nw, id, at)
	h.mail.WaitFor(t, 2)
	h.caughtUp(r.n)
	msgs := h.waitAllSent(t, r.n)
	mustOne(t, msgs, adviserMail, Reference(id)+" acknowledged")
	if got := findTo(msgs, fromAdmin, Reference(id)); len(got) != 0 {
		t.Errorf("the acknowledgement in flight went to the closed account and was rerouted too")
	}
	var status, lastError string
	if err := r.n.outbox.db.QueryRow(`SELECT status, last_error FROM outbox WHERE rerouted_from IS NOT NULL`).
		Scan(&status, &lastError); err != nil {
		t.Fatalf("no notice rerouted from the one in flight: %v", err)
	}
	if status != statusCancelled || lastError != sentBeforeReason {
		t.Errorf("the notice rerouted from the one in flight: %s %q", status, lastError)
	}
}

// TestReroutedNoticeOfOneSentByTheHolder_OPS2_REF8: the node holding the
// turn sent an acknowledgement to the adviser before their account
// closed; another node, which had not yet learnt it was sent, reroutes it
// when it reads the closure. Taking the turn over, that node does not
// send the rerouted notice: the one it replaces was sent.
func TestReroutedNoticeOfOneSentByTheHolder_OPS2_REF8(t *testing.T) {
	h := newTurnHarness(t)
	url := pgtest.URL(t)
	a := h.openTurnNode("node-a", url, h.smtpSender())
	h.opts.Clock, h.opts.TurnRetry = h.clock, 7*time.Minute // node-b looks at the turn only when told
	b := h.openTurnNode("node-b", url, h.smtpSender())
	a.run()
	a.logs.waitFor(t, "this node now sends the email notices")
	b.run()
	waitUntil(t, "node-b has looked at the turn", func() bool { return h.clock.waiting(monday0600.Add(7 * time.Minute)) })

	now := time.Now()
	nw := h.network(now)
	id, _ := h.makeReferral(nw, false, now)
	h.acknowledge(nw, id, now)
	h.mail.WaitFor(t, 2) // node-a sent the new referral and the acknowledgement
	h.caughtUp(b.n)
	h.appendEvent(ledger.OrganisationStream(nw.from), nw.lead, now, &domain.OrganisationAccountClosed{UserID: nw.adviser.UserID})
	h.caughtUp(a.n)
	h.caughtUp(b.n)
	var rerouted, from string
	if err := b.n.outbox.db.QueryRow(`SELECT id, rerouted_from FROM outbox WHERE rerouted_from IS NOT NULL AND status = ?`,
		statusPending).Scan(&rerouted, &from); err != nil {
		t.Fatalf("node-b rerouted nothing: %v", err)
	}
	if to, status, _ := noticeRow(t, a.n, from); to != adviserMail || status != statusSent {
		t.Fatalf("node-b rerouted %s, which node-a holds as %s to %s, not sent to the adviser", from, status, to)
	}

	a.stop(t) // node-a gives the turn up
	h.clock.Set(monday0600.Add(7 * time.Minute))
	b.logs.waitFor(t, "this node now sends the email notices")
	waitUntil(t, "node-b has nothing pending", func() bool {
		counts, err := b.n.outbox.counts(context.Background())
		return err == nil && counts[statusPending] == 0
	})
	msgs := h.mail.Messages()
	if got := findTo(msgs, fromAdmin, Reference(id)); len(got) != 0 {
		t.Errorf("node-b sent the rerouted acknowledgement, whose original node-a sent")
	}
	wantEachOnce(t, msgs, 2)
	if _, status, lastError := noticeRow(t, b.n, rerouted); status != statusCancelled || lastError != sentBeforeReason {
		t.Errorf("node-b's rerouted notice: %s %q", status, lastError)
	}
}

// TestPendingLockMessageAllClosedAtOnce_LOCK8_ORG3: when the responsible
// person's account and then both managers' close one after the other,
// read together after a restart, the child-protection notice pending for
// the responsible person goes to each manager as the first closure left
// things, and on as each further one does: the first manager's is left to
// the second, who has it already, and the second's is dropped with nobody
// left to receive it, which the log says, whatever events are committed
// together.
func TestPendingLockMessageAllClosedAtOnce_LOCK8_ORG3(t *testing.T) {
	h := newHarness(t)
	out := h.mailOutage()
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
	h.appendEvent(ledger.MessagesStream(client), nw.adviser, at, &domain.MessageForResponsiblePerson{MessageID: uuid.New(),
		ClientID: client, ChildProtection: true, Text: "text " + marker})
	h.mail.WaitUntil(t, "each notice tried once", func(_ []notifytest.Message, attempts int) bool { return attempts >= 2 })
	h.caughtUp(r.n)
	r.stop(t)

	for _, u := range []domain.Actor{responsible, requester, approver} {
		h.appendEvent(ledger.OrganisationStream(nw.to), nw.toLead, at, &domain.OrganisationAccountClosed{UserID: u.UserID})
	}
	r = h.start(h.smtpSender())
	h.caughtUp(r.n)
	h.triedAll(t, r.n)
	out.up()
	h.clock.Set(monday0600.Add(2 * time.Minute)) // past the retry backoff
	msgs := h.waitAllSent(t, r.n)
	if len(msgs) != 1 {
		t.Errorf("messages to %v, want the new referral's only", recipients(msgs))
	}
	logs := h.logs.String()
	for _, want := range []string{
		"email notice rerouted: its recipient's account is closed",
		"email notice not sent: its recipient's account is closed and those it now goes to have it already",
		"email notice not sent: its recipient's account is closed and nobody else is left to receive it",
	} {
		if strings.Count(logs, want) != 1 {
			t.Errorf("the log does not say once %q:\n%s", want, logs)
		}
	}
	noLeaks(t, h, "manager@to.example", "approver@to.example", "responsible@to.example")
}
