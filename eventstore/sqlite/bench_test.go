package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/eventstore"
)

// BenchmarkAppend measures single-event appends through the group-commit
// path: with more concurrent writers, more appends share each fsync.
func BenchmarkAppend(b *testing.B) {
	for _, writers := range []int{1, 16, 256} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			s := openAt(b, filepath.Join(b.TempDir(), "ledger.db"))
			ctx := context.Background()
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for w := range writers {
				wg.Go(func() {
					stream := fmt.Sprintf("bench-%d", w)
					for next.Add(1) <= int64(b.N) {
						if _, err := s.Append(ctx, stream, eventstore.Any(), testEvent("bench")); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkRawSQLiteBatchedInsert is the ceiling to compare Append with:
// plain inserts into a same-shaped table on the same pragmas, 1000 rows per
// transaction, with no hashing, no checks and no callers to answer.
func BenchmarkRawSQLiteBatchedInsert(b *testing.B) {
	const perTx = 1000
	path := filepath.Join(b.TempDir(), "raw.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"+
		"&_pragma=synchronous(FULL)&_pragma=secure_delete(ON)&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	mustExec(b, db, `CREATE TABLE events (
		position INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, stream TEXT NOT NULL,
		revision INTEGER NOT NULL, type TEXT NOT NULL, schema_version INTEGER NOT NULL,
		data BLOB NOT NULL, metadata BLOB NOT NULL, UNIQUE (stream, revision))`)
	data := []byte(`{"n":1}`)
	meta := []byte(`{"actor_user_id":"u","actor_organisation_id":"o","recorded_at":"2026-01-01T00:00:00Z",` +
		`"prev_hash":"0000000000000000000000000000000000000000000000000000000000000000",` +
		`"hash":"0000000000000000000000000000000000000000000000000000000000000000"}`)
	b.ResetTimer()
	for done := 0; done < b.N; {
		tx, err := db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		st, err := tx.Prepare(`INSERT INTO events (id, stream, revision, type, schema_version, data, metadata)
			VALUES (?, ?, ?, 'bench', 1, ?, ?)`)
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < perTx && done < b.N; i, done = i+1, done+1 {
			if _, err := st.Exec(uuid.NewString(), fmt.Sprintf("raw-%d", done%16), done/16, data, meta); err != nil {
				b.Fatal(err)
			}
		}
		_ = st.Close()
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkReadAll measures replaying the whole log in pages, as a
// projection rebuilding from scratch would.
func BenchmarkReadAll(b *testing.B) {
	const appends, perAppend, page = 100, 100, 1000
	s := openAt(b, filepath.Join(b.TempDir(), "ledger.db"))
	ctx := context.Background()
	for i := range appends {
		evs := make([]eventstore.EventData, perAppend)
		for j := range evs {
			evs[j] = testEvent("bench")
		}
		if _, err := s.Append(ctx, fmt.Sprintf("stream-%d", i%10), eventstore.Any(), evs...); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		n, after := 0, eventstore.Start
		for {
			evs, err := s.ReadAll(ctx, after, page)
			if err != nil {
				b.Fatal(err)
			}
			if len(evs) == 0 {
				break
			}
			n += len(evs)
			after = evs[len(evs)-1].Position
		}
		if n != appends*perAppend {
			b.Fatalf("replayed %d events, want %d", n, appends*perAppend)
		}
	}
	b.ReportMetric(float64(b.N*appends*perAppend)/b.Elapsed().Seconds(), "events/s")
}
