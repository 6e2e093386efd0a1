package notify

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/notify/notifytest"
)

// findTo returns the messages to addr whose subject contains subject.
func findTo(msgs []notifytest.Message, addr, subject string) []notifytest.Message {
	var out []notifytest.Message
	for _, m := range msgs {
		if m.To == addr && strings.Contains(m.Subject, subject) {
			out = append(out, m)
		}
	}
	return out
}

// mustOne returns the one message to addr with subject, failing otherwise.
func mustOne(tb testing.TB, msgs []notifytest.Message, addr, subject string) notifytest.Message {
	tb.Helper()
	got := findTo(msgs, addr, subject)
	if len(got) != 1 {
		var all []string
		for _, m := range msgs {
			all = append(all, m.To+": "+m.Subject)
		}
		tb.Fatalf("%d messages to %s about %q, want 1; got:\n%s", len(got), addr, subject, strings.Join(all, "\n"))
	}
	return got[0]
}

// wantReferenceAndLink checks a notice carries the referral's reference
// and link (R-NOTE-2) and its id in the Message-ID.
func wantReferenceAndLink(tb testing.TB, m notifytest.Message, id uuid.UUID) {
	tb.Helper()
	if !strings.Contains(m.Subject, Reference(id)) || !strings.Contains(m.Body, "Reference: "+Reference(id)) {
		tb.Errorf("notice %q lacks the reference %s:\n%s", m.Subject, Reference(id), m.Body)
	}
	if link := publicURL + "/referrals/" + id.String(); !strings.Contains(m.Body, link) {
		tb.Errorf("notice %q lacks the link %s:\n%s", m.Subject, link, m.Body)
	}
	if m.NoticeID == "" || m.MessageID != "<"+m.NoticeID+"@example.net>" {
		tb.Errorf("Message-ID %q does not derive from the notice id %q", m.MessageID, m.NoticeID)
	}
}

// TestReferralNotices: a new referral reaches the receiver's
// administrative contact, its acknowledgement and closure the adviser who
// made it (R-NOTE-1), each with a reference and a link (R-NOTE-2); urgent
// referrals say so in the subject.
func TestReferralNotices(t *testing.T) {
	h := newHarness(t)
	r := h.start(h.smtpSender())
	at := monday0600.Add(-time.Hour)
	nw := h.network(at)
	normal, client := h.makeReferral(nw, false, at)
	urgent, _ := h.makeReferral(nw, true, at)
	h.acknowledge(nw, normal, at)
	h.note(nw, normal, client, at)
	h.closeReferral(nw, normal, client, at)

	msgs := h.mail.WaitFor(t, 4)
	h.caughtUp(r.n)

	made := mustOne(t, msgs, toAdmin, "New referral "+Reference(normal))
	wantReferenceAndLink(t, made, normal)
	if strings.Contains(strings.ToLower(made.Subject), "urgent") {
		t.Errorf("a normal referral's subject says urgent: %q", made.Subject)
	}
	if !strings.Contains(made.Body, "Referring Advice Centre") || !strings.Contains(made.Body, "Receiving Housing Trust") {
		t.Errorf("new referral notice does not name the organisations:\n%s", made.Body)
	}
	u := mustOne(t, msgs, toAdmin, Reference(urgent))
	wantReferenceAndLink(t, u, urgent)
	if !strings.Contains(u.Subject, "Urgent") {
		t.Errorf("an urgent referral's subject does not say urgent: %q", u.Subject)
	}
	wantReferenceAndLink(t, mustOne(t, msgs, adviserMail, Reference(normal)+" acknowledged"), normal)
	wantReferenceAndLink(t, mustOne(t, msgs, adviserMail, Reference(normal)+" closed"), normal)
	if len(msgs) != 4 {
		t.Errorf("%d messages, want 4 (a note notifies nobody)", len(msgs))
	}
	for _, m := range msgs {
		if m.From != "ledger@example.net" {
			t.Errorf("envelope sender %q, want ledger@example.net", m.From)
		}
	}
}

// TestClosedAccountFallsBackToAdminContact: when the adviser who made a
// referral has left, its acknowledgement goes to their organisation's
// administrative contact rather than nowhere.
func TestClosedAccountFallsBackToAdminContact(t *testing.T) {
	h := newHarness(t)
	h.start(h.smtpSender())
	nw := h.network(monday0600)
	id, _ := h.makeReferral(nw, false, monday0600)
	h.appendEvent(ledger.OrganisationStream(nw.from), nw.lead, monday0600, &domain.OrganisationAccountClosed{UserID: nw.adviser.UserID})
	h.acknowledge(nw, id, monday0600)
	msgs := h.mail.WaitFor(t, 2)
	wantReferenceAndLink(t, mustOne(t, msgs, fromAdmin, Reference(id)+" acknowledged"), id)
}

func recipients(msgs []notifytest.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.To)
	}
	return out
}

// TestNoClientData: a referral's whole life, with client data in every
// field the codec seals, produces notices, log lines and a database none
// of which holds any of it (R-NOTE-2, R-PRIV-7).
func TestNoClientData(t *testing.T) {
	h := newHarness(t)
	r := h.start(h.smtpSender())
	lastWeek := monday0600.AddDate(0, 0, -7)
	nw := h.network(lastWeek)
	for _, urgent := range []bool{false, true} {
		id, client := h.makeReferral(nw, urgent, lastWeek)
		h.note(nw, id, client, lastWeek)
		h.appendEvent(ledger.ReferralStream(id), nw.toLead, lastWeek, &domain.ReferralUrgencyDeclined{ClientID: client, Feedback: "feedback " + marker})
		if !urgent {
			h.acknowledge(nw, id, lastWeek)
			h.closeReferral(nw, id, client, lastWeek)
		}
	}
	h.intakeOff(nw.to, nw.toLead, lastWeek, "")
	h.caughtUp(r.n)
	h.clock.Set(monday0600.Add(time.Hour)) // the digest, and the intake reminder
	msgs := h.mail.WaitFor(t, 9)
	r.stop(t)

	for _, m := range msgs {
		if strings.Contains(string(m.Raw), marker) || strings.Contains(m.Body, marker) || strings.Contains(m.Subject, marker) {
			t.Errorf("notice %q carries client data:\n%s", m.Subject, m.Raw)
		}
	}
	if len(msgs) != 9 {
		t.Errorf("%d notices (%v), want 9: 2 new, 2 urgency declined, acknowledged, closed, 2 digests, 1 reminder", len(msgs), recipients(msgs))
	}
	if strings.Contains(h.logs.String(), marker) {
		t.Errorf("the log carries client data:\n%s", h.logs.String())
	}
	files, _ := filepath.Glob(filepath.Join(h.dir, FileName+"*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), marker) {
			t.Errorf("%s holds client data", filepath.Base(f))
		}
	}
	events, _ := os.ReadFile(filepath.Join(h.dir, "events.db"))
	if strings.Contains(string(events), "reason "+marker) {
		t.Fatal("the events hold client data in clear: the test does not seal what it should")
	}
}

// TestNewDatabaseStartsAtHead: a node switching notices on for the first
// time does not mail about its history.
func TestNewDatabaseStartsAtHead(t *testing.T) {
	h := newHarness(t)
	nw := h.network(monday0600)
	h.makeReferral(nw, false, monday0600)
	r := h.start(h.smtpSender())
	h.caughtUp(r.n)
	id, _ := h.makeReferral(nw, false, monday0600)
	msgs := h.mail.WaitFor(t, 1)
	h.caughtUp(r.n)
	if len(msgs) != 1 || !strings.Contains(msgs[0].Subject, Reference(id)) {
		t.Errorf("notices %v, want only the referral made after notices were switched on", recipients(msgs))
	}
}

// TestLogSenderWithoutSMTP: without an SMTP server the notices go to the
// log, with the recipient's domain but not the address, and never the
// body (R-PRIV-7).
func TestLogSenderWithoutSMTP(t *testing.T) {
	h := newHarness(t)
	sent := make(chan Message, 10)
	r := h.start(recordingSender{inner: LogSender{Log: h.opts.Log}, sent: sent})
	nw := h.network(monday0600)
	id, _ := h.makeReferral(nw, true, monday0600)
	select {
	case <-sent:
	case <-time.After(15 * time.Second):
		t.Fatal("no notice logged")
	}
	r.stop(t)
	logs := h.logs.String()
	var line string
	for l := range strings.Lines(logs) {
		if strings.Contains(l, "email notice logged") {
			line = l
		}
	}
	for _, want := range []string{`"kind":"new_referral"`, `"reference":"` + Reference(id) + `"`, `"to_domain":"to.example"`,
		`"link":"` + publicURL + `/referrals/` + id.String() + `"`} {
		if !strings.Contains(line, want) {
			t.Errorf("log line lacks %s:\n%s", want, line)
		}
	}
	for _, not := range []string{toAdmin, "Reference:", marker} {
		if strings.Contains(logs, not) {
			t.Errorf("the log holds %q:\n%s", not, logs)
		}
	}
	if len(h.mail.Messages()) != 0 {
		t.Error("the log sender sent mail")
	}
}

// recordingSender passes messages to inner and reports them on sent.
type recordingSender struct {
	inner Sender
	sent  chan<- Message
}

func (s recordingSender) Send(ctx context.Context, m Message) error {
	err := s.inner.Send(ctx, m)
	if err == nil {
		s.sent <- m
	}
	return err
}

// TestOpenRefusesAnotherFile: pointing the notifier at the event log
// fails at once rather than adding tables to it.
func TestOpenRefusesAnotherFile(t *testing.T) {
	h := newHarness(t)
	h.network(monday0600)
	_, err := Open(context.Background(), filepath.Join(h.dir, "events.db"), h.store, LogSender{}, h.opts)
	if err == nil || !strings.Contains(err.Error(), "not a notifications database") {
		t.Errorf("Open(events.db) = %v, want a refusal", err)
	}
}

// TestReference: notices carry the referral's reference as every page shows
// it, not a piece of its id (R-REF-13, R-NOTE-2).
func TestReference(t *testing.T) {
	id := uuid.MustParse("6f1c1f0e-2b7a-4c1d-9a55-2f6f0c1b9e01")
	if got := Reference(id); got != "6PW0-CAQ6" {
		t.Errorf("Reference = %q, want 6PW0-CAQ6 as domain.ReferenceOf gives", got)
	}
}
