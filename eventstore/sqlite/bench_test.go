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
	"github.com/referral-ledger/ledger/eventstore/sqlite"
)

// The benchmarks here compare the store with what it is built on (raw
// SQLite inserts of the same rows) and with what a team would build instead
// (an events table in PostgreSQL, bench_postgres_test.go). They run side by
// side in one `make bench`, whose summary prints their ratios. Every one
// appends the same events: the service's time-ordered (version 7) ids, a
// payload the size of a sealed referral, the metadata the service records,
// one stream per writer.

// benchWriters are the concurrent appenders every append benchmark runs at.
var benchWriters = []int{1, 16, 256}

// benchPayload is the size and shape of a referral.made with its client
// data sealed: public fields in the clear, the rest in a base64 box.
var benchPayload = []byte(`{"referral_id":"0190a4c5-7f64-7d6e-8a3b-5b1f0e2d9c41","reference":"RF-7KQ2-M9XD",` +
	`"from_organisation_id":"0190a4c5-7f64-7d6e-8a3b-5b1f0e2d9c42","to_organisation_id":"0190a4c5-7f64-7d6e-8a3b-5b1f0e2d9c43",` +
	`"adviser_id":"0190a4c5-7f64-7d6e-8a3b-5b1f0e2d9c44","needs":["housing","debt"],"urgent":false,` +
	`"sealed":{"client_id":"0190a4c5-7f64-7d6e-8a3b-5b1f0e2d9c45","box":"q1c3pV0Qm8m2b6x1y7ZtQ0a5n2l8WfS9d4Rk3uJ1oH6gE` +
	`7cB2vN5zX0wY9tU4iO3pA8sD1fG6hJ2kL7qW3eR5tY0uI9oP4aS8dF2gH7jK1lZ6xC3vB5nM0QwErTyUiOp=="}}`)

// benchEvent is one append as the service makes it: a version 7 id, the
// actor and the request's correlation id; the store stamps the time.
func benchEvent() eventstore.EventData {
	return eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: "referral.made", SchemaVersion: 1, Data: benchPayload,
		Metadata: eventstore.Metadata{
			ActorUserID:         "0190a4c5-7f64-7d6e-8a3b-5b1f0e2d9c44",
			ActorOrganisationID: "0190a4c5-7f64-7d6e-8a3b-5b1f0e2d9c42",
			CorrelationID:       "0190a4c5-7f64-7d6e-8a3b-5b1f0e2d9c46",
		}}
}

// appendConcurrently makes n single-event appends from writers goroutines,
// each appending to a stream of its own, and fails tb on any error.
func appendConcurrently(tb testing.TB, s eventstore.Store, writers, n int) {
	tb.Helper()
	ctx := context.Background()
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			stream := fmt.Sprintf("bench-%d", w)
			for next.Add(1) <= int64(n) {
				if _, err := s.Append(ctx, stream, eventstore.Any(), benchEvent()); err != nil {
					tb.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// BenchmarkAppend measures single-event appends through the group-commit
// path: with more concurrent writers, more appends share each fsync. It
// reports the mean size of the commits as events/commit.
func BenchmarkAppend(b *testing.B) {
	for _, writers := range benchWriters {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			s := openAt(b, filepath.Join(b.TempDir(), "ledger.db"))
			b.ResetTimer()
			cpu := cpuTime(b)
			appendConcurrently(b, s, writers, b.N)
			cpu = cpuTime(b) - cpu
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/event")
			commits, events := sqlite.CommitStats(s)
			b.ReportMetric(float64(events)/float64(max(commits, 1)), "events/commit")
		})
	}
}

// rowShape is what the store writes for the appends of a given number of
// writers: how many events its group commits carry on average, and the
// bytes of one stored row's data and metadata.
type rowShape struct {
	perCommit  int
	data, meta []byte
}

var (
	shapesMu sync.Mutex
	shapes   = map[int]rowShape{}
)

// shapeOf measures, once per writer count, the commits the store makes for
// benchAppends concurrent appends, and reads back one row as stored.
func shapeOf(b *testing.B, writers int) rowShape {
	shapesMu.Lock()
	defer shapesMu.Unlock()
	if sh, ok := shapes[writers]; ok {
		return sh
	}
	path := filepath.Join(b.TempDir(), "shape.db")
	s, err := sqlite.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	appendConcurrently(b, s, writers, max(1000, 16*writers))
	commits, events := sqlite.CommitStats(s)
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	sh := rowShape{perCommit: max(1, int((events+commits/2)/max(commits, 1)))}
	if err := rawDB(b, path).QueryRow(`SELECT data, metadata FROM events ORDER BY position DESC LIMIT 1`).
		Scan(&sh.data, &sh.meta); err != nil {
		b.Fatal(err)
	}
	shapes[writers] = sh
	return sh
}

// BenchmarkRawSQLite is the ceiling to compare BenchmarkAppend with, at the
// same writer counts: plain prepared inserts into the store's own table (the
// same schema, triggers and indexes, on the same pragmas) of rows of the
// same shape (version 7 ids, the same data and metadata bytes, one stream
// per writer), in transactions as large as the store's group commits
// measured at that writer count, with no hashing, no checks and no callers
// to answer.
func BenchmarkRawSQLite(b *testing.B) {
	for _, writers := range benchWriters {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			sh := shapeOf(b, writers)
			path := filepath.Join(b.TempDir(), "raw.db")
			if err := openAt(b, path).Close(); err != nil { // the store's schema, empty
				b.Fatal(err)
			}
			db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"+
				"&_pragma=synchronous(FULL)&_pragma=secure_delete(ON)")
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			db.SetMaxOpenConns(1)
			ctx := context.Background()
			conn, err := db.Conn(ctx)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			st, err := conn.PrepareContext(ctx, `INSERT INTO events (id, stream, revision, type, schema_version, data, metadata)
				VALUES (?, ?, ?, 'referral.made', 1, ?, ?)`)
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			streams := make([]string, writers)
			for i := range streams {
				streams[i] = fmt.Sprintf("bench-%d", i)
			}
			revs := make([]int64, writers)
			b.ResetTimer()
			cpu := cpuTime(b)
			for done := 0; done < b.N; {
				if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
					b.Fatal(err)
				}
				for i := 0; i < sh.perCommit && done < b.N; i, done = i+1, done+1 {
					w := done % writers
					if _, err := st.ExecContext(ctx, uuid.Must(uuid.NewV7()).String(), streams[w], revs[w], sh.data, sh.meta); err != nil {
						b.Fatal(err)
					}
					revs[w]++
				}
				if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
					b.Fatal(err)
				}
			}
			cpu = cpuTime(b) - cpu
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/event")
			b.ReportMetric(float64(sh.perCommit), "events/commit")
		})
	}
}

// replayLog is the log the replay benchmarks read: 10,000 events in 10
// streams, appended 100 at a time.
const replayAppends, replayPerAppend = 100, 100

func openReplayLog(b *testing.B) *sqlite.Store {
	s := openAt(b, filepath.Join(b.TempDir(), "ledger.db"))
	ctx := context.Background()
	for i := range replayAppends {
		evs := make([]eventstore.EventData, replayPerAppend)
		for j := range evs {
			evs[j] = benchEvent()
		}
		if _, err := s.Append(ctx, fmt.Sprintf("stream-%d", i%10), eventstore.Any(), evs...); err != nil {
			b.Fatal(err)
		}
	}
	return s
}

// BenchmarkReadAll measures replaying the whole log through ReadAll in
// pages, as a projection rebuilding from scratch would, in events/s.
func BenchmarkReadAll(b *testing.B) {
	const page = 1000
	s := openReplayLog(b)
	ctx := context.Background()
	b.ResetTimer()
	cpu := cpuTime(b)
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
		if n != replayAppends*replayPerAppend {
			b.Fatalf("replayed %d events, want %d", n, replayAppends*replayPerAppend)
		}
	}
	cpu = cpuTime(b) - cpu
	b.ReportMetric(float64(b.N*replayAppends*replayPerAppend)/b.Elapsed().Seconds(), "events/s")
	// On a machine shared with other work, wall-clock rates fall with the
	// CPU it gets; events per CPU-second of this process does not.
	b.ReportMetric(float64(b.N*replayAppends*replayPerAppend)/cpu.Seconds(), "events/cpu-s")
}

// BenchmarkReplaySubscribe measures replaying the whole log the way the
// projection runner and the notifier do: a subscription from the start,
// each event received from its channel, in events/s.
func BenchmarkReplaySubscribe(b *testing.B) {
	s := openReplayLog(b)
	ctx := context.Background()
	const total = replayAppends * replayPerAppend
	b.ResetTimer()
	cpu := cpuTime(b)
	for range b.N {
		sub := s.Subscribe(ctx, eventstore.Start)
		n := 0
		for ev := range sub.Events() {
			n++
			if ev.Position != eventstore.Position(n) {
				b.Fatalf("event %d at position %d", n, ev.Position)
			}
			if n == total {
				break
			}
		}
		sub.Close()
		if n != total {
			b.Fatalf("replayed %d events, want %d: %v", n, total, sub.Err())
		}
	}
	cpu = cpuTime(b) - cpu
	b.ReportMetric(float64(b.N*total)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(b.N*total)/cpu.Seconds(), "events/cpu-s")
}

// BenchmarkVerify measures `ledger verify` (sqlite.Verify) over a file of
// 100,000 events in 100 streams, in events/s: the full chain check the
// start-up integrity check runs in the background.
func BenchmarkVerify(b *testing.B) {
	const events, perAppend = 100_000, 1000
	path := filepath.Join(b.TempDir(), "ledger.db")
	s := openAt(b, path)
	ctx := context.Background()
	evs := make([]eventstore.EventData, perAppend)
	for i := range events / perAppend {
		for j := range evs {
			evs[j] = benchEvent()
		}
		if _, err := s.Append(ctx, fmt.Sprintf("stream-%d", i%100), eventstore.Any(), evs...); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu := cpuTime(b)
	for range b.N {
		rep, err := sqlite.Verify(ctx, path)
		if err != nil || rep.Events != events {
			b.Fatalf("Verify: %+v, %v", rep, err)
		}
	}
	cpu = cpuTime(b) - cpu
	b.ReportMetric(float64(b.N*events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(b.N*events)/cpu.Seconds(), "events/cpu-s")
}

// BenchmarkReadStreamShort_Issue14 reads a short stream whole, as a
// command loads its referral, and asks for a page of 512 events after the
// head, as the projection runner and the notifier do on every wake, when
// there is one new event: each costs what a request pays per read.
func BenchmarkReadStreamShort_Issue14(b *testing.B) {
	s, err := sqlite.Open(filepath.Join(b.TempDir(), "ledger.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	ctx := context.Background()
	for range 4 {
		if _, err := s.Append(ctx, "referral-1", eventstore.Any(), benchEvent()); err != nil {
			b.Fatal(err)
		}
	}
	head, err := s.Head(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("stream", func(b *testing.B) {
		b.ReportAllocs()
		cpu := cpuTime(b)
		for range b.N {
			if evs, err := s.ReadStream(ctx, "referral-1", 0, 0); err != nil || len(evs) != 4 {
				b.Fatalf("ReadStream = %d events, %v", len(evs), err)
			}
		}
		b.ReportMetric((cpuTime(b)-cpu).Seconds()*1e6/float64(b.N), "cpu-µs/op")
	})
	b.Run("wake", func(b *testing.B) {
		b.ReportAllocs()
		cpu := cpuTime(b)
		for range b.N {
			if evs, err := s.ReadAll(ctx, head-1, 512); err != nil || len(evs) != 1 {
				b.Fatalf("ReadAll = %d events, %v", len(evs), err)
			}
		}
		b.ReportMetric((cpuTime(b)-cpu).Seconds()*1e6/float64(b.N), "cpu-µs/op")
	})
}
