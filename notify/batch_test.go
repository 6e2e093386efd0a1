package notify

import (
	"context"
	"testing"
	"time"
)

// TestIssue14WaitingEventsCommittedInOrder: events already waiting when
// the notifier reads them are committed together, in the order they were
// derived: a reminder scheduled by one event and cancelled by a later one
// of the same commit stays cancelled, one scheduled after a cancellation
// stays pending, and every notice of the batch is enqueued once, with the
// checkpoint at the last event (R-ORG-2, R-NOTE-3).
func TestIssue14WaitingEventsCommittedInOrder(t *testing.T) {
	h := newHarness(t)
	nw := h.network(monday0600)
	n := h.open(h.smtpSender())                                    // the checkpoint is the head: what follows is notified
	h.intakeOff(nw.to, nw.toLead, monday0600, "")                  // scheduled, then
	h.intakeOn(nw.to, nw.toLead, monday0600.Add(time.Hour))        // cancelled in the same batch
	h.intakeOn(nw.from, nw.lead, monday0600.Add(time.Hour))        // cancels nothing, then
	h.intakeOff(nw.from, nw.lead, monday0600.Add(2*time.Hour), "") // scheduled: stays pending
	id, _ := h.makeReferral(nw, false, monday0600.Add(3*time.Hour))
	h.acknowledge(nw, id, monday0600.Add(4*time.Hour))
	head, err := h.store.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	h.caughtUp(n)
	msgs := h.mail.WaitFor(t, 2) // the new referral and its acknowledgement
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	defer n.Close()

	rows, err := n.outbox.db.Query(`SELECT kind, status FROM outbox ORDER BY kind, status`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]int{}
	for rows.Next() {
		var kind, status string
		if err := rows.Scan(&kind, &status); err != nil {
			t.Fatal(err)
		}
		if kind != string(KindIntakeOffReminder) {
			status = "enqueued" // sent, or about to be when Run stopped
		}
		got[kind+"/"+status]++
	}
	want := map[string]int{
		string(KindIntakeOffReminder) + "/" + statusCancelled: 1,
		string(KindIntakeOffReminder) + "/" + statusPending:   1,
		string(KindNewReferral) + "/enqueued":                 1,
		string(KindAcknowledged) + "/enqueued":                1,
	}
	if len(got) != len(want) {
		t.Errorf("outbox = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("outbox = %v, want %v", got, want)
			break
		}
	}
	if c := byNoticeID(msgs); len(c) != 2 {
		t.Errorf("messages per notice = %v, want two notices sent once each", c)
	}
	if cp, err := n.outbox.checkpoint(context.Background()); err != nil || cp != head {
		t.Errorf("checkpoint = %d, %v; want the last event, %d", cp, err, head)
	}
}
