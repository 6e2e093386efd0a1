package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/metrics/metricstest"
)

// TestAppendMovesMetrics: a committed append is one batch observed, with
// its duration and its COMMIT's (issue 16 point 6).
func TestAppendMovesMetrics(t *testing.T) {
	s := openAt(t, filepath.Join(t.TempDir(), "ledger.db"))
	names := []string{"ledger_eventstore_append_batch_size", "ledger_eventstore_append_batch_duration_seconds",
		"ledger_eventstore_commit_duration_seconds"}
	before := make([]float64, len(names))
	for i, name := range names {
		before[i] = metricstest.Value(t, name)
	}
	if _, err := s.Append(context.Background(), "s", eventstore.NoStream(), testEvent("x")); err != nil {
		t.Fatal(err)
	}
	for i, name := range names {
		if got := metricstest.Value(t, name); got <= before[i] {
			t.Errorf("%s: %v observations before the append, %v after", name, before[i], got)
		}
	}
}
