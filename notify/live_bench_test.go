package notify

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
)

// discardSender accepts every notice and sends nothing.
type discardSender struct{}

func (discardSender) Send(context.Context, Message) error { return nil }

// BenchmarkIssue14NotifierLive measures the notifier on the live path:
// caught up, it is fed the lifecycle of four referrals (made,
// acknowledged, noted, closed) in small groups, waiting for it to catch
// up after each, as a server with a few clients feeds it. It reports the
// process's CPU per event (the appends included).
func BenchmarkIssue14NotifierLive(b *testing.B) {
	h := newHarness(b)
	nw := h.network(monday0600)
	r := h.start(discardSender{})
	h.caughtUp(r.n)
	const group = 4
	at := monday0600.Add(time.Hour)
	b.ResetTimer()
	cpu := cpuTime()
	for range b.N {
		var ids, clients [group]uuid.UUID
		for i := range group {
			ids[i], clients[i] = h.makeReferral(nw, false, at)
		}
		h.caughtUp(r.n)
		for i := range group {
			h.acknowledge(nw, ids[i], at)
		}
		h.caughtUp(r.n)
		for i := range group {
			h.note(nw, ids[i], clients[i], at)
		}
		h.caughtUp(r.n)
		for i := range group {
			h.closeReferral(nw, ids[i], clients[i], at)
		}
		h.caughtUp(r.n)
	}
	b.ReportMetric(float64(cpuTime()-cpu)/1e3/float64(b.N*4*group), "cpu-µs/event")
}
