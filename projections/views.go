package projections

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver

	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/datadir"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/internal/walvfs"
)

// ViewsFile is the file of the persistent read models in the data
// directory.
const ViewsFile = "views.db"

// viewsApplicationID marks a views database (PRAGMA application_id).
const viewsApplicationID = 0x524c5657 // "RLVW"

// viewsSchemaVersion is the schema this program writes. A file of another
// version is rebuilt: views are derived data, the log is the truth. 4: the
// statistics keep when each lock was approved and lifted (the cases
// locked at each month's end, R-LOCK-7), which a file of 3 lacks. 5: a
// referral's deadline after April 2262 (an agreed close-by date years
// ahead) sorts last in the lists, where a file of 4 may hold it wrapped to
// a time long past, listed as overdue.
const viewsSchemaVersion = 5

// Views is the SQLite database that holds the persistent read models and,
// for each, the global position of the last event applied to it (its
// checkpoint). A read model's rows and its checkpoint change in the same
// transaction, so a restart resumes from the checkpoint instead of
// replaying the log, and never applies an event twice or skips one.
//
// Views are derived data: the file can be deleted and rebuilt from the log
// at any time (ledger rebuild-views). It holds no client data: the read
// models are fed through the public codec.
type Views struct {
	db   *sql.DB
	path string

	// stmts holds the statements batches run, prepared once on the
	// database: a batch runs them on its connection without parsing them
	// again (sql.Tx.StmtContext reuses what a connection has prepared).
	// An in-memory database has one connection, which a batch holds: it
	// prepares its statements in the batch (stmts is nil).
	stmtsMu sync.Mutex
	stmts   map[string]*sql.Stmt
}

// OpenViews opens, creating it if need be, the views database at path
// (WAL, synchronous=NORMAL: a power cut may lose the last transactions,
// which the runner then applies again from the log). A file written by
// another schema version is emptied, so the views are rebuilt.
//
// Its connections open the file through internal/walvfs: a commit's WAL
// frames reach the file in one system call per run of frames instead of
// two per frame, written out within the write of the commit's last frame,
// so a commit that cannot be written fails and is never seen.
func OpenViews(path string) (*Views, error) {
	if err := walvfs.Register(); err != nil {
		return nil, fmt.Errorf("views: %w", err)
	}
	dsn, err := viewsDSN(path)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("views: %w", err)
	}
	// Readers see the last committed transaction (WAL); one connection
	// writes at a time in the runner.
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	v := &Views{db: db, path: path, stmts: map[string]*sql.Stmt{}}
	if err := v.migrate(context.Background()); err != nil {
		db.Close()
		return nil, fmt.Errorf("views: %s: %w", path, err)
	}
	return v, nil
}

var memoryViews atomic.Uint64

// openMemoryViews opens a private in-memory views database: a read model
// built by a constructor without a data directory (tests, tools) keeps its
// rows there.
func openMemoryViews() *Views {
	name := fmt.Sprintf("file:views-mem-%d?mode=memory&cache=shared&_pragma=busy_timeout(5000)", memoryViews.Add(1))
	db, err := sql.Open("sqlite", name)
	if err != nil {
		panic(fmt.Sprintf("projections: in-memory views: %v", err))
	}
	// Shared cache: every connection sees one database; one writer.
	db.SetMaxOpenConns(1)
	v := &Views{db: db, path: ":memory:"}
	if err := v.migrate(context.Background()); err != nil {
		panic(fmt.Sprintf("projections: in-memory views: %v", err))
	}
	return v
}

func viewsDSN(path string) (string, error) {
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	q := url.Values{}
	for _, p := range []string{"busy_timeout(5000)", "journal_mode(WAL)", "synchronous(NORMAL)", "cache_size(-16000)", "wal_autocheckpoint(10000)",
		"mmap_size(1073741824)", "temp_store(MEMORY)",
		// Deleted rows are overwritten, not left in free space: the known
		// clients' blind-index marks are deleted when a client's erasure
		// starts (R-PRIV-3).
		"secure_delete(ON)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	q.Set("vfs", walvfs.Name)
	if err := datadir.PrepareSQLite(path); err != nil {
		return "", fmt.Errorf("views: %w", err)
	}
	return "file:" + esc + "?" + q.Encode(), nil
}

// Path returns the file the views are kept in.
func (v *Views) Path() string { return v.path }

// Close closes the database.
func (v *Views) Close() error {
	v.stmtsMu.Lock()
	for q, s := range v.stmts {
		s.Close()
		delete(v.stmts, q)
	}
	v.stmtsMu.Unlock()
	return datadir.CloseSQLite(v.db)
}

// DB returns the database, for tests and tools that compare contents.
func (v *Views) DB() *sql.DB { return v.db }

// viewsSchema is every table of the persistent read models.
var viewsSchema = []string{
	`CREATE TABLE checkpoints (view TEXT PRIMARY KEY, position INTEGER NOT NULL) WITHOUT ROWID`,
	// The last event the runner applied, by position and id: a restart
	// checks the log still holds it there, or rebuilds the views (a log
	// restored from an older backup, or another log altogether).
	`CREATE TABLE log_mark (one INTEGER PRIMARY KEY CHECK (one = 1), position INTEGER NOT NULL, event BLOB NOT NULL)`,
	// The last event of each stream the runner checked (R-LEDGER-4), so a
	// restart checks the links of new events without replaying.
	`CREATE TABLE chain_heads (stream TEXT PRIMARY KEY, revision INTEGER NOT NULL, hash TEXT NOT NULL) WITHOUT ROWID`,
	// A row while the runner rebuilds the views from the start of the log
	// with some of their indexes dropped (see DeferredIndexes): a file
	// found with it at open was left in the middle of a rebuild, and is
	// emptied so the rebuild starts again.
	`CREATE TABLE rebuilding (one INTEGER PRIMARY KEY CHECK (one = 1), head INTEGER NOT NULL)`,
	// The settings each Configured view was built with (the timescales,
	// the calendar): a start with other settings rebuilds the views, whose
	// rows would otherwise keep what the old ones worked out.
	`CREATE TABLE view_settings (view TEXT PRIMARY KEY, settings TEXT NOT NULL) WITHOUT ROWID`,
	// Referrals: one row per referral, its public state as JSON and the
	// columns its lists sort and filter by. The sort keys are those of the
	// in-memory lists: work = (work_at, work_rank, id), made = (made_at, id).
	`CREATE TABLE referrals (
		id BLOB PRIMARY KEY,
		reference TEXT NOT NULL,
		client BLOB NOT NULL,
		status TEXT NOT NULL,
		open INTEGER NOT NULL,
		from_org BLOB NOT NULL,
		to_org BLOB NOT NULL,
		assignee BLOB,
		work_at INTEGER NOT NULL,
		work_rank INTEGER NOT NULL,
		made_at INTEGER NOT NULL,
		state BLOB NOT NULL
	) WITHOUT ROWID`,
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
	// Organisations and their accounts (R-VIEW-4, sign-in): each one's
	// state as JSON, loaded into memory when the read model opens; and
	// the username index as it was built, in log order.
	`CREATE TABLE organisations (id BLOB PRIMARY KEY, state BLOB NOT NULL) WITHOUT ROWID`,
	`CREATE TABLE organisation_users (id BLOB PRIMARY KEY, organisation BLOB NOT NULL, state BLOB NOT NULL) WITHOUT ROWID`,
	`CREATE TABLE organisation_usernames (username TEXT PRIMARY KEY, user BLOB NOT NULL) WITHOUT ROWID`,
	// Case locks: the lock of each client whose lock is not the zero
	// lock, as JSON; and the client each lock or unlock request is about.
	`CREATE TABLE locks (client BLOB PRIMARY KEY, status TEXT NOT NULL, state BLOB NOT NULL) WITHOUT ROWID`,
	`CREATE TABLE lock_requests (request BLOB PRIMARY KEY, client BLOB NOT NULL, unlock INTEGER NOT NULL) WITHOUT ROWID`,
	// Messages recorded for responsible persons within the rate window
	// (R-LOCK-8), at in Unix nanoseconds; older rows are pruned.
	`CREATE TABLE message_rate (message BLOB PRIMARY KEY, sender BLOB NOT NULL, client BLOB NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID`,
	`CREATE INDEX message_rate_at ON message_rate (at)`,
	// Statistics (R-STAT-1, R-STAT-2): numbers and ids only. Times are
	// nanoseconds since 1970 (NULL for none), dates yyyymmdd, statuses,
	// outcomes and reason codes the read model's codes. A referral's row
	// is kept in the order referrals were made, so the referrals of a
	// period are read in one range.
	`CREATE TABLE stat_referrals (
		made_at INTEGER NOT NULL,
		id BLOB NOT NULL,
		from_org BLOB NOT NULL,
		to_org BLOB NOT NULL,
		status INTEGER NOT NULL,
		urgent INTEGER NOT NULL,
		urgency_declined INTEGER NOT NULL,
		acknowledged_at INTEGER,
		ended_at INTEGER,
		agreed_close_by INTEGER,
		outcome INTEGER NOT NULL,
		decline_reason INTEGER NOT NULL,
		forwarded_to BLOB,
		reopened_at INTEGER,
		reopens INTEGER NOT NULL,
		PRIMARY KEY (made_at, id)
	) WITHOUT ROWID`,
	`CREATE UNIQUE INDEX stat_referrals_id ON stat_referrals (id)`,
	// Erasure and lock requests: who made them, when, and (locks) what
	// became of them, when they were approved and lifted (R-LOCK-7);
	// each client's lock as the fold leaves it.
	`CREATE TABLE stat_erasures (request BLOB PRIMARY KEY, organisation BLOB NOT NULL, at INTEGER) WITHOUT ROWID`,
	`CREATE INDEX stat_erasures_at ON stat_erasures (at)`,
	`CREATE TABLE stat_lock_requests (request BLOB PRIMARY KEY, organisation BLOB NOT NULL, at INTEGER,
		status INTEGER NOT NULL, approved_at INTEGER, lifted_at INTEGER) WITHOUT ROWID`,
	`CREATE INDEX stat_lock_requests_at ON stat_lock_requests (at)`,
	`CREATE TABLE stat_client_locks (
		client BLOB PRIMARY KEY,
		locked INTEGER NOT NULL,
		request BLOB NOT NULL,
		owner BLOB NOT NULL,
		requested_at INTEGER,
		unlock_request BLOB NOT NULL
	) WITHOUT ROWID`,
	// Clients (clients.go): ids, counts and instants only. One row per
	// client: referrals open now, when one last ended (unix ns and zone
	// offset), whether data is sealed under their key, the erasure
	// request being carried out, whether the erasure is complete.
	`CREATE TABLE clients (
		client BLOB PRIMARY KEY,
		open INTEGER NOT NULL,
		ended_at INTEGER,
		ended_zone INTEGER,
		sealed INTEGER NOT NULL,
		erasing BLOB,
		erased INTEGER NOT NULL
	) WITHOUT ROWID`,
	`CREATE INDEX clients_retention ON clients (ended_at, client)
		WHERE open = 0 AND erasing IS NULL AND erased = 0 AND ended_at IS NOT NULL`,
	`CREATE INDEX clients_with_data ON clients (client) WHERE sealed = 1 AND erasing IS NULL AND erased = 0`,
	`CREATE INDEX clients_erasing ON clients (client) WHERE erasing IS NOT NULL`,
	`CREATE INDEX clients_erased ON clients (client) WHERE erased = 1`,
	// Each referral's state as the clients index folds it (without client
	// data), its client, and the position it was made at (their order).
	`CREATE TABLE client_referrals (id BLOB PRIMARY KEY, client BLOB NOT NULL, made INTEGER NOT NULL, state BLOB NOT NULL) WITHOUT ROWID`,
	`CREATE INDEX client_referrals_client ON client_referrals (client, made)`,
	// The organisations that made or received a referral for a client.
	`CREATE TABLE client_orgs (client BLOB NOT NULL, org BLOB NOT NULL, PRIMARY KEY (client, org)) WITHOUT ROWID`,
	// Erasure requests as the coordinator's list shows them (never the
	// reason); seq is the position of the event that first showed one.
	`CREATE TABLE erasure_requests (
		id BLOB PRIMARY KEY,
		client BLOB NOT NULL,
		status TEXT NOT NULL,
		org BLOB NOT NULL,
		requested_by BLOB NOT NULL,
		requested_at INTEGER,
		requested_zone INTEGER,
		decided_by BLOB NOT NULL,
		decided_at INTEGER,
		decided_zone INTEGER,
		seq INTEGER NOT NULL
	) WITHOUT ROWID`,
	`CREATE INDEX erasure_requests_client ON erasure_requests (client)`,
	`CREATE INDEX erasure_requests_waiting ON erasure_requests (requested_at, seq, id) WHERE status = 'requested'`,
	// The known clients index (knownclients.go, R-REF-14): keyed blind-
	// index marks of clients' normalised names and dates of birth
	// (pseudonymous personal data: deleted, with secure_delete, in the
	// batch in which a client's erasure starts), which organisation
	// referred which client, the clients erased (never indexed again),
	// referrals whose key was unavailable (by position, to index later),
	// and a check value of the index key (a rotated key rebuilds it).
	`CREATE TABLE known_marks (mark BLOB NOT NULL, client BLOB NOT NULL, PRIMARY KEY (mark, client)) WITHOUT ROWID`,
	`CREATE INDEX known_marks_client ON known_marks (client)`,
	`CREATE TABLE known_referred (org BLOB NOT NULL, client BLOB NOT NULL, PRIMARY KEY (org, client)) WITHOUT ROWID`,
	`CREATE INDEX known_referred_client ON known_referred (client)`,
	`CREATE TABLE known_erased (client BLOB PRIMARY KEY) WITHOUT ROWID`,
	`CREATE TABLE known_pending (position INTEGER PRIMARY KEY, client BLOB NOT NULL)`,
	`CREATE INDEX known_pending_client ON known_pending (client)`,
	`CREATE TABLE known_key (one INTEGER PRIMARY KEY CHECK (one = 1), key_check BLOB NOT NULL)`,
}

// migrate creates the schema, or empties a file of another version.
func (v *Views) migrate(ctx context.Context) error {
	var app, have int
	if err := v.db.QueryRowContext(ctx, "PRAGMA application_id").Scan(&app); err != nil {
		return fmt.Errorf("read application id: %w", err)
	}
	if err := v.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if app != viewsApplicationID && (app != 0 || have != 0) {
		return fmt.Errorf("not a views database (application id %#x)", app)
	}
	if have == viewsSchemaVersion {
		var rebuilding int
		if err := v.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM rebuilding`).Scan(&rebuilding); err != nil {
			return fmt.Errorf("read the rebuild flag: %w", err)
		}
		if rebuilding == 0 {
			return nil
		}
		// Left in the middle of a rebuild (a crash, a kill, a failure
		// the runner did not get past): start it again.
	}
	return v.reset(ctx)
}

// reset drops every table and creates the schema: the views start again
// from the beginning of the log.
//
// Each table is dropped in a transaction of its own, not all in one:
// within a larger transaction SQLite journals, for the statement, every
// page a DROP TABLE frees and overwrites (secure_delete), which costs more
// than the drop itself. The file is marked as being rebuilt first, in a
// transaction of its own, and the mark goes only with the transaction
// that creates the schema again: a reset cut short between two drops
// leaves a file that is reset again at the next open (migrate), as one
// of another schema version is.
func (v *Views) reset(ctx context.Context) error {
	tables, err := v.tables(ctx)
	if err != nil {
		return err
	}
	var version int
	if err := v.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if version == viewsSchemaVersion && slices.Contains(tables, "rebuilding") {
		if _, err := v.db.ExecContext(ctx, `INSERT OR REPLACE INTO rebuilding (one, head) VALUES (1, 0)`); err != nil {
			return err
		}
	}
	for _, t := range tables {
		if t == "rebuilding" {
			continue // with the schema, below
		}
		if _, err := v.db.ExecContext(ctx, `DROP TABLE "`+strings.ReplaceAll(t, `"`, `""`)+`"`); err != nil {
			return err
		}
	}
	tx, err := v.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DROP TABLE IF EXISTS rebuilding`); err != nil {
		return err
	}
	for _, stmt := range viewsSchema {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d", viewsApplicationID)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", viewsSchemaVersion)); err != nil {
		return err
	}
	return tx.Commit()
}

// tables lists the tables of the database.
func (v *Views) tables(ctx context.Context) ([]string, error) {
	rows, err := v.db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		tables = append(tables, name)
	}
	return tables, rows.Err()
}

// Reset empties every view: they are rebuilt from the start of the log.
// No runner may be running on them.
func (v *Views) Reset(ctx context.Context) error { return v.reset(ctx) }

// Checkpoint returns the position of the last event applied to view, 0
// (eventstore.Start) for a view never fed.
func (v *Views) Checkpoint(ctx context.Context, view string) (eventstore.Position, error) {
	var pos int64
	err := v.db.QueryRowContext(ctx, `SELECT position FROM checkpoints WHERE view = ?`, view).Scan(&pos)
	if errors.Is(err, sql.ErrNoRows) {
		return eventstore.Start, nil
	}
	if err != nil {
		return 0, fmt.Errorf("views: checkpoint of %s: %w", view, err)
	}
	return eventstore.Position(pos), nil
}

// Batch is one transaction of the views: events applied to persistent
// read models, their rows and their checkpoints, committed together.
type Batch struct {
	serial uint64 // unique to the batch: a read model's mark of the batch it joined
	ctx    context.Context
	// sctx is the context of the batch's row statements: ctx without its
	// cancellation. Each is short (one row), and the driver would start a
	// goroutine per statement to watch a cancellable context; the
	// transaction still watches ctx, and is rolled back between two
	// statements when ctx ends (the next one fails).
	sctx    context.Context
	views   *Views
	tx      *sql.Tx
	rebuild bool
	stmts   map[string]*sql.Stmt
	// checkpoints holds the checkpoints the read models set in the batch,
	// written together, in one statement, when it commits.
	checkpoints map[string]eventstore.Position
	flush       []func(*Batch) error
	commit      []func()
	rollback    []func()
}

// batchSerial numbers the batches.
var batchSerial atomic.Uint64

// Begin starts a batch.
func (v *Views) Begin(ctx context.Context) (*Batch, error) {
	tx, err := v.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("views: begin: %w", err)
	}
	return &Batch{serial: batchSerial.Add(1), ctx: ctx, sctx: context.WithoutCancel(ctx), views: v, tx: tx,
		stmts: map[string]*sql.Stmt{}}, nil
}

// Rebuilding reports whether the batch is part of a rebuild of the views
// from the start of the log, far behind its head: the indexes the views
// declared in DeferredIndexes are absent until the rebuild has caught up,
// and a view may defer other work the same way. It is a hint; a view's
// rows must come out the same either way.
func (b *Batch) Rebuilding() bool { return b.rebuild }

// stmt returns query prepared once on the database, for this batch.
func (b *Batch) stmt(query string) (*sql.Stmt, error) {
	if s, ok := b.stmts[query]; ok {
		return s, nil
	}
	var s *sql.Stmt
	if b.views.stmts == nil {
		var err error
		if s, err = b.tx.PrepareContext(b.ctx, query); err != nil {
			return nil, err
		}
	} else {
		shared, err := b.views.prepared(b.ctx, query)
		if err != nil {
			return nil, err
		}
		s = b.tx.StmtContext(b.ctx, shared)
	}
	b.stmts[query] = s
	return s, nil
}

// prepared returns query prepared on the database, once.
func (v *Views) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	v.stmtsMu.Lock()
	defer v.stmtsMu.Unlock()
	if s, ok := v.stmts[query]; ok {
		return s, nil
	}
	s, err := v.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	v.stmts[query] = s
	return s, nil
}

// DeferredIndexes is implemented by a Persistent view whose indexes the
// runner may drop while it rebuilds the views from the start of the log,
// and create once, at the end, in the transaction that catches up: cheaper
// than keeping them up to date row by row. The view must not need them to
// apply events (a query by one of them would scan the table instead).
type DeferredIndexes interface {
	// DeferredIndexes names indexes of viewsSchema.
	DeferredIndexes() []string
}

// indexSchema returns the statement of viewsSchema creating index name.
func indexSchema(name string) (string, bool) {
	prefix := "CREATE INDEX " + name + " "
	for _, stmt := range viewsSchema {
		if strings.HasPrefix(stmt, prefix) {
			return stmt, true
		}
	}
	return "", false
}

// dropIndexes marks the views as being rebuilt and drops indexes, in the
// batch: until finishRebuild commits, a file found at open is emptied.
func (b *Batch) dropIndexes(head eventstore.Position, indexes []string) error {
	if _, err := b.tx.ExecContext(b.ctx, `INSERT OR REPLACE INTO rebuilding (one, head) VALUES (1, ?)`, int64(head)); err != nil {
		return err
	}
	for _, name := range indexes {
		if _, ok := indexSchema(name); !ok {
			return fmt.Errorf("views: no index %q in the schema", name)
		}
		if _, err := b.tx.ExecContext(b.ctx, `DROP INDEX IF EXISTS "`+name+`"`); err != nil {
			return err
		}
	}
	return nil
}

// finishRebuild creates indexes (those that are missing) and clears the
// rebuild flag, in the batch.
func (b *Batch) finishRebuild(indexes []string) error {
	for _, name := range indexes {
		stmt, ok := indexSchema(name)
		if !ok {
			return fmt.Errorf("views: no index %q in the schema", name)
		}
		stmt = "CREATE INDEX IF NOT EXISTS " + strings.TrimPrefix(stmt, "CREATE INDEX ")
		if _, err := b.tx.ExecContext(b.ctx, stmt); err != nil {
			return fmt.Errorf("views: create index %s: %w", name, err)
		}
	}
	_, err := b.tx.ExecContext(b.ctx, `DELETE FROM rebuilding`)
	return err
}

// exec runs a statement of the batch.
func (b *Batch) exec(query string, args ...any) error {
	s, err := b.stmt(query)
	if err != nil {
		return err
	}
	_, err = s.ExecContext(b.sctx, args...)
	return err
}

// rowsPerInsert is how many rows one statement of a rowInserter writes.
const rowsPerInsert = 32

// rowInserter writes rows of one table in the batch, rowsPerInsert at a
// time with one statement (INSERT ... VALUES (...), (...), ...), the rest
// in statements of 16, 8, 4, 2 and 1 rows (as many as they make up): the
// same rows, in the same order, as a statement per row, for a fraction of
// the statements. Call flush once every row is added.
type rowInserter struct {
	b          *Batch
	head       string
	cols, rows int
	args       []any
}

// inserter returns a rowInserter for head, an INSERT statement up to and
// including VALUES, of rows of cols columns.
func (b *Batch) inserter(head string, cols int) *rowInserter {
	return &rowInserter{b: b, head: head, cols: cols}
}

// insertQuery returns the statement of head for rows rows of cols
// columns, built once.
func insertQuery(head string, cols, rows int) string {
	key := insertKey{head, rows}
	if q, ok := inserterQueries.Load(key); ok {
		return q.(string)
	}
	row := "(" + strings.Repeat("?, ", cols-1) + "?)"
	q, _ := inserterQueries.LoadOrStore(key, head+" "+strings.Repeat(row+", ", rows-1)+row)
	return q.(string)
}

// insertKey names a statement of insertQuery.
type insertKey struct {
	head string
	rows int
}

// inserterQueries holds insertQuery's statements: built once, not at
// every batch.
var inserterQueries sync.Map

// add writes a row (its cols values), or holds it for the next statement.
func (w *rowInserter) add(values ...any) error {
	if len(values) != w.cols {
		return fmt.Errorf("views: %d values for a row of %d columns", len(values), w.cols)
	}
	if w.args == nil {
		w.args = make([]any, 0, w.cols*rowsPerInsert)
	}
	w.args = append(w.args, values...)
	if w.rows++; w.rows < rowsPerInsert {
		return nil
	}
	err := w.b.exec(insertQuery(w.head, w.cols, rowsPerInsert), w.args...)
	clear(w.args)
	w.args, w.rows = w.args[:0], 0
	return err
}

// flush writes the rows held.
func (w *rowInserter) flush() error {
	done := 0
	for n := rowsPerInsert / 2; n > 0; n /= 2 {
		if w.rows-done < n {
			continue
		}
		if err := w.b.exec(insertQuery(w.head, w.cols, n), w.args[done*w.cols:(done+n)*w.cols]...); err != nil {
			return err
		}
		done += n
	}
	clear(w.args)
	w.args, w.rows = w.args[:0], 0
	return nil
}

// queryRow runs a query of the batch, returning one row.
func (b *Batch) queryRow(query string, args ...any) (*sql.Row, error) {
	s, err := b.stmt(query)
	if err != nil {
		return nil, err
	}
	return s.QueryRowContext(b.sctx, args...), nil
}

// onFlush registers work to do before the commit (writing rows held back
// during the batch), onCommit what to do once committed (caches), and
// onRollback what to undo when the batch fails.
func (b *Batch) onFlush(f func(*Batch) error) { b.flush = append(b.flush, f) }
func (b *Batch) onCommit(f func())            { b.commit = append(b.commit, f) }
func (b *Batch) onRollback(f func())          { b.rollback = append(b.rollback, f) }

// SetCheckpoint records pos as the checkpoint of view in this batch: the
// checkpoints a batch sets are written together, in one statement, after
// the rows the read models hold back and before it commits.
func (b *Batch) SetCheckpoint(view string, pos eventstore.Position) error {
	if b.checkpoints == nil {
		b.checkpoints = make(map[string]eventstore.Position, 12)
	}
	b.checkpoints[view] = pos
	return nil
}

// writeCheckpoints writes the checkpoints set in the batch.
func (b *Batch) writeCheckpoints() error {
	if len(b.checkpoints) == 0 {
		return nil
	}
	views := make([]string, 0, len(b.checkpoints))
	for view := range b.checkpoints {
		views = append(views, view)
	}
	slices.Sort(views)
	q, ok := checkpointQueries.Load(len(views))
	if !ok {
		q, _ = checkpointQueries.LoadOrStore(len(views), `INSERT INTO checkpoints (view, position) VALUES `+
			strings.Repeat("(?, ?), ", len(views)-1)+`(?, ?) ON CONFLICT (view) DO UPDATE SET position = excluded.position`)
	}
	args := make([]any, 0, 2*len(views))
	for _, view := range views {
		args = append(args, view, int64(b.checkpoints[view]))
	}
	return b.exec(q.(string), args...)
}

// checkpointQueries holds writeCheckpoints' statements, by how many
// checkpoints they write.
var checkpointQueries sync.Map

// setMark records ev as the last event applied.
func (b *Batch) setMark(ev eventstore.RecordedEvent) error {
	return b.exec(`INSERT OR REPLACE INTO log_mark (one, position, event) VALUES (1, ?, ?)`, int64(ev.Position), ev.ID[:])
}

// mark returns the last event the runner applied: its position and id,
// and false when none was.
func (v *Views) mark(ctx context.Context) (eventstore.Position, []byte, bool, error) {
	var pos int64
	var id []byte
	err := v.db.QueryRowContext(ctx, `SELECT position, event FROM log_mark WHERE one = 1`).Scan(&pos, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil, false, nil
	}
	if err != nil {
		return 0, nil, false, err
	}
	return eventstore.Position(pos), id, true, nil
}

// Commit writes what the batch holds back, then commits.
func (b *Batch) Commit() error {
	for _, f := range b.flush {
		if err := f(b); err != nil {
			b.Rollback()
			return fmt.Errorf("views: write: %w", err)
		}
	}
	if err := b.writeCheckpoints(); err != nil {
		b.Rollback()
		return fmt.Errorf("views: write the checkpoints: %w", err)
	}
	for _, s := range b.stmts {
		s.Close()
	}
	if err := b.tx.Commit(); err != nil {
		b.undo()
		return fmt.Errorf("views: commit: %w", err)
	}
	for _, f := range b.commit {
		f()
	}
	return nil
}

// Rollback abandons the batch.
func (b *Batch) Rollback() {
	for _, s := range b.stmts {
		s.Close()
	}
	_ = b.tx.Rollback()
	b.undo()
}

func (b *Batch) undo() {
	for _, f := range b.rollback {
		f()
	}
}

// batchCursor is the batch a persistent read model kept in memory is
// applying and the last position it applied in it; bmu guards them.
type batchCursor struct {
	bmu      sync.Mutex
	batch    *Batch
	batchPos eventstore.Position
}

// admit, with bmu held, joins b first (join) when the read model has not
// joined it yet, and reports whether the event at pos is past what it has
// applied, moving batchPos there when it is.
func (c *batchCursor) admit(b *Batch, pos eventstore.Position, join func(*Batch)) bool {
	if c.batch != b {
		join(b)
	}
	if pos <= c.batchPos {
		return false
	}
	c.batchPos = pos
	return true
}

// Persistent is a read model kept in a Views database. The runner applies
// events to it in batches, each committed with the view's checkpoint, and
// starts its subscription from the lowest checkpoint of its read models.
type Persistent interface {
	Projection
	// ViewName names the view's checkpoint.
	ViewName() string
	// ViewsDB is the database the view lives in.
	ViewsDB() *Views
	// ApplyIn applies one event within a batch; events at or before the
	// view's checkpoint are ignored.
	ApplyIn(b *Batch, stored eventstore.RecordedEvent, rec domain.Recorded) error
	// forget drops what the view holds in memory after its database was
	// reset: it starts again from the beginning of the log.
	forget()
}

// Configured is implemented by a Persistent view whose rows depend on
// settings that may change between two starts (the timescales and the
// calendar, R-TIME-5): Settings describes them. When they differ from
// those the views were built with, the runner rebuilds the views from the
// start of the log, so that they always equal a rebuild (R-VIEW-5).
type Configured interface {
	Persistent
	Settings() string
}

// timescalesSettings describes ts and cal, as Configured's Settings.
func timescalesSettings(ts domain.Timescales, cal *calendar.Calendar) string {
	return fmt.Sprintf("timescales %d/%d/%d; calendar %s", ts.AcknowledgeDays, ts.CloseDays, ts.UrgentDays, cal.Fingerprint())
}

// settings returns the settings recorded for each view.
func (v *Views) settings(ctx context.Context) (map[string]string, error) {
	rows, err := v.db.QueryContext(ctx, `SELECT view, settings FROM view_settings`)
	if err != nil {
		return nil, fmt.Errorf("views: read the settings: %w", err)
	}
	defer rows.Close()
	got := map[string]string{}
	for rows.Next() {
		var view, settings string
		if err := rows.Scan(&view, &settings); err != nil {
			return nil, fmt.Errorf("views: read the settings: %w", err)
		}
		got[view] = settings
	}
	return got, rows.Err()
}

// recordSettings records the settings of views (by view name).
func (v *Views) recordSettings(ctx context.Context, settings map[string]string) error {
	tx, err := v.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("views: record the settings: %w", err)
	}
	defer tx.Rollback()
	for view, s := range settings {
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO view_settings (view, settings) VALUES (?, ?)`, view, s); err != nil {
			return fmt.Errorf("views: record the settings: %w", err)
		}
	}
	return tx.Commit()
}

// Dump returns every row of every table of the views, each row printed
// as one line, the rows of a table in primary-key order: what two builds
// of the same log must agree on, byte for byte (a rebuild equals the
// incremental application).
func (v *Views) Dump(ctx context.Context) (map[string][]string, error) {
	rows, err := v.db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		return nil, err
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return nil, err
		}
		tables = append(tables, name)
	}
	rows.Close()
	out := map[string][]string{}
	for _, t := range tables {
		lines, err := v.dumpTable(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("views: dump %s: %w", t, err)
		}
		out[t] = lines
	}
	return out, nil
}

func (v *Views) dumpTable(ctx context.Context, table string) ([]string, error) {
	order := "1, 2"
	var columns int
	if err := v.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info(?)`, table).Scan(&columns); err != nil {
		return nil, err
	}
	if columns < 2 {
		order = "1"
	}
	rows, err := v.db.QueryContext(ctx, `SELECT * FROM "`+table+`" ORDER BY `+order)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		var line strings.Builder
		for i, val := range vals {
			if i > 0 {
				line.WriteString(" | ")
			}
			if b, ok := val.([]byte); ok {
				fmt.Fprintf(&line, "%x", b)
			} else {
				fmt.Fprintf(&line, "%v", val)
			}
		}
		out = append(out, line.String())
	}
	return out, rows.Err()
}
