package kurrentdb

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/kurrentdb/kurrentdbtest"
	"github.com/referral-ledger/ledger/metrics"
	"github.com/referral-ledger/ledger/metrics/metricstest"
)

// TestMetricsCountAppendsAndReconnects: an append is observed as a batch
// of one, and the client recreated after the server came back counts as an
// event-store reconnect (issue 16 point 6).
func TestMetricsCountAppendsAndReconnects(t *testing.T) {
	url, ctl := kurrentdbtest.Start(t)
	s := openInternal(t, url)
	stream := "referral-" + uuid.NewString()
	appends := metricstest.Value(t, "ledger_eventstore_append_batch_size")
	mustAppendInternal(t, s, stream, eventstore.NoStream(), newEvent())
	if got := metricstest.Value(t, "ledger_eventstore_append_batch_size"); got < appends+1 {
		t.Errorf("append batches went from %v to %v", appends, got)
	}

	reconnects := metricstest.Value(t, "ledger_store_reconnects_total", "store", metrics.EventStore)
	ctl.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, _ = s.Append(ctx, stream, eventstore.Any(), newEvent())
	waitUntil(t, "the Store has retired the closed client", func() bool { return s.current() == nil })
	ctl.Restart()
	waitUntil(t, "the Store is healthy again", func() bool { return s.Ping(ctx) == nil && s.Healthy() })
	if got := metricstest.Value(t, "ledger_store_reconnects_total", "store", metrics.EventStore); got < reconnects+1 {
		t.Errorf("ledger_store_reconnects_total{store=eventstore} went from %v to %v", reconnects, got)
	}
}
