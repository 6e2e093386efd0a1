package postgres_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/internal/pgtest"
	"github.com/referral-ledger/ledger/keystore"
	"github.com/referral-ledger/ledger/metrics"
	"github.com/referral-ledger/ledger/metrics/metricstest"
)

// TestReconnectCounted: when PostgreSQL drops the key store's connections,
// the connection the pool opens again counts as a key-store reconnect
// (issue 16 point 6).
func TestReconnectCounted(t *testing.T) {
	url := pgtest.URL(t)
	s := openAt(t, url, keystore.GenerateMasterKey())
	ctx := context.Background()
	client := uuid.New()
	if _, err := s.Create(ctx, client); err != nil {
		t.Fatal(err)
	}
	before := metricstest.Value(t, "ledger_store_reconnects_total", "store", metrics.KeyStore)
	admin := rawConn(t, url)
	mustExec(t, admin, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()`)
	// The first call may meet a dead connection; the pool then opens
	// another, and the next call uses it.
	var err error
	for range 3 {
		if _, err = s.Get(ctx, client); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("the key store did not come back: %v", err)
	}
	if after := metricstest.Value(t, "ledger_store_reconnects_total", "store", metrics.KeyStore); after <= before {
		t.Fatalf("ledger_store_reconnects_total{store=keystore} stayed at %v", after)
	}
}
