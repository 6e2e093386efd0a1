package projections

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
)

// Decoder decodes a stored event with its client's fields: a
// ledger.Codec with the client keys.
type Decoder interface {
	Decode(ctx context.Context, rec eventstore.RecordedEvent) (domain.Recorded, error)
}

// ClientDecoder is a Decoder that reads a referral.made's client alone,
// opening its sealed box without decoding the rest of the event again
// (ledger.Codec's DecodeClient): the index uses it when its decoder has
// it.
type ClientDecoder interface {
	DecodeClient(ctx context.Context, rec eventstore.RecordedEvent) (client domain.Client, erased bool, err error)
}

// Marker computes a blind-index entry: a *ledger.IndexKey.
type Marker interface {
	Mark(ctx context.Context, name, dateOfBirth string) (ledger.Mark, error)
}

// EventReader reads the log by position: an eventstore.Store. The known
// clients index reads again, after a restart, the referrals it could not
// index for want of a key.
type EventReader interface {
	ReadAll(ctx context.Context, after eventstore.Position, limit int) ([]eventstore.RecordedEvent, error)
}

// KnownClients is the known clients index (R-REF-14): which clients each
// organisation referred, and a keyed blind index of each client's name
// and date of birth. It is the one read model fed client data: it decodes
// each referral.made with the client's key and keeps only the HMAC of the
// normalised name and date of birth (never the name or date).
//
// It lives in the views database (tables known_*), its rows changed in
// the same transaction as its checkpoint, so a restart resumes from the
// checkpoint without decoding old events again. The marks are pseudonymous
// personal data: they are kept nowhere else, and an erased client's marks
// are deleted in the batch in which their erasure starts (the database
// overwrites deleted rows, and its write-ahead log is checkpointed and
// truncated once that batch commits). A rebuild cannot bring them back:
// their key is destroyed, so their referrals no longer decode. A change of
// the index key (a rotated master key) rebuilds the index.
//
// A referral whose key the key store cannot give now (unavailable) is kept
// pending, by position (in the database, so a restart keeps it), and
// indexed at the next search; until then searches answer Unavailable
// rather than miss a client.
type KnownClients struct {
	decode Decoder
	marker Marker
	views  *Views
	events EventReader // nil: a pending referral not held in memory cannot be read again
	log    zerolog.Logger
	check  ledger.Mark // the index key's check value
	search *sql.Stmt

	mu         sync.Mutex // the batch being applied
	checkpoint eventstore.Position
	keyStored  bool // the key's check value is in the database
	batch      *Batch
	batchPos   eventstore.Position
	added      map[eventstore.Position]pendingReferral // pending in the batch
	erasedNow  map[uuid.UUID]struct{}                  // clients erased in the batch
	truncate   bool                                    // the batch deleted marks
	// referred and marks are the rows of known_referred (organisation,
	// client) and known_marks the batch adds, written when it commits;
	// an erasure in the batch drops its client's.
	referred [][2]uuid.UUID
	marks    []knownMark
	// fresh, while the views are rebuilt from nothing, holds every client
	// erased since: a client it has not seen was not erased (no query).
	fresh *streamFilter

	pmu     sync.Mutex                              // the committed pending referrals
	pending map[eventstore.Position]pendingReferral // by position

	retryMu sync.Mutex // one retry of the pending at a time
}

// knownMark is a row of known_marks.
type knownMark struct {
	mark   ledger.Mark
	client uuid.UUID
}

type pendingReferral struct {
	client uuid.UUID
	stored *eventstore.RecordedEvent // nil when known by position only (after a restart)
}

// knownClientsView names the known clients index's checkpoint.
const knownClientsView = "known_clients"

// NewKnownClients returns an empty index decoding with decode and marking
// with marker, kept in a private in-memory database.
func NewKnownClients(decode Decoder, marker Marker) *KnownClients {
	k, err := OpenKnownClients(context.Background(), openMemoryViews(), nil, decode, marker)
	if err != nil {
		panic(err)
	}
	return k
}

// OpenKnownClients returns the index kept in views, resuming from its
// checkpoint there, decoding with decode and marking with marker; events
// reads again the referrals left pending before a restart. An index built
// under another key is emptied, to be rebuilt from the start of the log.
func OpenKnownClients(ctx context.Context, views *Views, events EventReader, decode Decoder, marker Marker) (*KnownClients, error) {
	k := &KnownClients{decode: decode, marker: marker, views: views, events: events, log: zerolog.Nop(),
		pending: map[eventstore.Position]pendingReferral{}}
	var err error
	// A mark of no name and no date of birth: no client's (the index
	// needs both), so it says which key made the marks and nothing else.
	if k.check, err = marker.Mark(ctx, "", ""); err != nil {
		return nil, fmt.Errorf("views: known clients: %w", err)
	}
	if k.checkpoint, err = views.Checkpoint(ctx, knownClientsView); err != nil {
		return nil, err
	}
	var stored []byte
	switch err := views.db.QueryRowContext(ctx, `SELECT key_check FROM known_key WHERE one = 1`).Scan(&stored); {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, fmt.Errorf("views: known clients: %w", err)
	}
	k.keyStored = bytes.Equal(stored, k.check[:])
	if !k.keyStored && (stored != nil || k.checkpoint != eventstore.Start) {
		if err := k.reset(ctx); err != nil {
			return nil, err
		}
	}
	rows, err := views.db.QueryContext(ctx, `SELECT position, client FROM known_pending`)
	if err != nil {
		return nil, fmt.Errorf("views: known clients: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var pos int64
		var client []byte
		if err := rows.Scan(&pos, &client); err != nil {
			return nil, err
		}
		id, err := uuid.FromBytes(client)
		if err != nil {
			return nil, err
		}
		k.pending[eventstore.Position(pos)] = pendingReferral{client: id}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	k.search, err = views.db.PrepareContext(ctx, `SELECT m.client FROM known_marks m
		JOIN known_referred r ON r.org = ? AND r.client = m.client WHERE m.mark = ?`)
	if err != nil {
		return nil, fmt.Errorf("views: known clients: %w", err)
	}
	return k, nil
}

// reset empties the index and its checkpoint: it is rebuilt from the start
// of the log (made under another key, its marks match no search).
func (k *KnownClients) reset(ctx context.Context) error {
	tx, err := k.views.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("views: known clients: %w", err)
	}
	defer tx.Rollback()
	for _, q := range []string{`DELETE FROM known_marks`, `DELETE FROM known_referred`, `DELETE FROM known_erased`,
		`DELETE FROM known_pending`, `DELETE FROM known_key`, `DELETE FROM checkpoints WHERE view = '` + knownClientsView + `'`} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("views: known clients: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("views: known clients: %w", err)
	}
	k.checkpoint = eventstore.Start
	if err := k.views.truncateWAL(ctx); err != nil {
		k.log.Warn().Err(err).Msg("the views' write-ahead log could not be truncated after the known clients index was emptied")
	}
	return nil
}

// SetLogger sets where the index logs what it cannot do in the background
// (truncating the views' write-ahead log after an erasure); by count and
// cause only, never client data. The default discards.
func (k *KnownClients) SetLogger(log zerolog.Logger) { k.log = log }

func (k *KnownClients) forget() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.checkpoint, k.keyStored, k.batch, k.batchPos, k.added, k.erasedNow, k.truncate = 0, false, nil, 0, nil, nil, false
	k.fresh = nil
	k.pmu.Lock()
	defer k.pmu.Unlock()
	clear(k.pending)
}

// ViewName implements Persistent.
func (k *KnownClients) ViewName() string { return knownClientsView }

// ViewsDB implements Persistent.
func (k *KnownClients) ViewsDB() *Views { return k.views }

// Checkpoint returns the global position of the last event applied.
func (k *KnownClients) Checkpoint() eventstore.Position {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.checkpoint
}

// decodeTimeout bounds the key store's answer for one referral.
const decodeTimeout = 10 * time.Second

// Apply implements Projection, applying one event in a transaction of its
// own; see Referrals.Apply.
func (k *KnownClients) Apply(stored eventstore.RecordedEvent, rec domain.Recorded) {
	if err := applyAlone(k, stored, rec); err != nil {
		panic(err)
	}
}

// ApplyIn implements Persistent. Events at or before the checkpoint are
// ignored before anything is decoded.
func (k *KnownClients) ApplyIn(b *Batch, stored eventstore.RecordedEvent, rec domain.Recorded) error {
	return k.apply(b, stored, rec, nil)
}

// knownAhead is the mark of a referral's client, computed by prepareEvent
// ahead of the batch that applies the referral (markOf's results).
type knownAhead struct {
	mark *ledger.Mark
	ok   bool
}

// prepareEvent implements preparer: the mark of a referral.made's client,
// decrypted and computed on the runner's decoding goroutine, while the
// batch before is applied; nil for any other event, and for one the index
// has applied already.
func (k *KnownClients) prepareEvent(ctx context.Context, stored eventstore.RecordedEvent, rec domain.Recorded) any {
	if _, made := rec.Event.(*domain.ReferralMade); !made || !rec.Withheld {
		return nil
	}
	k.mu.Lock()
	applied := stored.Position <= k.checkpoint
	k.mu.Unlock()
	if applied {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, decodeTimeout)
	defer cancel()
	mark, ok := k.markOf(ctx, stored)
	return &knownAhead{mark: mark, ok: ok}
}

// applyPrepared implements preparer: ApplyIn, with the mark prepareEvent
// computed.
func (k *KnownClients) applyPrepared(b *Batch, stored eventstore.RecordedEvent, rec domain.Recorded, ahead any) error {
	a, _ := ahead.(*knownAhead)
	return k.apply(b, stored, rec, a)
}

// apply is ApplyIn, with the mark of a referral.made's client computed
// ahead (nil: computed here).
func (k *KnownClients) apply(b *Batch, stored eventstore.RecordedEvent, rec domain.Recorded, ahead *knownAhead) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.batch != b {
		k.join(b)
	}
	if stored.Position <= k.batchPos {
		return nil
	}
	k.batchPos = stored.Position
	switch e := rec.Event.(type) {
	case *domain.ReferralMade:
		gone, err := k.erased(b, e.ClientID)
		if err != nil || gone {
			return err // erased: never indexed again
		}
		k.referred = append(k.referred, [2]uuid.UUID{e.FromOrganisationID, e.ClientID})
		if !rec.Withheld {
			return nil // no client data sealed (a referral of a known client may give none)
		}
		var mark *ledger.Mark
		var ok bool
		if ahead != nil {
			mark, ok = ahead.mark, ahead.ok
		} else {
			ctx, cancel := context.WithTimeout(b.ctx, decodeTimeout)
			defer cancel()
			mark, ok = k.markOf(ctx, stored)
		}
		switch {
		case !ok:
			k.added[stored.Position] = pendingReferral{client: e.ClientID, stored: &stored}
			return b.exec(`INSERT OR REPLACE INTO known_pending (position, client) VALUES (?, ?)`, int64(stored.Position), e.ClientID[:])
		case mark != nil:
			k.marks = append(k.marks, knownMark{mark: *mark, client: e.ClientID})
		}
	case *domain.ClientErasureStarted, *domain.ClientErased:
		if client, ok := clientOfStream(stored.Stream); ok {
			return k.forgetClient(b, client)
		}
	}
	return nil
}

// erased reports whether the client's erasure started. The caller holds
// k.mu.
func (k *KnownClients) erased(b *Batch, client uuid.UUID) (bool, error) {
	if _, ok := k.erasedNow[client]; ok {
		return true, nil
	}
	if k.fresh != nil && !k.fresh.mayHaveKey(client[:]) {
		return false, nil
	}
	row, err := b.queryRow(`SELECT 1 FROM known_erased WHERE client = ?`, client[:])
	if err != nil {
		return false, err
	}
	var one int
	switch err := row.Scan(&one); {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, err
	}
	return true, nil
}

// markOf decodes a referral.made and returns the mark of its client's
// name and date of birth: nil when there is nothing to index (erased, or
// not both given), and false when the key store did not answer.
func (k *KnownClients) markOf(ctx context.Context, stored eventstore.RecordedEvent) (*ledger.Mark, bool) {
	var client domain.Client
	if d, ok := k.decode.(ClientDecoder); ok && stored.Type == domain.ReferralMadeType {
		c, erased, err := d.DecodeClient(ctx, stored)
		if err != nil {
			return nil, false
		}
		if erased {
			return nil, true
		}
		client = c
	} else {
		rec, err := k.decode.Decode(ctx, stored)
		if err != nil {
			return nil, false
		}
		made, ok := rec.Event.(*domain.ReferralMade)
		if !ok || rec.Erased {
			return nil, true
		}
		client = made.Client
	}
	if client.Name == "" || client.DateOfBirth == "" {
		return nil, true // nothing to index: a search needs both
	}
	mark, err := k.marker.Mark(ctx, client.Name, client.DateOfBirth)
	if err != nil {
		return nil, false
	}
	return &mark, true
}

// forgetClient deletes every mark of an erased client, which organisations
// referred them, and any referral of theirs still pending, and keeps them
// from being indexed again. The caller holds k.mu.
func (k *KnownClients) forgetClient(b *Batch, client uuid.UUID) error {
	for _, q := range []string{`DELETE FROM known_marks WHERE client = ?`, `DELETE FROM known_referred WHERE client = ?`,
		`DELETE FROM known_pending WHERE client = ?`, `INSERT OR IGNORE INTO known_erased (client) VALUES (?)`} {
		if err := b.exec(q, client[:]); err != nil {
			return err
		}
	}
	k.erasedNow[client] = struct{}{}
	// What the batch was to add of theirs is not written.
	k.referred = slices.DeleteFunc(k.referred, func(r [2]uuid.UUID) bool { return r[1] == client })
	k.marks = slices.DeleteFunc(k.marks, func(m knownMark) bool { return m.client == client })
	if k.fresh != nil {
		k.fresh.addKey(client[:]) // kept if the batch rolls back: it may only say too much
	}
	for pos, p := range k.added {
		if p.client == client {
			delete(k.added, pos)
		}
	}
	k.truncate = true
	return nil
}

// join makes b the batch the index's changes go to.
func (k *KnownClients) join(b *Batch) {
	k.batch, k.batchPos, k.truncate = b, k.checkpoint, false
	k.referred, k.marks = k.referred[:0], k.marks[:0]
	k.fresh = freshDuring(b, k.fresh, k.checkpoint)
	k.added, k.erasedNow = map[eventstore.Position]pendingReferral{}, map[uuid.UUID]struct{}{}
	b.onFlush(func(b *Batch) error {
		k.mu.Lock()
		defer k.mu.Unlock()
		if err := k.writeRows(b); err != nil {
			return err
		}
		if !k.keyStored {
			if err := b.exec(`INSERT OR REPLACE INTO known_key (one, key_check) VALUES (1, ?)`, k.check[:]); err != nil {
				return err
			}
		}
		return b.SetCheckpoint(knownClientsView, k.batchPos)
	})
	b.onCommit(func() {
		k.mu.Lock()
		k.pmu.Lock()
		maps.Copy(k.pending, k.added)
		for pos, p := range k.pending {
			if _, gone := k.erasedNow[p.client]; gone {
				delete(k.pending, pos)
			}
		}
		k.pmu.Unlock()
		truncate := k.truncate
		k.checkpoint, k.keyStored = k.batchPos, true
		k.batch, k.added, k.erasedNow, k.truncate = nil, nil, nil, false
		k.mu.Unlock()
		if truncate {
			// The pages that held the erased client's marks leave the
			// write-ahead log (R-PRIV-3); the database overwrote them.
			if err := k.views.truncateWAL(context.Background()); err != nil {
				k.log.Warn().Err(err).Msg("the views' write-ahead log could not be truncated after an erasure; " +
					"it will be at the next erasure or checkpoint")
			}
		}
	})
	b.onRollback(func() {
		k.mu.Lock()
		defer k.mu.Unlock()
		k.batch, k.added, k.erasedNow, k.truncate, k.batchPos = nil, nil, nil, false, k.checkpoint
	})
}

// writeRows writes the rows of known_referred and known_marks the batch
// adds, in key order. The caller holds k.mu.
func (k *KnownClients) writeRows(b *Batch) error {
	slices.SortFunc(k.referred, func(x, y [2]uuid.UUID) int {
		if c := bytes.Compare(x[0][:], y[0][:]); c != 0 {
			return c
		}
		return bytes.Compare(x[1][:], y[1][:])
	})
	w := b.inserter(`INSERT OR IGNORE INTO known_referred (org, client) VALUES`, 2)
	for _, r := range k.referred {
		if err := w.add(r[0][:], r[1][:]); err != nil {
			return err
		}
	}
	if err := w.flush(); err != nil {
		return err
	}
	slices.SortFunc(k.marks, func(x, y knownMark) int {
		if c := bytes.Compare(x.mark[:], y.mark[:]); c != 0 {
			return c
		}
		return bytes.Compare(x.client[:], y.client[:])
	})
	w = b.inserter(`INSERT OR IGNORE INTO known_marks (mark, client) VALUES`, 2)
	for _, m := range k.marks {
		if err := w.add(m.mark[:], m.client[:]); err != nil {
			return err
		}
	}
	return w.flush()
}

// truncateWAL checkpoints the views' write-ahead log into the database and
// truncates it to nothing, so pages it held (an erased client's marks)
// are no longer in any file. Errors: the database's, and a busy one when
// readers kept part of the log.
func (v *Views) truncateWAL(ctx context.Context) error {
	if v.path == ":memory:" {
		return nil
	}
	var busy, frames, done int
	if err := v.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &done); err != nil {
		return fmt.Errorf("views: checkpoint: %w", err)
	}
	if busy != 0 {
		return errors.New("views: checkpoint: the write-ahead log is in use")
	}
	return nil
}

// retry indexes the pending referrals it now can, and says whether none
// is left.
func (k *KnownClients) retry(ctx context.Context) (bool, error) {
	k.pmu.Lock()
	n := len(k.pending)
	k.pmu.Unlock()
	if n == 0 {
		return true, nil
	}
	k.retryMu.Lock()
	defer k.retryMu.Unlock()
	k.pmu.Lock()
	positions := make([]eventstore.Position, 0, len(k.pending))
	todo := make(map[eventstore.Position]pendingReferral, len(k.pending))
	for pos, p := range k.pending {
		positions = append(positions, pos)
		todo[pos] = p
	}
	k.pmu.Unlock()
	slices.Sort(positions)
	type indexed struct {
		pos    eventstore.Position
		client uuid.UUID
		mark   *ledger.Mark
	}
	var done []indexed
	for _, pos := range positions {
		p := todo[pos]
		stored := p.stored
		if stored == nil {
			ev, err := k.read(ctx, pos)
			if err != nil {
				continue
			}
			stored = &ev
		}
		if mark, ok := k.markOf(ctx, *stored); ok {
			done = append(done, indexed{pos: pos, client: p.client, mark: mark})
		}
	}
	if len(done) > 0 {
		// A referral still pending in the database, in the same
		// transaction: an erasure that started meanwhile deleted it, and
		// its client's marks are not written back.
		tx, err := k.views.db.BeginTx(ctx, nil)
		if err != nil {
			return false, err
		}
		defer tx.Rollback()
		for _, d := range done {
			res, err := tx.ExecContext(ctx, `DELETE FROM known_pending WHERE position = ?`, int64(d.pos))
			if err != nil {
				return false, err
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 || d.mark == nil {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO known_marks (mark, client) VALUES (?, ?)`,
				d.mark[:], d.client[:]); err != nil {
				return false, err
			}
		}
		if err := tx.Commit(); err != nil {
			return false, err
		}
		k.pmu.Lock()
		for _, d := range done {
			delete(k.pending, d.pos)
		}
		k.pmu.Unlock()
	}
	k.pmu.Lock()
	defer k.pmu.Unlock()
	return len(k.pending) == 0, nil
}

// read returns the event at pos from the log.
func (k *KnownClients) read(ctx context.Context, pos eventstore.Position) (eventstore.RecordedEvent, error) {
	if k.events == nil {
		return eventstore.RecordedEvent{}, errors.New("no log to read a pending referral from")
	}
	page, err := k.events.ReadAll(ctx, pos-1, 1)
	if err != nil {
		return eventstore.RecordedEvent{}, err
	}
	if len(page) != 1 || page[0].Position != pos {
		return eventstore.RecordedEvent{}, fmt.Errorf("the log holds no event at position %d", pos)
	}
	return page[0], nil
}

var errIndexPending = &domain.Error{Code: domain.Unavailable,
	Message: "the key store did not answer, so the known clients cannot be searched yet; retry shortly"}

// ReferredBy implements ledger.KnownClientsIndex: the clients org referred
// whose name and date of birth, normalised, are those given, in no
// particular order. Errors: Unavailable (the key store, or the views).
func (k *KnownClients) ReferredBy(ctx context.Context, org uuid.UUID, name, dateOfBirth string) ([]uuid.UUID, error) {
	mark, err := k.marker.Mark(ctx, name, dateOfBirth)
	if err != nil {
		return nil, err
	}
	if done, err := k.retry(ctx); err != nil || !done {
		return nil, errIndexPending
	}
	found, err := scanIDs(k.search.QueryContext(ctx, org[:], mark[:]))
	if err != nil {
		return nil, &domain.Error{Code: domain.Unavailable, Message: "the known clients cannot be searched now; retry shortly"}
	}
	if found == nil {
		found = []uuid.UUID{}
	}
	return found, nil
}

// Len returns how many clients have marks in the index. Errors:
// ErrUnreadable, rather than none.
func (k *KnownClients) Len() (int, error) {
	var n int
	if err := k.views.db.QueryRow(`SELECT COUNT(DISTINCT client) FROM known_marks`).Scan(&n); err != nil {
		return 0, unreadable("known clients", err)
	}
	return n, nil
}

// ClientReferrals lists, in the order of ids, the referrals among ids that
// org made or received, as the outbox lists them, leaving out those of
// clients visible refuses (the caller's lock rule). Errors:
// ErrUnreadable, rather than a referral left out.
func (p *Referrals) ClientReferrals(ids []uuid.UUID, org uuid.UUID, visible func(client uuid.UUID) bool, now time.Time) ([]ReferralSummary, error) {
	out := []ReferralSummary{}
	for _, id := range ids {
		e, err := p.get(id)
		if err != nil {
			return nil, err
		}
		if e == nil || !e.R.Involves(org) || (visible != nil && !visible(e.R.ClientID)) {
			continue
		}
		out = append(out, p.summary(e, now))
	}
	return out, nil
}
