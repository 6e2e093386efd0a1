package notify

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/notify/notifytest"
)

// TestIntakeOffReminder_ORG2_NOTE1_NOTE2: the org leads are reminded once intake has been
// off for the configured number of days (R-ORG-2), not before; switching
// intake back on cancels the reminder, and so does a resume date that
// comes first.
func TestIntakeOffReminder_ORG2_NOTE1_NOTE2(t *testing.T) {
	h := newHarness(t)
	r := h.start(h.smtpSender())
	nw := h.network(monday0600)
	h.addUser(nw.to, "adviser@to.example", monday0600, domain.RoleAdviser)
	gone := h.addUser(nw.to, "gone-lead@to.example", monday0600, domain.RoleOrgLead)
	h.appendEvent(ledger.OrganisationStream(nw.to), nw.toLead, monday0600, &domain.OrganisationAccountClosed{UserID: gone.UserID})

	h.intakeOff(nw.to, nw.toLead, monday0600, "") // reminded on the 9th
	h.intakeOff(nw.from, nw.lead, monday0600, "") // back on before the reminder
	h.intakeOn(nw.from, nw.lead, monday0600.Add(24*time.Hour))
	other := uuid.New() // resumes by itself before the reminder
	h.registerOrg(other, "Resuming Org", "admin@resume.example", monday0600)
	otherLead := h.addUser(other, "lead@resume.example", monday0600, domain.RoleOrgLead)
	h.intakeOff(other, otherLead, monday0600, "2026-03-05")
	h.caughtUp(r.n)
	counts, err := r.n.outbox.counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if counts[statusPending] != 1 || counts[statusCancelled] != 1 {
		t.Errorf("outbox = %v, want 1 pending reminder and 1 cancelled", counts)
	}

	h.clock.Set(monday0600.AddDate(0, 0, 7))
	msgs := h.mail.WaitFor(t, 1)
	m := mustOne(t, msgs, toLeadMail, "Intake at Receiving Housing Trust has been off for 7 days")
	// The link opens the page where the lead switches intake back on,
	// not the directory, which only shows that it is off (R-NOTE-2).
	if !strings.Contains(m.Body, publicURL+"/organisations/"+nw.to.String()+"/intake") || !strings.Contains(m.Body, "2026-03-02") {
		t.Errorf("reminder lacks the link to the intake page or the date intake went off:\n%s", m.Body)
	}
	if strings.Contains(m.Body, "staff away") {
		t.Errorf("reminder quotes the free-text reason:\n%s", m.Body)
	}
	// A later notice arrives after the reminder would have: nothing else
	// was due.
	h.makeReferral(nw, false, monday0600.AddDate(0, 0, 7))
	msgs = h.mail.WaitFor(t, 2)
	if len(msgs) != 2 || msgs[0].To != toLeadMail {
		t.Errorf("messages to %v, want the one reminder then the new referral", recipients(msgs))
	}
}

// pendingReminders returns the pending intake-off reminders: when each
// recipient's is due.
func pendingReminders(t *testing.T, n *Notifier) map[string]time.Time {
	t.Helper()
	rows, err := n.outbox.db.Query(`SELECT recipient, next_attempt_at FROM outbox WHERE kind = ? AND status = ?`,
		string(KindIntakeOffReminder), statusPending)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var to string
		var due int64
		if err := rows.Scan(&to, &due); err != nil {
			t.Fatal(err)
		}
		out[to] = time.UnixMilli(due).UTC()
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// wantPendingReminders fails the test unless the pending intake-off
// reminders are want.
func wantPendingReminders(t *testing.T, n *Notifier, want map[string]time.Time) {
	t.Helper()
	got := pendingReminders(t, n)
	ok := len(got) == len(want)
	for to, due := range want {
		ok = ok && got[to].Equal(due)
	}
	if !ok {
		t.Fatalf("pending intake-off reminders %v, want %v", got, want)
	}
}

// waitAllSent waits until the outbox holds no pending notice and returns
// the messages the server took.
func (h *harness) waitAllSent(t *testing.T, n *Notifier) []notifytest.Message {
	t.Helper()
	waitUntil(t, "no notice pending", func() bool {
		counts, err := n.outbox.counts(context.Background())
		return err == nil && counts[statusPending] == 0
	})
	return h.mail.Messages()
}

// TestIntakeEditWhileOffKeepsTheReminder_ORG2: a lead who changes the
// reason or the resume date while intake is off, more often than the
// reminder period, is still reminded that period after intake went off,
// about the day it went off, across a restart of the notifier; a resume
// date that comes first cancels the reminder, and taking it away again
// brings it back, still counted from when intake went off.
func TestIntakeEditWhileOffKeepsTheReminder_ORG2(t *testing.T) {
	h := newHarness(t)
	r := h.start(h.smtpSender())
	nw := h.network(monday0600)
	day := func(d int) time.Time { return monday0600.AddDate(0, 0, d) }
	h.intakeOff(nw.to, nw.toLead, day(0), "") // Monday 2 March: reminded on the 9th
	h.intakeOff(nw.from, nw.lead, day(1), "") // Tuesday 3 March: reminded on the 10th
	h.caughtUp(r.n)
	r.stop(t)

	r = h.start(h.smtpSender()) // the notifier's state keeps when intake went off
	h.intakeOff(nw.to, nw.toLead, day(3), "")
	h.intakeOff(nw.to, nw.toLead, day(5), "2026-04-30")
	h.intakeOff(nw.to, nw.toLead, day(6), "2026-05-29")
	h.intakeOff(nw.from, nw.lead, day(2), "2026-03-07") // back on by itself before the 10th: no reminder
	h.caughtUp(r.n)
	wantPendingReminders(t, r.n, map[string]time.Time{toLeadMail: day(7)})
	h.intakeOff(nw.from, nw.lead, day(4), "") // on the 6th: no resume date after all
	h.caughtUp(r.n)
	wantPendingReminders(t, r.n, map[string]time.Time{toLeadMail: day(7), fromLeadMail: day(8)})

	h.clock.Set(day(7))
	m := mustOne(t, h.mail.WaitFor(t, 1), toLeadMail, "Intake at Receiving Housing Trust has been off for 7 days")
	if !strings.Contains(m.Body, "switched off on 2026-03-02") {
		t.Errorf("the reminder does not give the day intake went off:\n%s", m.Body)
	}
	h.clock.Set(day(8))
	h.mail.WaitFor(t, 2)
	msgs := h.waitAllSent(t, r.n)
	m = mustOne(t, msgs, fromLeadMail, "Intake at Referring Advice Centre has been off for 7 days")
	if !strings.Contains(m.Body, "switched off on 2026-03-03") {
		t.Errorf("the reminder does not give the day intake went off:\n%s", m.Body)
	}
	if len(msgs) != 2 {
		t.Errorf("messages to %v, want one reminder to each lead", recipients(msgs))
	}
}

// TestIntakeReminderGoesToTheLeadsOfTheDay_NOTE1_ORG2: the intake-off
// reminder goes to the organisation's org leads as they are when it is
// sent: not to a lead whose account closed after intake went off, but to
// a lead added since, to an account given the role since, at its new
// address; other changes to accounts leave it alone.
func TestIntakeReminderGoesToTheLeadsOfTheDay_NOTE1_ORG2(t *testing.T) {
	h := newHarness(t)
	r := h.start(h.smtpSender())
	nw := h.network(monday0600)
	day := func(d int) time.Time { return monday0600.AddDate(0, 0, d) }
	adviser := h.addUser(nw.to, "adviser@to.example", monday0600, domain.RoleAdviser)
	stream := ledger.OrganisationStream(nw.to)
	h.intakeOff(nw.to, nw.toLead, day(0), "")
	h.caughtUp(r.n)
	wantPendingReminders(t, r.n, map[string]time.Time{toLeadMail: day(7)})

	h.appendEvent(stream, nw.toLead, day(1), &domain.OrganisationAccountClosed{UserID: nw.toLead.UserID})
	h.addUser(nw.to, "new-lead@to.example", day(2), domain.RoleOrgLead)
	h.appendEvent(stream, nw.toLead, day(3), &domain.OrganisationUserRolesChanged{UserID: adviser.UserID,
		Roles: []domain.Role{domain.RoleAdviser, domain.RoleOrgLead}})
	h.appendEvent(stream, nw.toLead, day(4), &domain.OrganisationUserDetailsChanged{UserID: adviser.UserID,
		DisplayName: "Promoted Adviser", Email: "promoted@to.example"})
	h.appendEvent(stream, adviser, day(5), &domain.OrganisationPasswordChanged{UserID: adviser.UserID,
		PasswordHash: "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$bmV3"})
	h.caughtUp(r.n)
	wantPendingReminders(t, r.n, map[string]time.Time{"new-lead@to.example": day(7), "promoted@to.example": day(7)})

	h.clock.Set(day(7))
	h.mail.WaitFor(t, 2)
	msgs := h.waitAllSent(t, r.n)
	mustOne(t, msgs, "new-lead@to.example", "Intake at Receiving Housing Trust has been off for 7 days")
	mustOne(t, msgs, "promoted@to.example", "Intake at Receiving Housing Trust has been off for 7 days")
	if len(msgs) != 2 {
		t.Errorf("messages to %v, want the reminder to the two leads of the day only", recipients(msgs))
	}
}

// TestIntakeReminderAfterUpgrade_ORG2: a notifications.db whose state was
// written before it held organisations' intake (schema version 2) has its
// state rebuilt from the log once, so an edit while intake is off keeps
// the reminder counted from when intake went off.
func TestIntakeReminderAfterUpgrade_ORG2(t *testing.T) {
	h := newHarness(t)
	r := h.start(h.smtpSender())
	nw := h.network(monday0600)
	h.intakeOff(nw.to, nw.toLead, monday0600, "")
	h.caughtUp(r.n)
	r.stop(t)

	path := filepath.Join(h.dir, FileName)
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	// A file of schema version 2 had neither the intake in its state nor
	// the outbox's recipient_key (version 4), origin and rerouted_from
	// (version 5), and refusals (version 7).
	_, err = db.Exec(`UPDATE state_organisations SET data = json_remove(data, '$.i', '$.r', '$.s');
		DROP INDEX outbox_recipient_key; ALTER TABLE outbox DROP COLUMN recipient_key;
		DROP INDEX outbox_origin; DROP INDEX outbox_rerouted_from;
		ALTER TABLE outbox DROP COLUMN origin; ALTER TABLE outbox DROP COLUMN rerouted_from;
		ALTER TABLE outbox DROP COLUMN refusals;
		PRAGMA user_version = 2`)
	if err == nil {
		err = db.Close()
	}
	if err != nil {
		t.Fatal(err)
	}

	r = h.start(h.smtpSender())
	h.intakeOff(nw.to, nw.toLead, monday0600.AddDate(0, 0, 3), "")
	h.caughtUp(r.n)
	wantPendingReminders(t, r.n, map[string]time.Time{toLeadMail: monday0600.AddDate(0, 0, 7)})
}
