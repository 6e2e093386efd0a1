package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

// TestLifecycleNotices_REF9_REF10_REF11_REF12: a declined or forwarded
// referral is told to the adviser who made it, a withdrawn one to the
// receiver's administrative contact, each with a reference and a link and
// without the comment or reason (R-NOTE-2, R-PRIV-7); a reopened referral
// is told to the adviser who made it too, who was told it was declined
// (and one declined before acknowledgement is acknowledged by reopening,
// R-REF-8), and is tracked again (its reopening is not lost).
func TestLifecycleNotices_REF9_REF10_REF11_REF12(t *testing.T) {
	h := newHarness(t)
	r := h.start(h.smtpSender())
	at := monday0600.Add(-2 * time.Hour)
	nw := h.network(at)
	declined, c1 := h.makeReferral(nw, false, at)
	forwarded, c2 := h.makeReferral(nw, false, at)
	withdrawn, c3 := h.makeReferral(nw, false, at)
	h.appendEvent(ledger.ReferralStream(declined), nw.toLead, at, &domain.ReferralDeclined{ClientID: c1,
		ReasonCode: domain.DeclineNoCapacity, Comment: "comment " + marker})
	h.appendEvent(ledger.ReferralStream(declined), nw.toLead, at, &domain.ReferralReopened{ClientID: c1, Reason: "reason " + marker})
	h.appendEvent(ledger.ReferralStream(forwarded), nw.toLead, at, &domain.ReferralForwarded{ClientID: c2,
		ForwardedTo: uuid.New(), ToOrganisationID: nw.from, Comment: "comment " + marker})
	h.appendEvent(ledger.ReferralStream(withdrawn), nw.adviser, at, &domain.ReferralWithdrawn{ClientID: c3, Reason: "reason " + marker})

	msgs := h.mail.WaitFor(t, 7) // 3 new referrals, declined, reopened, forwarded, withdrawn
	h.caughtUp(r.n)
	d := mustOne(t, msgs, adviserMail, Reference(declined)+" declined")
	wantReferenceAndLink(t, d, declined)
	if !strings.Contains(d.Body, "no capacity") || !strings.Contains(d.Body, "Receiving Housing Trust") {
		t.Errorf("declined notice lacks the reason code or the organisation:\n%s", d.Body)
	}
	f := mustOne(t, msgs, adviserMail, Reference(forwarded)+" forwarded")
	wantReferenceAndLink(t, f, forwarded)
	if !strings.Contains(f.Body, "passed it on to Referring Advice Centre") {
		t.Errorf("forwarded notice does not name the onward organisation:\n%s", f.Body)
	}
	ro := mustOne(t, msgs, adviserMail, Reference(declined)+" reopened")
	wantReferenceAndLink(t, ro, declined)
	if !strings.Contains(ro.Body, "Receiving Housing Trust has reopened") {
		t.Errorf("reopened notice does not name the receiver:\n%s", ro.Body)
	}
	w := mustOne(t, msgs, toAdmin, Reference(withdrawn)+" withdrawn")
	wantReferenceAndLink(t, w, withdrawn)
	if len(msgs) != 7 {
		t.Errorf("%d notices (%v), want 7", len(msgs), recipients(msgs))
	}
	for _, m := range msgs {
		if strings.Contains(string(m.Raw), marker) {
			t.Errorf("notice %q carries client data:\n%s", m.Subject, m.Raw)
		}
	}
	// The reopened referral is open again in the notifier's state (its
	// deadlines count again); the forwarded and withdrawn ones have ended.
	// The state belongs to the running notifier: stop it first.
	r.stop(t)
	got := r.n.state.referrals[declined]
	if got.Status != domain.StatusAcknowledged || r.n.state.referrals[forwarded].Status.Open() || r.n.state.referrals[withdrawn].Status.Open() {
		t.Errorf("notifier state: reopened %s, forwarded %s, withdrawn %s", got.Status,
			r.n.state.referrals[forwarded].Status, r.n.state.referrals[withdrawn].Status)
	}
}

// TestUrgencyDeclinedNotice_REF7: an urgent referral the receiver does not
// take on as urgent is told to the adviser who made it, with a reference
// and a link, saying it now follows the normal timescales, and without
// the feedback, which is free text (R-NOTE-2, R-PRIV-7).
func TestUrgencyDeclinedNotice_REF7(t *testing.T) {
	h := newHarness(t)
	r := h.start(h.smtpSender())
	at := monday0600.Add(-2 * time.Hour)
	nw := h.network(at)
	id, client := h.makeReferral(nw, true, at)
	h.appendEvent(ledger.ReferralStream(id), nw.toLead, at, &domain.ReferralUrgencyDeclined{ClientID: client, Feedback: "feedback " + marker})

	msgs := h.mail.WaitFor(t, 2) // the new referral, its urgency declined
	h.caughtUp(r.n)
	r.stop(t)
	u := mustOne(t, msgs, adviserMail, Reference(id)+" not taken as urgent")
	wantReferenceAndLink(t, u, id)
	if !strings.Contains(u.Body, "Receiving Housing Trust") || !strings.Contains(u.Body, "normal timescales") {
		t.Errorf("urgency notice does not name the receiver or the timescales now followed:\n%s", u.Body)
	}
	if len(msgs) != 2 {
		t.Errorf("%d notices (%v), want 2", len(msgs), recipients(msgs))
	}
	for _, m := range msgs {
		if strings.Contains(string(m.Raw), marker) {
			t.Errorf("notice %q carries client data:\n%s", m.Subject, m.Raw)
		}
	}
}
