package sqlite_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/referral-ledger/ledger/internal/pgtest"
)

// peerConns caps the peer's connection pool: one connection per writer up
// to this many, within PostgreSQL's default max_connections of 100 shared
// with other test databases.
const peerConns = 32

// BenchmarkPostgresPeer appends the same events as BenchmarkAppend, at the
// same writer counts, to what a team would build instead of the embedded
// store: an events table in PostgreSQL with a global sequence (bigserial),
// unique (stream, version) for optimistic concurrency, JSON (jsonb) data
// and metadata, and synchronous_commit on, one transaction per append
// through a pgx pool. It skips, loudly, when no PostgreSQL answers at
// LEDGER_TEST_POSTGRES_URL (default 127.0.0.1:5432).
func BenchmarkPostgresPeer(b *testing.B) {
	for _, writers := range benchWriters {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			ctx := context.Background()
			cfg, err := pgxpool.ParseConfig(pgtest.URL(b))
			if err != nil {
				b.Fatal(err)
			}
			cfg.MaxConns = int32(min(writers, peerConns))
			pool, err := pgxpool.NewWithConfig(ctx, cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer pool.Close()
			if _, err := pool.Exec(ctx, `CREATE TABLE events (
				position       bigserial PRIMARY KEY,
				id             uuid   NOT NULL UNIQUE,
				stream         text   NOT NULL,
				version        bigint NOT NULL,
				type           text   NOT NULL,
				schema_version int    NOT NULL,
				data           jsonb  NOT NULL,
				metadata       jsonb  NOT NULL,
				recorded_at    timestamptz NOT NULL DEFAULT now(),
				UNIQUE (stream, version))`); err != nil {
				b.Fatal(err)
			}
			var syncCommit string
			if err := pool.QueryRow(ctx, `SHOW synchronous_commit`).Scan(&syncCommit); err != nil || syncCommit != "on" {
				b.Fatalf("synchronous_commit = %q, %v; the peer must commit durably", syncCommit, err)
			}
			// Connect the whole pool before timing: a team's service keeps
			// its connections open.
			conns := make([]*pgxpool.Conn, cfg.MaxConns)
			for i := range conns {
				if conns[i], err = pool.Acquire(ctx); err != nil {
					b.Fatal(err)
				}
			}
			for _, c := range conns {
				c.Release()
			}
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for w := range writers {
				wg.Go(func() {
					stream := fmt.Sprintf("bench-%d", w)
					for version := int64(0); next.Add(1) <= int64(b.N); version++ {
						ev := benchEvent()
						ev.Metadata.RecordedAt = time.Now().UTC()
						meta, _ := json.Marshal(ev.Metadata)
						// The expected version is the writer's own last one: a
						// concurrent writer to the stream would violate
						// unique (stream, version) and be told to retry.
						if _, err := pool.Exec(ctx, `INSERT INTO events (id, stream, version, type, schema_version, data, metadata)
							VALUES ($1, $2, $3, $4, $5, $6, $7)`,
							ev.ID, stream, version, ev.Type, ev.SchemaVersion, ev.Data, meta); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
