// Package sqlitedrivers compares the pure-Go SQLite driver the ledger
// uses (modernc.org/sqlite) with the cgo one (github.com/mattn/go-sqlite3)
// on the work the ledger gives SQLite: a views commit of one event (the
// referrals table with its ten indexes, the clients index's referral row,
// the checkpoint; synchronous=NORMAL), a durable append of one event
// (synchronous=FULL), and a rebuild's bulk load (rows in one transaction,
// then the indexes). Both drivers write through SQLite's own file layer.
// It is a module of its own, so the ledger's build never links cgo; `make
// bench-drivers` runs it and compares the two with benchstat
// (docs/views-and-scale.md).
package sqlitedrivers

import (
	"crypto/rand"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"
	_ "modernc.org/sqlite"
)

var schema = []string{
	`CREATE TABLE checkpoints (view TEXT PRIMARY KEY, position INTEGER NOT NULL) WITHOUT ROWID`,
	`CREATE TABLE referrals (id BLOB PRIMARY KEY, reference TEXT NOT NULL, client BLOB NOT NULL, status TEXT NOT NULL, open INTEGER NOT NULL,
		from_org BLOB NOT NULL, to_org BLOB NOT NULL, assignee BLOB, work_at INTEGER NOT NULL, work_rank INTEGER NOT NULL, made_at INTEGER NOT NULL, state BLOB NOT NULL) WITHOUT ROWID`,
	`CREATE INDEX referrals_reference ON referrals (reference)`,
	`CREATE INDEX referrals_inbox ON referrals (to_org, status, work_at, work_rank, id)`,
	`CREATE INDEX referrals_inbox_open ON referrals (to_org, open, work_at, work_rank, id)`,
	`CREATE INDEX referrals_assigned ON referrals (assignee, status, work_at, work_rank, id) WHERE assignee IS NOT NULL`,
	`CREATE INDEX referrals_assigned_open ON referrals (assignee, open, work_at, work_rank, id) WHERE assignee IS NOT NULL`,
	`CREATE INDEX referrals_due ON referrals (open, work_at, work_rank, id)`,
	`CREATE INDEX referrals_due_from ON referrals (from_org, open, work_at, work_rank, id)`,
	`CREATE INDEX referrals_outbox ON referrals (from_org, made_at, id)`,
	`CREATE INDEX referrals_received ON referrals (to_org, made_at, id)`,
	`CREATE INDEX referrals_made ON referrals (made_at, id)`,
	`CREATE TABLE client_referrals (id BLOB PRIMARY KEY, client BLOB NOT NULL, made INTEGER NOT NULL, state BLOB NOT NULL) WITHOUT ROWID`,
	`CREATE INDEX client_referrals_client ON client_referrals (client, made)`,
	`CREATE TABLE events (position INTEGER PRIMARY KEY, id BLOB NOT NULL UNIQUE, stream TEXT NOT NULL, version INTEGER NOT NULL, data BLOB NOT NULL, hash BLOB NOT NULL, UNIQUE (stream, version))`,
}

func rnd(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func cpu() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// isIndex reports whether a schema statement creates an index.
func isIndex(stmt string) bool { return strings.HasPrefix(stmt, "CREATE INDEX ") }

// open creates the schema in a new database, without its indexes unless
// indexes is set.
func open(b *testing.B, driver, sync string, indexes bool) *sql.DB {
	path := filepath.Join(b.TempDir(), "v.db")
	db, err := sql.Open(driver, path)
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	for _, p := range []string{"PRAGMA journal_mode=WAL", "PRAGMA synchronous=" + sync, "PRAGMA cache_size=-16000", "PRAGMA secure_delete=ON"} {
		if _, err := db.Exec(p); err != nil {
			b.Fatal(err)
		}
	}
	for _, s := range schema {
		if isIndex(s) && !indexes {
			continue
		}
		if _, err := db.Exec(s); err != nil {
			b.Fatal(err)
		}
	}
	return db
}

type ref struct {
	id, client, from, to []byte
	made                 int64
}

// views: one referral's lifecycle-like row changes, one commit per event,
// over a table already holding 20k referrals.
func benchViews(b *testing.B, driver string) {
	db := open(b, driver, "NORMAL", true)
	defer db.Close()
	ins, _ := db.Prepare(`INSERT INTO referrals VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (id) DO UPDATE SET status=excluded.status, open=excluded.open, assignee=excluded.assignee, work_at=excluded.work_at, work_rank=excluded.work_rank, state=excluded.state`)
	cr, _ := db.Prepare(`INSERT INTO client_referrals VALUES (?,?,?,?) ON CONFLICT (id) DO UPDATE SET state=excluded.state`)
	cp, _ := db.Prepare(`INSERT INTO checkpoints VALUES ('all', ?) ON CONFLICT (view) DO UPDATE SET position=excluded.position`)
	orgs := [][]byte{rnd(16), rnd(16), rnd(16), rnd(16)}
	state := rnd(400)
	pos := int64(0)
	write := func(r ref, status string, open int, workAt int64) {
		tx, err := db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		pos++
		if _, err := tx.Stmt(ins).Exec(r.id, fmt.Sprintf("R-%d", r.made), r.client, status, open, r.from, r.to, nil, workAt, 0, r.made, state); err != nil {
			b.Fatal(err)
		}
		if _, err := tx.Stmt(cr).Exec(r.id, r.client, r.made, state[:200]); err != nil {
			b.Fatal(err)
		}
		if _, err := tx.Stmt(cp).Exec(pos); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	mk := func(i int) ref {
		return ref{id: rnd(16), client: rnd(16), from: orgs[i%4], to: orgs[(i+1)%4], made: time.Now().UnixNano()}
	}
	for i := 0; i < 20000; i++ {
		r := mk(i)
		write(r, "closed", 0, r.made)
	}
	b.ResetTimer()
	c0 := cpu()
	for i := 0; i < b.N; i++ {
		r := mk(i)
		write(r, "made", 1, r.made+1e12)
		write(r, "acknowledged", 1, r.made+2e12)
		write(r, "acknowledged", 1, r.made+2e12)
		write(r, "closed", 0, r.made+3e12)
	}
	b.ReportMetric(float64(cpu()-c0)/float64(time.Microsecond)/float64(4*b.N), "cpu-µs/event")
}

// events: single-event appends, synchronous=FULL, one commit each.
func benchEvents(b *testing.B, driver string) {
	db := open(b, driver, "FULL", true)
	defer db.Close()
	ins, _ := db.Prepare(`INSERT INTO events (id, stream, version, data, hash) VALUES (?,?,?,?,?)`)
	data := rnd(600)
	b.ResetTimer()
	c0 := cpu()
	for i := 0; i < b.N; i++ {
		tx, _ := db.Begin()
		if _, err := tx.Stmt(ins).Exec(rnd(16), fmt.Sprintf("referral-%d", i/4), i%4, data, rnd(32)); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpu()-c0)/float64(time.Microsecond)/float64(b.N), "cpu-µs/event")
}

// benchBulk loads rows into the referrals table in one transaction, in
// key order, then creates its indexes, as a rebuild of the views does;
// cpu-µs/row is the whole load's CPU per row.
func benchBulk(b *testing.B, driver string) {
	const rows = 20_000
	orgs := [][]byte{rnd(16), rnd(16), rnd(16), rnd(16)}
	state := rnd(400)
	var cpuUsed time.Duration
	for b.Loop() {
		b.StopTimer()
		db := open(b, driver, "NORMAL", false)
		ids := make([][]byte, rows)
		for i := range ids {
			ids[i] = []byte(fmt.Sprintf("%016d", i))
		}
		b.StartTimer()
		c0 := cpu()
		tx, err := db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		ins, err := tx.Prepare(`INSERT INTO referrals VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`)
		if err != nil {
			b.Fatal(err)
		}
		for i, id := range ids {
			made := int64(i) * 1e9
			if _, err := ins.Exec(id, fmt.Sprintf("R-%d", i), rnd(16), "made", 1, orgs[i%4], orgs[(i+1)%4], nil, made+7e12, 0, made, state); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		for _, s := range schema {
			if isIndex(s) {
				if _, err := db.Exec(s); err != nil {
					b.Fatal(err)
				}
			}
		}
		cpuUsed += cpu() - c0
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(cpuUsed)/float64(time.Microsecond)/float64(rows*b.N), "cpu-µs/row")
}

func BenchmarkBulk(b *testing.B) {
	b.Run("modernc", func(b *testing.B) { benchBulk(b, "sqlite") })
	b.Run("cgo", func(b *testing.B) { benchBulk(b, "sqlite3") })
}

func BenchmarkViews(b *testing.B) {
	b.Run("modernc", func(b *testing.B) { benchViews(b, "sqlite") })
	b.Run("cgo", func(b *testing.B) { benchViews(b, "sqlite3") })
}

func BenchmarkEvents(b *testing.B) {
	b.Run("modernc", func(b *testing.B) { benchEvents(b, "sqlite") })
	b.Run("cgo", func(b *testing.B) { benchEvents(b, "sqlite3") })
}
