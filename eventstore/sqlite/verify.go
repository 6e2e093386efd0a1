package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/referral-ledger/ledger/eventstore"
)

// Report summarises a Verify pass over a ledger file.
type Report struct {
	Events  int                 // events checked, up to the first broken one
	Streams int                 // distinct streams seen
	Last    eventstore.Position // position of the last event checked
	Written eventstore.Position // how many positions SQLite has handed out
}

// TruncatedError reports that the log's end and SQLite's AUTOINCREMENT
// counter disagree: the counter shows positions up to Written were handed
// out, but the last stored event is at Last. Written beyond Last: events
// were cut from the end. Written behind Last: the counter itself was
// changed (or its row deleted), which SQLite never does.
type TruncatedError struct {
	Last, Written eventstore.Position
}

// Error names the missing range of positions, or the counter that was
// moved back.
func (e *TruncatedError) Error() string {
	if e.Written < e.Last {
		return fmt.Sprintf("ledger tampered: the counter of positions handed out says %d, behind the last event at position %d; "+
			"SQLite never moves it back, so the file's sequence record was changed", e.Written, e.Last)
	}
	return fmt.Sprintf("ledger truncated: the last event is at position %d but positions up to %d were written; "+
		"events %d..%d are missing", e.Last, e.Written, e.Last+1, e.Written)
}

// Verify opens the ledger file at path read-only and proves it untampered
// (R-LEDGER-4): every stream's hash chain recomputes, positions run 1..N
// without a gap, and N matches the count of positions SQLite ever handed
// out, so deleting the last event is caught too. It checks the log as of
// one snapshot (the events up to its last position, which a live Store
// never changes, and its counter), so it may run beside a live Store. It
// reads on two connections and hashes on every core (see verifyRowsFast),
// with the same answer as one pass.
//
// It returns a *eventstore.BrokenLinkError naming the first broken event in
// position order (a changed event, one out of order, or the event after a
// deleted one), a *TruncatedError when only the end is missing (or the
// counter of positions handed out was moved back), a
// *DamagedError when SQLite cannot read the file past some position (a
// truncated or garbled file), or an error wrapping eventstore.ErrUnavailable
// if the file cannot be opened or reached.
// The report counts the events checked before the error.
//
// WithImmutable, when nothing can write the file meanwhile, keeps SQLite
// from creating -wal and -shm files beside it (R-OPS-2).
func Verify(ctx context.Context, path string, opts ...Option) (Report, error) {
	var rep Report
	o := options{busyTimeout: 5 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	// mode=ro: a verifier must not be able to change what it verifies.
	db, err := sql.Open("sqlite", readOnlyDSN(path, o))
	if err != nil {
		return rep, unavailable("verify "+path, err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return rep, unavailable("verify "+path, err)
	}
	defer conn.Close()
	// One transaction is one WAL snapshot: the counter and the rows agree.
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		return rep, unavailable("verify "+path, err)
	}
	defer func() { _, _ = conn.ExecContext(context.Background(), "ROLLBACK") }()

	var version int
	if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return rep, damagedOr("verify "+path, 0, err)
	}
	if err := knownVersion(version); err != nil {
		return rep, unavailable("verify "+path, err)
	}
	// The events first: in a damaged file, how far they read intact is
	// what the operator needs to know.
	err = verifyRowsFast(ctx, db, conn, &rep, true)
	if errors.Is(err, errReadAgain) {
		// Damage seen by one of the parallel reads: read in one pass to
		// name the first position that cannot be read.
		rep = Report{}
		err = verifyRowsFast(ctx, db, conn, &rep, false)
	}
	if errors.Is(err, errOddRow) {
		// A row only a tampered file has: verify the plain way, which
		// names it as it always did.
		rep = Report{}
		err = verifyRows(ctx, conn, &rep)
	}
	if err != nil {
		return rep, err
	}
	err = conn.QueryRowContext(ctx, `SELECT seq FROM sqlite_sequence WHERE name = 'events'`).Scan(&rep.Written)
	if err != nil && !errors.Is(err, sql.ErrNoRows) { // no row: nothing was ever written
		return rep, damagedOr("verify "+path, rep.Last, err)
	}
	if rep.Last != rep.Written {
		return rep, &TruncatedError{Last: rep.Last, Written: rep.Written}
	}
	return rep, nil
}

// verifyBatch is a run of rows on their way through verifyRowsFast: read
// in order, decoded and hashed by a worker, then checked in order.
type verifyBatch struct {
	rows   []rawEvent
	events []eventstore.RecordedEvent
	bad    []error // the row's decoding error, if any
	hashOK []bool
	hashed chan struct{} // closed when a worker has filled events, bad and hashOK
	last   bool          // the last batch of its chunk
	err    error         // the read failed after rows: how
}

const (
	verifyBatchRows = 256  // rows per verifyBatch at most
	verifyChunk     = 4096 // positions per chunk when reading in parallel
)

// errReadAgain: a parallel read failed; verify again in one pass, whose
// failure names the first position that cannot be read.
var errReadAgain = errors.New("sqlite: read the events again in one pass")

// verifyRowsFast is verifyRows with the work spread over the cores:
// readers take the rows through the driver, workers decode them and
// recompute their hashes, and this goroutine checks positions and links in
// position order, so its answer, its report and its first failure are
// those of verifyRows.
//
// With parallel, the positions up to the last one in conn's snapshot are
// read in chunks by two connections of db, whose snapshots start after
// conn's and so hold the same events at those positions (a store never
// changes or adds an event below its last); a read error then gives
// errReadAgain. Without, conn reads every row in one pass. Either way it
// returns errOddRow when a row needs database/sql to be read; the caller
// then verifies again with verifyRows.
func verifyRowsFast(ctx context.Context, db *sql.DB, conn *sql.Conn, rep *Report, parallel bool) error {
	ctx, cancel := context.WithCancel(ctx)
	var readers []*sql.Conn
	chunks := 1
	// The last position in conn's snapshot: the readers, each in a
	// snapshot of its own that may be newer, read no further, so they see
	// what conn sees (the counter read from conn agrees with the rows).
	var last int64
	if parallel {
		if err := conn.QueryRowContext(ctx, `SELECT COALESCE(MAX(position), 0) FROM events`).Scan(&last); err != nil {
			cancel()
			return errReadAgain
		}
		chunks = int((last + verifyChunk - 1) / verifyChunk)
		for range min(2, chunks) {
			c, err := db.Conn(ctx)
			if err == nil {
				_, err = c.ExecContext(ctx, "BEGIN")
			}
			if err != nil {
				cancel()
				for _, r := range readers {
					_ = r.Close()
				}
				if c != nil {
					_ = c.Close()
				}
				return errReadAgain
			}
			readers = append(readers, c)
		}
	} else {
		readers = []*sql.Conn{conn}
	}
	if chunks == 0 {
		cancel()
		return nil
	}
	workers := max(1, runtime.GOMAXPROCS(0))
	work := make(chan *verifyBatch, 2*workers+2)
	outs := make([]chan *verifyBatch, len(readers))
	var wg, reading sync.WaitGroup
	defer func() {
		cancel()
		for _, out := range outs {
			for range out { // let the readers finish; each owns its conn until then
			}
		}
		reading.Wait()
		close(work)
		wg.Wait()
		if parallel {
			for _, r := range readers {
				_, _ = r.ExecContext(context.Background(), "ROLLBACK")
				_ = r.Close()
			}
		}
	}()
	for range workers {
		wg.Go(func() {
			for b := range work {
				hashBatch(b)
			}
		})
	}
	for j, rc := range readers {
		out := make(chan *verifyBatch, 4)
		outs[j] = out
		reading.Go(func() {
			defer close(out)
			for i := j; i < chunks; i += len(readers) {
				query, args := `SELECT `+eventColumns+` FROM events ORDER BY position`, []any(nil)
				if parallel {
					query = `SELECT ` + eventColumns + ` FROM events WHERE position > ? AND position <= ? ORDER BY position`
					args = []any{int64(i) * verifyChunk, min(int64(i+1)*verifyChunk, last)}
				}
				if !readChunk(ctx, rc, query, args, work, out) {
					return
				}
			}
		})
	}
	v := eventstore.NewChainVerifier()
	for i := range chunks {
		for done := false; !done; {
			b, ok := <-outs[i%len(outs)]
			if !ok {
				return ctx.Err() // a reader stopped early: ctx ended
			}
			<-b.hashed
			for k := range b.events {
				ev := &b.events[k]
				broken := func(reason string) error {
					return &eventstore.BrokenLinkError{Stream: ev.Stream, Revision: ev.Revision, Position: ev.Position,
						EventID: ev.ID, Reason: reason}
				}
				if b.bad[k] != nil {
					return broken("stored row cannot be decoded: " + b.bad[k].Error())
				}
				if want := rep.Last + 1; ev.Position != want {
					return broken(fmt.Sprintf("position %d follows position %d: events %d..%d are missing",
						ev.Position, rep.Last, want, ev.Position-1))
				}
				if err := v.CheckHashed(ev, b.hashOK[k]); err != nil {
					return err
				}
				rep.Events++
				rep.Streams = v.Streams()
				rep.Last = ev.Position
			}
			switch {
			case b.err == nil:
			case errors.Is(b.err, errOddRow):
				return errOddRow
			case ctx.Err() != nil:
				return ctx.Err()
			case parallel:
				return errReadAgain
			default:
				return damagedOr("verify: read events", rep.Last, b.err)
			}
			done = b.last
		}
	}
	return nil
}

// readChunk reads query's rows on conn in batches, each handed to the
// workers and to out in order; the last carries how the read ended. It
// reports false if ctx ended first.
func readChunk(ctx context.Context, conn *sql.Conn, query string, args []any, work, out chan<- *verifyBatch) bool {
	b := &verifyBatch{rows: make([]rawEvent, 0, verifyBatchRows)}
	send := func() bool {
		b.hashed = make(chan struct{})
		select {
		case work <- b:
		case <-ctx.Done():
			return false
		}
		select {
		case out <- b:
		case <-ctx.Done():
			return false
		}
		b = &verifyBatch{rows: make([]rawEvent, 0, verifyBatchRows)}
		return true
	}
	err := eachRow(ctx, conn, query, args, func(r *rawEvent) error {
		b.rows = append(b.rows, *r)
		if len(b.rows) == verifyBatchRows && !send() {
			return ctx.Err()
		}
		return nil
	})
	if ctx.Err() != nil {
		return false
	}
	b.last, b.err = true, err
	return send()
}

// hashBatch decodes b's rows and recomputes their hashes.
func hashBatch(b *verifyBatch) {
	defer close(b.hashed)
	b.events = make([]eventstore.RecordedEvent, len(b.rows))
	b.bad = make([]error, len(b.rows))
	b.hashOK = make([]bool, len(b.rows))
	for i := range b.rows {
		ev, err := b.rows[i].decode()
		b.events[i], b.bad[i] = ev, err
		if err == nil {
			b.hashOK[i] = eventstore.HashMatches(ev.Metadata.Hash, ev.Stream, ev.Revision, ev.ID, ev.Type,
				ev.SchemaVersion, ev.Data, ev.Metadata)
		}
	}
	b.rows = nil
}

// verifyRows streams every event in position order through a ChainVerifier,
// holding only one head per stream in memory.
func verifyRows(ctx context.Context, conn *sql.Conn, rep *Report) error {
	rows, err := conn.QueryContext(ctx, `SELECT `+eventColumns+` FROM events ORDER BY position`)
	if err != nil {
		return damagedOr("verify: read events", rep.Last, err)
	}
	defer rows.Close()
	v := eventstore.NewChainVerifier()
	for rows.Next() {
		raw, err := scanRaw(rows)
		if err != nil {
			return damagedOr("verify: read events", rep.Last, err)
		}
		ev, err := raw.decode()
		broken := func(reason string) error {
			return &eventstore.BrokenLinkError{Stream: ev.Stream, Revision: ev.Revision, Position: ev.Position,
				EventID: ev.ID, Reason: reason}
		}
		if err != nil {
			return broken("stored row cannot be decoded: " + err.Error())
		}
		if want := rep.Last + 1; ev.Position != want {
			return broken(fmt.Sprintf("position %d follows position %d: events %d..%d are missing",
				ev.Position, rep.Last, want, ev.Position-1))
		}
		if err := v.Check(ev); err != nil {
			return err
		}
		rep.Events++
		rep.Streams = v.Streams()
		rep.Last = ev.Position
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err := rows.Err(); err != nil {
		return damagedOr("verify: read events", rep.Last, err)
	}
	return nil
}

// IntegrityError is CheckIntegrity's verdict on a file whose pages SQLite
// itself finds damaged: an index that no longer matches its table (the one
// that keeps an event id from being stored twice, say), a page that is not
// a page, the Merkle tree's tables damaged. The events may still read and
// chain correctly, so Verify alone does not see it.
type IntegrityError struct {
	Problems []string // SQLite's own findings, the first few
}

// Error lists what SQLite found.
func (e *IntegrityError) Error() string {
	return "the ledger file fails SQLite's integrity check: " + strings.Join(e.Problems, "; ")
}

// integrityProblemsMax bounds the findings CheckIntegrity reports.
const integrityProblemsMax = 10

// CheckIntegrity runs SQLite's own check of the whole file at path (PRAGMA
// integrity_check: every page, every index against its table, every
// table's constraints), read-only like Verify, beside a writer or not. It
// returns an *IntegrityError listing the first findings when the file
// fails it, an error wrapping eventstore.ErrUnavailable when it cannot be
// read, and nil for a sound file.
func CheckIntegrity(ctx context.Context, path string, opts ...Option) error {
	o := options{busyTimeout: 5 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	db, err := sql.Open("sqlite", readOnlyDSN(path, o))
	if err != nil {
		return unavailable("check "+path, err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, fmt.Sprintf("PRAGMA integrity_check(%d)", integrityProblemsMax))
	if err != nil {
		if isDamage(err) {
			return &IntegrityError{Problems: []string{err.Error()}}
		}
		return unavailable("check "+path, err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return unavailable("check "+path, err)
		}
		if line != "ok" {
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		if isDamage(err) {
			return &IntegrityError{Problems: append(problems, err.Error())}
		}
		return unavailable("check "+path, err)
	}
	if len(problems) > 0 {
		return &IntegrityError{Problems: problems}
	}
	return nil
}
