package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/keystore"
)

// benchStore returns a store of 1,000 clients and their ids.
func benchStore(b *testing.B) (*keystore.Cached, keystore.Store, []uuid.UUID) {
	b.Helper()
	s := openAt(b, filepath.Join(b.TempDir(), "keys.db"), keystore.GenerateMasterKey())
	ids := make([]uuid.UUID, 1000)
	for i := range ids {
		ids[i] = uuid.New()
		if _, err := s.Create(context.Background(), ids[i]); err != nil {
			b.Fatal(err)
		}
	}
	return keystore.NewCached(s, 0), s, ids
}

// BenchmarkGetCached reads keys that are all in the cache: the cost of
// decrypting a client's data once the key is warm.
func BenchmarkGetCached(b *testing.B) {
	c, _, ids := benchStore(b)
	ctx := context.Background()
	for _, id := range ids {
		if _, err := c.Get(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; b.Loop(); i++ {
		if _, err := c.Get(ctx, ids[i%len(ids)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetUncached reads keys from SQLite and unwraps them every time.
func BenchmarkGetUncached(b *testing.B) {
	_, s, ids := benchStore(b)
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		if _, err := s.Get(ctx, ids[i%len(ids)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreateConcurrent creates new keys from 16 goroutines, as a busy
// node making referrals for new clients does: new keys share each commit's
// fsync (issue 14, point 4).
func BenchmarkCreateConcurrent(b *testing.B) {
	s := openAt(b, filepath.Join(b.TempDir(), "keys.db"), keystore.GenerateMasterKey())
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		for pb.Next() {
			if _, err := s.Create(ctx, uuid.New()); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "keys/s")
}

// BenchmarkStartupKeyCheck checks the keys of 1,000 clients as the
// start-up key check does (R-OPS-4): one Get per client (get) against one
// pass over keys.db (each). Per op: all 1,000 clients.
func BenchmarkStartupKeyCheck(b *testing.B) {
	_, s, ids := benchStore(b)
	ctx := context.Background()
	report := func(_ uuid.UUID, err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	b.Run("get", func(b *testing.B) {
		for b.Loop() {
			for _, id := range ids {
				_, err := s.Get(ctx, id)
				report(id, err)
			}
		}
	})
	b.Run("each", func(b *testing.B) {
		for b.Loop() {
			if err := s.(keystore.Checker).CheckEach(ctx, ids, report); err != nil {
				b.Fatal(err)
			}
		}
	})
}
