package kurrentdb_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/kurrentdb"
	"github.com/referral-ledger/ledger/eventstore/kurrentdb/kurrentdbtest"
	"github.com/referral-ledger/ledger/eventstore/storetest"
)

// The contract suite against the protocol double: one fresh double per
// case. The suite's stream names ("s", "a", …) are not the ledger's, so the
// store takes every non-system stream.
func TestContractDouble(t *testing.T) {
	storetest.Run(t, func(tb testing.TB) (eventstore.Store, func() eventstore.Store) {
		url, _ := kurrentdbtest.Start(tb)
		return openPair(tb, url, kurrentdb.WithStreamPrefixes(""))
	})
}

// The contract suite against a real KurrentDB. Each case gets its own
// namespace, so one server serves every case and every run.
func TestContractKurrentDB(t *testing.T) {
	url := os.Getenv("KURRENTDB_URL")
	if url == "" {
		t.Skip("KURRENTDB_URL is not set: the contract suite has NOT run against a real KurrentDB, " +
			"only against the protocol double. Start one (see eventstore/kurrentdb/README.md) and run " +
			"KURRENTDB_URL='kurrentdb://localhost:2113?tls=false' make test-kurrentdb")
	}
	storetest.Run(t, func(tb testing.TB) (eventstore.Store, func() eventstore.Store) {
		ns := "ledgertest-" + strings.ReplaceAll(uuid.NewString(), "-", "")[:12] + "-"
		return openPair(tb, url, kurrentdb.WithNamespace(ns), kurrentdb.WithStreamPrefixes(""))
	})
}

// openPair opens a store for the contract suite and says how to reopen it.
func openPair(tb testing.TB, url string, opts ...kurrentdb.Option) (eventstore.Store, func() eventstore.Store) {
	tb.Helper()
	s := open(tb, url, opts...)
	return s, func() eventstore.Store {
		tb.Helper()
		again, err := kurrentdb.Open(ctxFor(tb), url, opts...)
		if err != nil {
			tb.Fatalf("reopen: %v", err)
		}
		return again
	}
}

// open opens a store on url and closes it when tb ends.
func open(tb testing.TB, url string, opts ...kurrentdb.Option) *kurrentdb.Store {
	tb.Helper()
	opts = append([]kurrentdb.Option{kurrentdb.WithReconnectBackoff(10*time.Millisecond, 200*time.Millisecond)}, opts...)
	s, err := kurrentdb.Open(ctxFor(tb), url, opts...)
	if err != nil {
		tb.Fatalf("Open(%s): %v", url, err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// ctxFor returns a context that ends with the test or after 20s, which only
// turns a hang into a failure.
func ctxFor(tb testing.TB) context.Context {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	tb.Cleanup(cancel)
	return ctx
}
