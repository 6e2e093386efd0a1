// Package postgres lets the notifiers of several API nodes sharing one
// PostgreSQL database take turns at sending the email notices (R-OPS-2,
// R-NOTE-3): every node derives every notice from the shared event log
// into its own notifications.db, but only the node holding the turn sends
// them, so each notice goes out once, not once per node.
//
// The turn is a session-level advisory lock (pg_try_advisory_lock) held on
// a connection of its own for as long as the node sends. A node that stops
// releases it; one that dies, or whose connection is cut, loses it when
// PostgreSQL ends its session, and another node's next try takes it. Every
// query of the holder runs on that same connection, so one that succeeds
// proves the lock is still held.
//
// Beside it, the table ledger_notices_settled records, by the notice's
// deterministic id (an opaque hash: no address, no reference, no client
// data), each notice the holder has sent or given up on. A node taking
// the turn over marks those in its own outbox without sending them again,
// and a node waiting for the turn does the same as it goes, so that only
// the notice the previous holder had in flight when it died can go out
// twice.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// schema is the record of the notices settled by whichever node held the
// turn. status is "sent" or "failed" (given up after the maximum attempts).
const schema = `
CREATE TABLE IF NOT EXISTS ledger_notices_settled (
	id         text        PRIMARY KEY,
	status     text        NOT NULL,
	settled_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_notices_settled_at ON ledger_notices_settled (settled_at);
`

// schemaLock is the advisory lock taken (for one transaction) while the
// table is created, so that nodes starting at once do not race on CREATE
// TABLE IF NOT EXISTS.
const schemaLock int64 = 0x4c4e5431_00000001 // "LNT1"

// senderLock is the advisory lock whose holder sends the notices. It is
// taken per session and held until released or the session ends.
const senderLock int64 = 0x4c4e5431_00000002

// applicationPrefix starts the application_name of the turn's connection,
// which names the node (pg_stat_activity): the node waiting for the turn
// reads the holder's name from it.
const applicationPrefix = "ledger notices "

// opTimeout bounds every query, so a database that stops answering ends
// the turn instead of freezing the sender.
const opTimeout = 10 * time.Second

// The statuses of a settled notice.
const (
	statusSent   = "sent"
	statusFailed = "failed"
)

// Turn is one node's claim to send the notices. Its methods are safe for
// concurrent use; the notifier calls them from its delivery loop.
type Turn struct {
	cfg  *pgx.ConnConfig
	node string

	mu   sync.Mutex
	conn *pgx.Conn // nil until connected, and after a failure
	held bool      // the lock is held on conn
}

// Open connects to the PostgreSQL database at url (a postgres:// URL or
// key=value string, as pgx reads them), creates the ledger_notices_settled
// table if it is absent, and returns a turn that is not yet held. node
// names this node to the others (a host name, say): it appears in their
// logs and in pg_stat_activity, and must carry no client data. Errors never
// carry the URL's password.
func Open(ctx context.Context, url, node string) (*Turn, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("notices sender lock (postgres_url): %w", err)
	}
	name := applicationPrefix + node
	if len(name) > 63 { // PostgreSQL's NAMEDATALEN-1
		name = name[:63]
	}
	cfg.RuntimeParams["application_name"] = name
	t := &Turn{cfg: cfg, node: node}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.connect(ctx); err != nil {
		return nil, err
	}
	err = pgx.BeginFunc(ctx, t.conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, schemaLock); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, schema)
		return err
	})
	if err != nil {
		t.drop()
		return nil, fmt.Errorf("notices sender lock: creating ledger_notices_settled: %w", err)
	}
	return t, nil
}

// Node returns the name this node goes by.
func (t *Turn) Node() string { return t.node }

// connect opens the turn's connection; t.mu is held.
func (t *Turn) connect(ctx context.Context) error {
	if t.conn != nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, t.cfg)
	if err != nil {
		return fmt.Errorf("notices sender lock: connecting to PostgreSQL: %w", err)
	}
	// PostgreSQL ends the session of a node that died without closing
	// it (power lost, network cut) only once TCP says the peer is gone:
	// with the system's defaults that can take two hours, during which
	// no node would send. Keepalives on this session bring it to under a
	// minute (they do nothing on a Unix socket).
	if _, err := conn.Exec(ctx, `SET tcp_keepalives_idle = 20; SET tcp_keepalives_interval = 5; SET tcp_keepalives_count = 4`); err != nil {
		_ = conn.Close(ctx)
		return fmt.Errorf("notices sender lock: setting keepalives: %w", err)
	}
	t.conn, t.held = conn, false
	return nil
}

// drop closes the connection after a failure: its session ends, and with
// it any lock it held; t.mu is held.
func (t *Turn) drop() {
	if t.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = t.conn.Close(ctx)
		cancel()
	}
	t.conn, t.held = nil, false
}

// failed drops the connection after err and returns err; t.mu is held.
func (t *Turn) failed(op string, err error) error {
	t.drop()
	return fmt.Errorf("notices sender lock: %s: %w", op, err)
}

// Take tries to take the turn, or, when this node holds it, checks that it
// still does. It reports whether this node holds the turn now. An error
// (PostgreSQL unreachable, the session ended) means it does not: the
// connection is dropped, and the next Take connects again.
func (t *Turn) Take(ctx context.Context) (bool, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.connect(ctx); err != nil {
		return false, err
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if t.held {
		// The lock lasts as long as the session: a query answered on
		// it proves the session, and so the lock, is still there.
		if _, err := t.conn.Exec(ctx, `SELECT 1`); err != nil {
			return false, t.failed("checking the turn", err)
		}
		return true, nil
	}
	var got bool
	if err := t.conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, senderLock).Scan(&got); err != nil {
		return false, t.failed("taking the turn", err)
	}
	t.held = got
	return got, nil
}

// Holder returns the name of the node holding the turn, "" if none does
// (or its session cannot be seen).
func (t *Turn) Holder(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.connect(ctx); err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	var name string
	err := t.conn.QueryRow(ctx, `SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 1
		LIMIT 1`, uint32(uint64(senderLock)>>32), uint32(uint64(senderLock)&0xffffffff)).Scan(&name)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return "", nil
	case err != nil:
		return "", t.failed("looking up the holder", err)
	}
	if len(name) >= len(applicationPrefix) && name[:len(applicationPrefix)] == applicationPrefix {
		name = name[len(applicationPrefix):]
	}
	return name, nil
}

// Settled returns, of ids, those recorded as sent and those recorded as
// given up by whichever node held the turn.
func (t *Turn) Settled(ctx context.Context, ids []string) (sent, failed []string, err error) {
	if len(ids) == 0 {
		return nil, nil, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.connect(ctx); err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	rows, err := t.conn.Query(ctx, `SELECT id, status FROM ledger_notices_settled WHERE id = ANY($1)`, ids)
	if err != nil {
		return nil, nil, t.failed("reading the notices settled", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, status string
		if err := rows.Scan(&id, &status); err != nil {
			return nil, nil, t.failed("reading the notices settled", err)
		}
		if status == statusFailed {
			failed = append(failed, id)
		} else {
			sent = append(sent, id)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, nil, t.failed("reading the notices settled", err)
	}
	return sent, failed, nil
}

// Settle records that this node, holding the turn, sent the notice id (or
// gave it up, when failed) at at. It fails, dropping the connection, when
// the turn cannot be shown to be still held.
func (t *Turn) Settle(ctx context.Context, id string, failed bool, at time.Time) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.held || t.conn == nil {
		return errors.New("notices sender lock: settling a notice without the turn")
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	status := statusSent
	if failed {
		status = statusFailed
	}
	if _, err := t.conn.Exec(ctx, `INSERT INTO ledger_notices_settled (id, status, settled_at) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET status = excluded.status, settled_at = excluded.settled_at`, id, status, at); err != nil {
		return t.failed("recording a notice settled", err)
	}
	return nil
}

// Purge deletes the records of notices settled before before. Only the
// holder purges; a node without the turn does nothing.
func (t *Turn) Purge(ctx context.Context, before time.Time) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.held || t.conn == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if _, err := t.conn.Exec(ctx, `DELETE FROM ledger_notices_settled WHERE settled_at < $1`, before); err != nil {
		return t.failed("purging old notices settled", err)
	}
	return nil
}

// Release gives the turn up, so that another node takes it at its next
// try; the connection stays open for the next Take.
func (t *Turn) Release(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.held || t.conn == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	if _, err := t.conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, senderLock); err != nil {
		return t.failed("releasing the turn", err)
	}
	t.held = false
	return nil
}

// Close closes the connection, which releases the turn if it is held.
func (t *Turn) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.drop()
	return nil
}
