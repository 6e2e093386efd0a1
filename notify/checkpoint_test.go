package notify

import (
	"context"
	"testing"

	"github.com/rs/zerolog"
)

// TestCheckpointOnATimerNotOnEveryIdleMoment (issue 14, point 6): once the
// notifier has caught up with events that derive no notice, the
// checkpoint is not written at once, as it was at every idle moment (an
// fsync each); it is written when its timer fires, or when the notifier
// stops, so a restart still resumes from the end.
func TestCheckpointOnATimerNotOnEveryIdleMoment(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	r := h.start(LogSender{Log: zerolog.Nop()})
	nw := h.network(monday0600)
	id, client := h.makeReferral(nw, false, monday0600)
	h.caughtUp(r.n)
	withNotice, err := r.n.outbox.checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		h.note(nw, id, client, monday0600) // a note derives no notice
	}
	h.caughtUp(r.n)
	head, err := h.store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cp, err := r.n.outbox.checkpoint(ctx); err != nil || cp != withNotice || cp >= head {
		t.Fatalf("checkpoint %d (%v) once idle; want it left at %d, before the head %d, until its timer fires", cp, err, withNotice, head)
	}
	r.stop(t)
	n := h.open(LogSender{Log: zerolog.Nop()})
	defer n.Close()
	if cp, err := n.outbox.checkpoint(ctx); err != nil || cp != head {
		t.Fatalf("checkpoint %d (%v) after stopping; want the head %d", cp, err, head)
	}
}
