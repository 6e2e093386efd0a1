package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver

	"github.com/referral-ledger/ledger/datadir"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/internal/walvfs"
)

// FileName is the notifier's database in the data directory.
const FileName = "notifications.db"

// applicationID marks a file as a notifications database ("LNT1"), so that
// pointing it at another of the node's files fails at once.
const applicationID = 0x4c4e5431

// migrations brings a database from user_version i to i+1 at index i. Only
// append to this list.
var migrations = []string{
	// 1: outbox holds every notice ever derived, by deterministic id, with
	// its delivery state; meta holds the checkpoint (the store position up
	// to which notices have been derived) and the date of the last digest.
	// Times are unix milliseconds, UTC.
	`CREATE TABLE outbox (
		id              TEXT    PRIMARY KEY,
		kind            TEXT    NOT NULL,
		reference       TEXT    NOT NULL,
		recipient       TEXT    NOT NULL,
		subject         TEXT    NOT NULL,
		body            TEXT    NOT NULL,
		link            TEXT    NOT NULL,
		cancel_key      TEXT,
		status          TEXT    NOT NULL,
		attempts        INTEGER NOT NULL DEFAULT 0,
		next_attempt_at INTEGER NOT NULL,
		created_at      INTEGER NOT NULL,
		sent_at         INTEGER,
		last_error      TEXT
	);
	CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
	CREATE INDEX outbox_cancel ON outbox (cancel_key) WHERE cancel_key IS NOT NULL;
	CREATE TABLE meta (
		name  TEXT PRIMARY KEY,
		value TEXT NOT NULL
	);`,
	// 2: the notifier's read model (state), kept with the checkpoint so
	// that a restart resumes where it stopped instead of replaying the
	// log. meta's state_position says up to which event it is applied
	// (absent: not built yet, so it is rebuilt once from the log). Rows
	// hold compact encodings of only what notices need: no client data,
	// no free text, no secrets. state_referrals.due is the current
	// deadline (unix milliseconds) of an open referral, NULL otherwise,
	// computed with the timescales and calendar named by meta's
	// state_deadlines.
	`CREATE TABLE state_referrals (
		id   BLOB    PRIMARY KEY,
		due  INTEGER,
		data BLOB    NOT NULL
	) WITHOUT ROWID;
	CREATE INDEX state_referrals_due ON state_referrals (due) WHERE due IS NOT NULL;
	CREATE TABLE state_locks (
		client BLOB PRIMARY KEY,
		data   BLOB NOT NULL
	) WITHOUT ROWID;
	CREATE TABLE state_organisations (
		id   BLOB PRIMARY KEY,
		data BLOB NOT NULL
	) WITHOUT ROWID;
	CREATE TABLE state_users (
		id   BLOB PRIMARY KEY,
		data BLOB NOT NULL
	) WITHOUT ROWID;`,
	// 3: state_organisations rows also hold whether intake is off, since
	// when and until when, which the intake-off reminders follow. Rows
	// written before lack them, so the state is rebuilt once from the log
	// (openState, as for a state never built).
	`DELETE FROM meta WHERE name = 'state_position'`,
	// 4: a notice names the mailbox it is for (recipient_key: an
	// organisation's administrative contact, an account), so that one
	// still pending when that mailbox changes goes to the new address,
	// and one to an account closed meanwhile is not sent (readdress).
	// Notices derived before have none and keep their address.
	`ALTER TABLE outbox ADD COLUMN recipient_key TEXT;
	CREATE INDEX outbox_recipient_key ON outbox (recipient_key, status) WHERE recipient_key IS NOT NULL;`,
	// 5: a notice names what it was derived from (origin: ids only, no
	// client data), so that one still pending when its recipient's
	// account closes goes where a notice derived then would (reroute);
	// one sent instead of another names it (rerouted_from). Notices
	// derived before have no origin: one to an account that closes is
	// not sent, as under version 4.
	`ALTER TABLE outbox ADD COLUMN origin TEXT;
	ALTER TABLE outbox ADD COLUMN rerouted_from TEXT;
	CREATE INDEX outbox_origin ON outbox (origin) WHERE origin IS NOT NULL;
	CREATE INDEX outbox_rerouted_from ON outbox (rerouted_from) WHERE rerouted_from IS NOT NULL;`,
	// 6: state_referrals rows also hold the client, and state_locks rows
	// the whole lock (who asked for and approved it, whom it lets in,
	// whether its notification is hidden), which the hidden-lock checks
	// and the managers of a locked case read. Rows written before lack
	// them, so the state is rebuilt once from the log (openState, as for
	// a state never built).
	`DELETE FROM meta WHERE name = 'state_position'`,
	// 7: a notice counts the times the mail server refused it for good
	// (refusals: a 5xx answer to its recipient or content), which alone
	// count towards giving it up after notify.max_attempts; deferrals and
	// outages do not. Notices tried before count none.
	`ALTER TABLE outbox ADD COLUMN refusals INTEGER NOT NULL DEFAULT 0`,
}

// The statuses of an outbox row.
const (
	statusPending   = "pending"   // to be sent at next_attempt_at
	statusSent      = "sent"      // handed to the SMTP server
	statusFailed    = "failed"    // gave up after the maximum attempts
	statusCancelled = "cancelled" // a scheduled notice no longer needed
)

// Keys of the meta table.
const (
	metaCheckpoint    = "checkpoint"
	metaLastDigest    = "last_digest_date"
	metaStatePosition = "state_position"  // the event up to which the state tables are applied
	metaStateDeadline = "state_deadlines" // what state_referrals.due was computed with
)

// keepFinished is how long sent and cancelled notices stay in the outbox.
// Idempotency needs them only while their event is after the checkpoint,
// which is moments; the rest is for operators looking into a complaint.
const keepFinished = 90 * 24 * time.Hour

// notice is an outbox row: a message and when to send it.
type notice struct {
	Message
	DueAt     time.Time
	CancelKey string // scheduled notices that a later event may cancel
	// RecipientKey names the mailbox To is the address of (orgKey,
	// userKey): while the notice is pending, a change of that mailbox's
	// address readdresses it, and the closure of that account drops it.
	// "" for an address no one mailbox owns alone.
	RecipientKey string
	// Origin is what the notice was derived from, for deriving its
	// recipients again when its recipient's account closes (rederive);
	// "" for a kind that is not sent to anyone else.
	Origin string
	// ReroutedFrom is the id of the notice this one is sent instead of,
	// to another recipient, as that one's account closed; "" otherwise.
	ReroutedFrom string
	Attempts     int
	// Refusals counts the attempts the mail server refused for good
	// (5xx): the notice is given up after MaxAttempts of them.
	Refusals int
}

// readdress is a mailbox whose address changed: the pending notices for
// it (RecipientKey key) go to to instead, or, when to is "" (the account
// closed, or no address is recorded any more), are not sent to it: each
// goes instead to the recipients reroute gives for its origin, the ones a
// notice derived when the account closed would go to; one whose origin
// reroute lacks, or gives nobody for, is dropped.
//
// refused is such a change of the pending notices for an open account
// that the rules of their origin now refuse it (refuses: a case lock that
// refuses them, or a hidden lock that keeps them out): only those whose
// origin reroute holds are taken from it, and go where reroute says, or
// to nobody; the others stay.
type readdress struct {
	key, to string
	reroute map[string][]rerouteTarget
	refused bool
}

// droppedNotice is a pending notice a commit did not send to its
// recipient, as their account closed (or, refused, as the rules of its
// origin now refuse it to them), for the log: sent instead as the notices
// rerouted, or dropped (nobody, when its origin left nobody to receive
// it; already, when those it would go to have it already).
type droppedNotice struct {
	id, kind, reference string
	rerouted            []string
	nobody, already     bool
	refused             bool
}

// outbox is the notifier's SQLite database.
type outbox struct {
	db *sql.DB

	mu    sync.Mutex
	stmts map[string]*sql.Stmt // prepared once: the state's reads and writes
}

// stmt returns query prepared on the database.
// Preparing waits for the database's one connection, so it is done
// without holding mu: a transaction holding the connection may be looking
// up its statements meanwhile.
func (o *outbox) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	o.mu.Lock()
	st, ok := o.stmts[query]
	o.mu.Unlock()
	if ok {
		return st, nil
	}
	st, err := o.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if have, ok := o.stmts[query]; ok {
		st.Close() // prepared meanwhile by another goroutine
		return have, nil
	}
	if o.stmts == nil {
		o.stmts = map[string]*sql.Stmt{}
	}
	o.stmts[query] = st
	return st, nil
}

// openOutbox opens, creating it if need be, the database at path: WAL, and
// synchronous=FULL so that a committed checkpoint and its notices survive a
// power cut together. Its WAL writes are gathered into one system call per
// run of frames (internal/walvfs).
func openOutbox(ctx context.Context, path string) (*outbox, error) {
	if err := walvfs.Register(); err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	q := url.Values{}
	for _, p := range []string{"busy_timeout(5000)", "journal_mode(WAL)", "synchronous(FULL)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	q.Set("vfs", walvfs.Name)
	// Created 0600 whatever the umask: notices name users and cases.
	if err := datadir.PrepareSQLite(path); err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	db, err := sql.Open("sqlite", "file:"+esc+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("notifications: %w", err)
	}
	db.SetMaxOpenConns(1) // one writer anyway; no SQLITE_BUSY between our own connections
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("notifications: %s: %w", path, err)
	}
	return &outbox{db: db}, nil
}

// migrate brings the database to the latest schema in one transaction,
// refusing a file of another application or a newer program.
func migrate(ctx context.Context, db *sql.DB) error {
	var app, have int
	if err := db.QueryRowContext(ctx, "PRAGMA application_id").Scan(&app); err != nil {
		return fmt.Errorf("read application id: %w", err)
	}
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if app != applicationID && (app != 0 || have != 0) {
		return fmt.Errorf("not a notifications database (application id %#x)", app)
	}
	if have > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this program's %d", have, len(migrations))
	}
	if have == len(migrations) {
		return nil
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for v := have; v < len(migrations); v++ {
		if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
			return fmt.Errorf("migrate schema to version %d: %w", v+1, err)
		}
	}
	// PRAGMA takes no bound parameters; both values are our own integers.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d; PRAGMA user_version = %d",
		applicationID, len(migrations))); err != nil {
		return err
	}
	return tx.Commit()
}

func (o *outbox) close() error {
	o.mu.Lock()
	for _, st := range o.stmts {
		st.Close()
	}
	o.stmts = nil
	o.mu.Unlock()
	return datadir.CloseSQLite(o.db)
}

// initCheckpoint sets the checkpoint to head unless one is stored, and
// returns the checkpoint and whether it had to be wound back. A new
// database therefore starts at the store's head: switching notices on for a
// node with a history does not mail every referral ever made. A checkpoint
// past the head (the event log restored from an older backup) is wound back
// to it, so the events written from there on are not skipped; those already
// notified have the same ids and are not enqueued twice.
func (o *outbox) initCheckpoint(ctx context.Context, head eventstore.Position) (cp eventstore.Position, wound bool, err error) {
	h := strconv.FormatUint(uint64(head), 10)
	if _, err := o.db.ExecContext(ctx, `INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`,
		metaCheckpoint, h); err != nil {
		return 0, false, err
	}
	if cp, err = o.checkpoint(ctx); err != nil || cp <= head {
		return cp, false, err
	}
	_, err = o.db.ExecContext(ctx, `UPDATE meta SET value = ? WHERE name = ?`, h, metaCheckpoint)
	return head, true, err
}

// checkpoint returns the position up to which notices have been derived.
func (o *outbox) checkpoint(ctx context.Context) (eventstore.Position, error) {
	v, err := o.meta(ctx, metaCheckpoint)
	if err != nil || v == "" {
		return 0, err
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("checkpoint %q: %w", v, err)
	}
	return eventstore.Position(n), nil
}

// lastDigest returns the date (YYYY-MM-DD) of the last overdue digest, or "".
func (o *outbox) lastDigest(ctx context.Context) (string, error) {
	return o.meta(ctx, metaLastDigest)
}

func (o *outbox) meta(ctx context.Context, name string) (string, error) {
	var v string
	err := o.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE name = ?`, name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// change is what one commit writes: new notices, cancelled scheduled ones,
// and the checkpoint or digest date it completes.
type change struct {
	notices []notice
	cancel  []string // cancel keys of pending notices to cancel
	// readdress moves the pending notices of the mailboxes whose address
	// changed, after this change's notices are written.
	readdress []readdress
	// then holds the notices and cancellations of later events committed
	// in the same transaction, in order: each one's cancellations apply
	// to the notices before them.
	then       []change
	checkpoint eventstore.Position // 0: leave the checkpoint alone
	digestDate string              // "": leave the last digest date alone
	// state, if not nil, has its changes written, applied up to
	// statePos: the read model moves with the checkpoint.
	state    *state
	statePos eventstore.Position
}

// commit writes c in one transaction, so the checkpoint never moves past an
// event whose notices are not stored. Inserting a notice whose id is
// already stored does nothing (deriving is idempotent), except that a
// scheduled notice that was cancelled is scheduled again (sqlSchedule).
//
// A readdress moves the pending notices for its mailbox to its new address,
// or, for an account closed, marks them cancelled (returned in dropped, to
// be logged once committed).
func (o *outbox) commit(ctx context.Context, c change, now time.Time) (inserted int, dropped []droppedNotice, err error) {
	// The statements are prepared before the transaction takes the
	// database's one connection, then run on it without parsing them again.
	if err := o.prepareCommit(ctx); err != nil {
		return 0, nil, err
	}
	tx, err := o.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, nil, err
	}
	defer tx.Rollback()
	stmts := txStmts{ctx: ctx, tx: tx, o: o}
	defer stmts.close()
	for i := -1; i < len(c.then); i++ {
		step := c
		if i >= 0 {
			step = c.then[i]
		}
		for _, key := range step.cancel {
			if err := stmts.exec(sqlCancel, statusCancelled, key, statusPending); err != nil {
				return 0, nil, fmt.Errorf("cancel notices: %w", err)
			}
		}
		for _, n := range step.notices {
			var cancelKey any
			if n.CancelKey != "" {
				cancelKey = n.CancelKey
			}
			// A scheduled notice derived again is scheduled again, even
			// if an earlier event of the same commit, or an earlier
			// commit, cancelled it.
			q := sqlEnqueue
			if cancelKey != nil {
				q = sqlSchedule
			}
			st, err := stmts.stmt(q)
			if err != nil {
				return 0, nil, fmt.Errorf("enqueue notice: %w", err)
			}
			var recipientKey any
			if n.RecipientKey != "" {
				recipientKey = n.RecipientKey
			}
			res, err := st.ExecContext(ctx, n.ID, string(n.Kind), n.Reference, n.To, n.Subject, n.Body, n.Link, cancelKey,
				statusPending, n.DueAt.UnixMilli(), now.UnixMilli(), recipientKey, nullable(n.Origin), nullable(n.ReroutedFrom))
			if err != nil {
				return 0, nil, fmt.Errorf("enqueue notice: %w", err)
			}
			k, _ := res.RowsAffected()
			inserted += int(k)
		}
		for _, r := range step.readdress {
			if r.to != "" {
				if err := stmts.exec(sqlReaddress, r.to, r.key, statusPending); err != nil {
					return 0, nil, fmt.Errorf("readdress notices: %w", err)
				}
				continue
			}
			d, err := stmts.drop(r, now)
			if err != nil {
				return 0, nil, fmt.Errorf("drop notices: %w", err)
			}
			dropped = append(dropped, d...)
		}
	}
	if c.checkpoint > 0 {
		if err := stmts.exec(sqlSetMeta, metaCheckpoint, strconv.FormatUint(uint64(c.checkpoint), 10)); err != nil {
			return 0, nil, err
		}
	}
	if c.digestDate != "" {
		if err := stmts.exec(sqlSetMeta, metaLastDigest, c.digestDate); err != nil {
			return 0, nil, err
		}
	}
	if c.state != nil {
		if err := c.state.flush(&stmts); err != nil {
			return 0, nil, fmt.Errorf("notifier state: %w", err)
		}
		if err := stmts.exec(sqlSetMeta, metaStatePosition, strconv.FormatUint(uint64(c.statePos), 10)); err != nil {
			return 0, nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, nil, err
	}
	if c.state != nil {
		c.state.flushed()
	}
	return inserted, dropped, nil
}

func setMeta(ctx context.Context, tx *sql.Tx, name, value string) error {
	_, err := tx.ExecContext(ctx, sqlSetMeta, name, value)
	return err
}

// The statements a commit runs.
const (
	sqlCancel  = `UPDATE outbox SET status = ? WHERE cancel_key = ? AND status = ?`
	sqlEnqueue = `INSERT INTO outbox
			(id, kind, reference, recipient, subject, body, link, cancel_key, status, next_attempt_at, created_at,
				recipient_key, origin, rerouted_from)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`
	// sqlSchedule enqueues a scheduled notice (one with a cancel key),
	// or schedules again one that was cancelled, as derived now; one
	// sent, failed or pending is left as it is.
	sqlSchedule = `INSERT INTO outbox
			(id, kind, reference, recipient, subject, body, link, cancel_key, status, next_attempt_at, created_at,
				recipient_key, origin, rerouted_from)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET subject = excluded.subject, body = excluded.body, link = excluded.link,
				status = excluded.status, next_attempt_at = excluded.next_attempt_at, attempts = 0, last_error = NULL
			WHERE outbox.status = '` + statusCancelled + `'`
	// sqlReaddress sends the pending notices for a mailbox to its new
	// address; their ids, derived with the old one, stay.
	sqlReaddress = `UPDATE outbox SET recipient = ? WHERE recipient_key = ? AND status = ?`
	// sqlPendingFor and sqlDrop find and cancel the pending notices for
	// an account that closed; sqlHolds finds whether a recipient has a
	// notice of an origin already (pending, sent or given up), besides
	// the one being rerouted (to an address it shares with another
	// account, say).
	sqlPendingFor = `SELECT id, kind, reference, subject, body, link, origin FROM outbox
			WHERE recipient_key = ? AND status = ? ORDER BY rowid`
	sqlDrop  = `UPDATE outbox SET status = ?, last_error = ? WHERE id = ? AND status = ?`
	sqlHolds = `SELECT EXISTS (SELECT 1 FROM outbox WHERE origin = ? AND recipient = ? COLLATE NOCASE AND status != ?
			AND id != ?)`
	sqlSetMeta = `INSERT INTO meta (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`
	sqlUpsertReferral = `INSERT INTO state_referrals (id, due, data) VALUES (?, ?, ?)
				ON CONFLICT (id) DO UPDATE SET due = excluded.due, data = excluded.data`
	sqlDeleteReferral = `DELETE FROM state_referrals WHERE id = ?`
	sqlUpsertLock     = `INSERT INTO state_locks (client, data) VALUES (?, ?)
				ON CONFLICT (client) DO UPDATE SET data = excluded.data`
	sqlDeleteLock = `DELETE FROM state_locks WHERE client = ?`
	sqlUpsertOrg  = `INSERT INTO state_organisations (id, data) VALUES (?, ?)
			ON CONFLICT (id) DO UPDATE SET data = excluded.data`
	sqlUpsertUser = `INSERT INTO state_users (id, data) VALUES (?, ?)
			ON CONFLICT (id) DO UPDATE SET data = excluded.data`
)

// commitStatements are prepared once on the database (prepareCommit).
var commitStatements = []string{sqlCancel, sqlEnqueue, sqlSchedule, sqlReaddress, sqlPendingFor, sqlDrop, sqlHolds, sqlSetMeta, sqlUpsertReferral, sqlDeleteReferral,
	sqlUpsertLock, sqlDeleteLock, sqlUpsertOrg, sqlUpsertUser}

// prepareCommit prepares the statements of a commit on the database, the
// first time; call it outside a transaction (which holds the database's
// one connection).
func (o *outbox) prepareCommit(ctx context.Context) error {
	for _, q := range commitStatements {
		if _, err := o.stmt(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// txStmts runs the statements prepared on the database in a transaction,
// on its connection, where they are already prepared.
type txStmts struct {
	ctx   context.Context
	tx    *sql.Tx
	o     *outbox
	stmts map[string]*sql.Stmt
}

func (t *txStmts) stmt(query string) (*sql.Stmt, error) {
	if st, ok := t.stmts[query]; ok {
		return st, nil
	}
	t.o.mu.Lock()
	shared, ok := t.o.stmts[query]
	t.o.mu.Unlock()
	var st *sql.Stmt
	if ok {
		st = t.tx.StmtContext(t.ctx, shared)
	} else {
		var err error
		if st, err = t.tx.PrepareContext(t.ctx, query); err != nil {
			return nil, err
		}
	}
	if t.stmts == nil {
		t.stmts = map[string]*sql.Stmt{}
	}
	t.stmts[query] = st
	return st, nil
}

func (t *txStmts) exec(query string, args ...any) error {
	st, err := t.stmt(query)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(t.ctx, args...)
	return err
}

// droppedReason is the last_error of a notice not sent because its
// recipient's account closed before it was; reroutedReason of one sent
// instead to whom a notice derived then would go (no address: the notices
// rerouted name it by rerouted_from). refusedReason and
// refusedReroutedReason are the same for a notice not sent because the
// rules it was derived by now refuse it to its recipient (a case lock that
// refuses them, a hidden lock that keeps them out).
const (
	droppedReason         = "not sent: the recipient's account is closed"
	reroutedReason        = "not sent: the recipient's account is closed; sent instead to whom it now goes"
	refusedReason         = "not sent: the recipient may no longer be told of the case"
	refusedReroutedReason = "not sent: the recipient may no longer be told of the case; sent instead to whom it now goes"
)

// nullable is s, or NULL for "".
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// pendingRow is a pending notice drop reads.
type pendingRow struct {
	id, kind, reference, subject, body, link string
	origin                                   sql.NullString
}

// drop takes the pending notices for the mailbox of the account r.key,
// which closed, from it (when r.refused, only those of the origins
// r.reroute holds, which that mailbox may no longer receive), returning
// them: each goes instead to the recipients r.reroute gives for its origin
// who do not have it already,
// as a new notice due now whose id is derived from its own and the new
// address (the same on every node, as every node reads the same log), or,
// with nobody to go to, is only cancelled.
func (t *txStmts) drop(r readdress, now time.Time) ([]droppedNotice, error) {
	st, err := t.stmt(sqlPendingFor)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(t.ctx, r.key, statusPending)
	if err != nil {
		return nil, err
	}
	var pending []pendingRow
	for rows.Next() {
		var p pendingRow
		if err := rows.Scan(&p.id, &p.kind, &p.reference, &p.subject, &p.body, &p.link, &p.origin); err != nil {
			rows.Close()
			return nil, err
		}
		pending = append(pending, p)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, err
	}
	var out []droppedNotice
	for _, p := range pending {
		d := droppedNotice{id: p.id, kind: p.kind, reference: p.reference, refused: r.refused}
		targets, known := r.reroute[p.origin.String]
		known = known && p.origin.Valid
		if r.refused && !known {
			continue // its recipient may still receive it
		}
		for _, to := range targets {
			held, err := t.holds(p.origin.String, to.to.addr, p.id)
			if err != nil {
				return nil, err
			}
			if held {
				continue
			}
			subject, body := p.subject, p.body
			if to.subject != "" {
				subject, body = to.subject, to.body
			}
			kind := Kind(p.kind)
			id := noticeID(kind, "rerouted", p.id, to.to.addr)
			if err := t.exec(sqlEnqueue, id, p.kind, p.reference, to.to.addr, subject, body, p.link, nil, statusPending,
				now.UnixMilli(), now.UnixMilli(), nullable(to.to.key), p.origin.String, p.id); err != nil {
				return nil, err
			}
			d.rerouted = append(d.rerouted, id)
		}
		d.nobody = known && len(targets) == 0
		d.already = len(targets) > 0 && len(d.rerouted) == 0
		reason := droppedReason
		switch {
		case r.refused && len(d.rerouted) > 0:
			reason = refusedReroutedReason
		case r.refused:
			reason = refusedReason
		case len(d.rerouted) > 0:
			reason = reroutedReason
		}
		if err := t.exec(sqlDrop, statusCancelled, reason, p.id, statusPending); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// holds reports whether the address to has a notice of origin already,
// pending, sent or given up, other than the notice not.
func (t *txStmts) holds(origin, to, not string) (bool, error) {
	st, err := t.stmt(sqlHolds)
	if err != nil {
		return false, err
	}
	var held bool
	err = st.QueryRowContext(t.ctx, origin, to, statusCancelled, not).Scan(&held)
	return held, err
}

// pendingOrigins returns the origins of the pending notices for the
// mailbox key.
func (o *outbox) pendingOrigins(ctx context.Context, key string) ([]string, error) {
	rows, err := o.db.QueryContext(ctx, `SELECT DISTINCT origin FROM outbox
		WHERE recipient_key = ? AND status = ? AND origin IS NOT NULL`, key, statusPending)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// pendingOriginsAbout returns the mailbox keys and origins of the pending
// notices whose origin names client. Few notices are pending at once (an
// outage of the mail server), and the status index finds them.
func (o *outbox) pendingOriginsAbout(ctx context.Context, client uuid.UUID) ([]pendingOrigin, error) {
	rows, err := o.db.QueryContext(ctx, `SELECT DISTINCT recipient_key, origin FROM outbox
		WHERE status = ? AND origin IS NOT NULL AND recipient_key IS NOT NULL AND origin LIKE ?`,
		statusPending, "%/"+client.String()+"%")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []pendingOrigin
	for rows.Next() {
		var p pendingOrigin
		if err := rows.Scan(&p.key, &p.origin); err != nil {
			return nil, err
		}
		if c, ok := originClient(p.origin); ok && c == client {
			out = append(out, p)
		}
	}
	return out, rows.Err()
}

func (t *txStmts) close() {
	for _, st := range t.stmts {
		st.Close()
	}
}

// due returns up to limit pending notices due at now, in the order they
// fell due and, among those due at once, the order they were enqueued.
func (o *outbox) due(ctx context.Context, now time.Time, limit int) ([]notice, error) {
	st, err := o.stmt(ctx, `SELECT `+sqlNoticeColumns+`
		FROM outbox WHERE status = ? AND next_attempt_at <= ? ORDER BY next_attempt_at, rowid LIMIT ?`)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, statusPending, now.UnixMilli(), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []notice
	for rows.Next() {
		n, err := scanNotice(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// sqlNoticeColumns are the columns of a notice to send, as scanNotice
// reads them.
const sqlNoticeColumns = `id, kind, reference, recipient, subject, body, link, attempts, refusals, next_attempt_at,
			COALESCE(rerouted_from, '')`

func scanNotice(row interface{ Scan(...any) error }) (notice, error) {
	var n notice
	var kind string
	var due int64
	if err := row.Scan(&n.ID, &kind, &n.Reference, &n.To, &n.Subject, &n.Body, &n.Link, &n.Attempts, &n.Refusals, &due,
		&n.ReroutedFrom); err != nil {
		return notice{}, err
	}
	n.Kind, n.DueAt = Kind(kind), time.UnixMilli(due).UTC()
	return n, nil
}

// pending returns the notice id as it is now, and whether it is still
// pending: what was read with a batch of due notices may have changed
// since (readdressed, rerouted, cancelled) while those before it were
// sent.
func (o *outbox) pending(ctx context.Context, id string) (notice, bool, error) {
	st, err := o.stmt(ctx, `SELECT `+sqlNoticeColumns+` FROM outbox WHERE id = ? AND status = ?`)
	if err != nil {
		return notice{}, false, err
	}
	n, err := scanNotice(st.QueryRowContext(ctx, id, statusPending))
	if errors.Is(err, sql.ErrNoRows) {
		return notice{}, false, nil
	}
	return n, err == nil, err
}

// nextDue returns when the earliest pending notice is due; ok is false
// when none is pending.
func (o *outbox) nextDue(ctx context.Context) (at time.Time, ok bool, err error) {
	var ms sql.NullInt64
	st, err := o.stmt(ctx, `SELECT MIN(next_attempt_at) FROM outbox WHERE status = ?`)
	if err != nil {
		return time.Time{}, false, err
	}
	if err := st.QueryRowContext(ctx, statusPending).Scan(&ms); err != nil {
		return time.Time{}, false, err
	}
	if !ms.Valid {
		return time.Time{}, false, nil
	}
	return time.UnixMilli(ms.Int64).UTC(), true, nil
}

// sqlMarkSent records a delivered notice, unless it was cancelled meanwhile.
const sqlMarkSent = `UPDATE outbox SET status = ?, attempts = ?, sent_at = ?, last_error = NULL
		WHERE id = ? AND status = ?`

// markSent records a delivered notice. One that was no longer pending
// was rerouted (or settled) meanwhile: being handed to the mail server as
// its recipient's account closed, it went to them, so the notices sent
// instead of it are not sent (cancelRerouted).
func (o *outbox) markSent(ctx context.Context, s sentNotice) error {
	st, err := o.stmt(ctx, sqlMarkSent)
	if err != nil {
		return err
	}
	res, err := st.ExecContext(ctx, statusSent, s.attempts, s.at.UnixMilli(), s.ID, statusPending)
	if err != nil {
		return err
	}
	if k, err := res.RowsAffected(); err != nil || k > 0 {
		return err
	}
	return o.cancelRerouted(ctx, s.ID)
}

// sentBeforeReason is the last_error of a notice rerouted from one that
// was sent, or given up, after all.
const sentBeforeReason = "not sent: the notice it was to replace went to its first recipient"

// cancelRerouted cancels the pending notices rerouted from the notice id,
// which was sent (or given up) after all.
func (o *outbox) cancelRerouted(ctx context.Context, id string) error {
	st, err := o.stmt(ctx, `UPDATE outbox SET status = ?, last_error = ? WHERE rerouted_from = ? AND status = ?`)
	if err != nil {
		return err
	}
	_, err = st.ExecContext(ctx, statusCancelled, sentBeforeReason, id, statusPending)
	return err
}

// markSettled records a pending notice as sent (or failed) by another node
// that held the turn, at at; attempts are left as they are.
func (o *outbox) markSettled(ctx context.Context, id, status string, at time.Time) error {
	var sentAt any
	if status == statusSent {
		sentAt = at.UnixMilli()
	}
	_, err := o.db.ExecContext(ctx, `UPDATE outbox SET status = ?, sent_at = ?, last_error = NULL
		WHERE id = ? AND status = ?`, status, sentAt, id, statusPending)
	return err
}

// pendingAfter returns the ids of up to limit pending notices after the
// row after (0: from the first), in the order enqueued, and the row of
// the last.
func (o *outbox) pendingAfter(ctx context.Context, after int64, limit int) (ids []string, last int64, err error) {
	rows, err := o.db.QueryContext(ctx, `SELECT rowid, id FROM outbox WHERE status = ? AND rowid > ? ORDER BY rowid LIMIT ?`,
		statusPending, after, limit)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&last, &id); err != nil {
			return nil, 0, err
		}
		ids = append(ids, id)
	}
	return ids, last, rows.Err()
}

// markRetry records a failed attempt, the refusals so far, and when to
// try again.
func (o *outbox) markRetry(ctx context.Context, id string, attempts, refusals int, next time.Time, reason string) error {
	_, err := o.db.ExecContext(ctx, `UPDATE outbox SET attempts = ?, refusals = ?, next_attempt_at = ?, last_error = ?
		WHERE id = ? AND status = ?`, attempts, refusals, next.UnixMilli(), reason, id, statusPending)
	return err
}

// markFailed gives up on a notice.
func (o *outbox) markFailed(ctx context.Context, id string, attempts, refusals int, reason string) error {
	_, err := o.db.ExecContext(ctx, `UPDATE outbox SET status = ?, attempts = ?, refusals = ?, last_error = ?
		WHERE id = ? AND status = ?`, statusFailed, attempts, refusals, reason, id, statusPending)
	return err
}

// purge deletes sent and cancelled notices created before before.
func (o *outbox) purge(ctx context.Context, before time.Time) error {
	_, err := o.db.ExecContext(ctx, `DELETE FROM outbox WHERE status IN (?, ?) AND created_at < ?`,
		statusSent, statusCancelled, before.UnixMilli())
	return err
}

// counts returns how many notices are in each status.
func (o *outbox) counts(ctx context.Context) (map[string]int, error) {
	rows, err := o.db.QueryContext(ctx, `SELECT status, COUNT(*) FROM outbox GROUP BY status`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}
