package projections

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
)

// Referrals is the read model behind the inbox, outbox and overdue views
// (R-VIEW-1..3) and the search of referrals: every referral's state folded
// from the public fields of its events, one row per referral in the views
// database, indexed per receiving organisation and status, per assigned
// adviser and status, per referring organisation, and by next deadline.
//
// It holds no client data (R-LEDGER-6): it is fed through the public codec,
// and whatever free text or client fields a referral state could carry are
// dropped before it is kept.
//
// Deadlines are a function of a referral's state and the calendar only, so
// they are computed when an event is applied and stored; whether a
// referral is overdue, and by how many working days, depends on the time
// and is computed when a list is read, so it stays right after a restart.
// Apply and the list methods are safe for concurrent use. Memory holds only
// a bounded cache of referrals and the rows of the batch being applied.
type Referrals struct {
	cal   *calendar.Calendar
	ts    domain.Timescales
	views *Views

	mu         sync.Mutex
	checkpoint eventstore.Position          // committed
	batch      *Batch                       // the batch the rows below belong to
	batchPos   eventstore.Position          // the last event applied in batch
	dirty      map[uuid.UUID]*referralEntry // rows changed in batch, not yet written
	// stored holds, for each row of dirty that was committed before the
	// batch changed it, the row as committed: the batch then writes only
	// the columns that changed (see writeChanged).
	stored map[uuid.UUID]*referralEntry
	cache  map[uuid.UUID]*referralEntry // committed rows, bounded by cacheMax

	byRef *sql.Stmt // byReference's query, prepared once (views.db closes it)

	// updates holds writeChanged's statements, by the columns they set.
	updates map[uint32]string
}

// referralsView names the referrals' checkpoint.
const referralsView = "referrals"

// cacheMax bounds the referrals held in memory between requests.
const cacheMax = 4096

// referralEntry is one referral as the lists need it.
type referralEntry struct {
	R         domain.Referral  `json:"r"`
	Deadlines domain.Deadlines `json:"d"`
	Stage     domain.Stage     `json:"s,omitempty"` // "" when closed
	Next      time.Time        `json:"n"`           // the deadline of stage; zero when closed or unknown
}

// NewReferrals returns an empty read model that computes deadlines with
// the network's timescales on cal, kept in a private in-memory database.
func NewReferrals(cal *calendar.Calendar, ts domain.Timescales) *Referrals {
	p, err := OpenReferrals(context.Background(), openMemoryViews(), cal, ts)
	if err != nil {
		panic(err)
	}
	return p
}

// OpenReferrals returns the read model kept in views, resuming from its
// checkpoint there.
func OpenReferrals(ctx context.Context, views *Views, cal *calendar.Calendar, ts domain.Timescales) (*Referrals, error) {
	cp, err := views.Checkpoint(ctx, referralsView)
	if err != nil {
		return nil, err
	}
	byRef, err := views.db.PrepareContext(ctx, byReferenceQuery)
	if err != nil {
		return nil, fmt.Errorf("views: referrals: %w", err)
	}
	return &Referrals{cal: cal, ts: ts, views: views, checkpoint: cp, cache: map[uuid.UUID]*referralEntry{}, byRef: byRef}, nil
}

func (p *Referrals) forget() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.checkpoint, p.batchPos, p.batch, p.dirty, p.stored = 0, 0, nil, nil, nil
	clear(p.cache)
}

// ViewName implements Persistent.
func (p *Referrals) ViewName() string { return referralsView }

// DeferredIndexes implements DeferredIndexes: applying events reads
// referrals by id only, so a rebuild creates the lists' indexes once, at
// the end.
func (p *Referrals) DeferredIndexes() []string {
	return []string{"referrals_reference", "referrals_inbox", "referrals_inbox_open", "referrals_assigned",
		"referrals_assigned_open", "referrals_due", "referrals_due_from", "referrals_outbox", "referrals_received",
		"referrals_made"}
}

// ViewsDB implements Persistent.
func (p *Referrals) ViewsDB() *Views { return p.views }

// Settings implements Configured: the rows hold deadlines worked out with
// the timescales and the calendar.
func (p *Referrals) Settings() string { return timescalesSettings(p.ts, p.cal) }

// Checkpoint returns the global position of the last event applied: the
// read model shows every event up to it.
func (p *Referrals) Checkpoint() eventstore.Position {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.checkpoint
}

// Len returns the number of referrals held, open and closed. Errors:
// ErrUnreadable, rather than none.
func (p *Referrals) Len() (int, error) {
	var n int
	if err := p.views.db.QueryRow(`SELECT COUNT(*) FROM referrals`).Scan(&n); err != nil {
		return 0, unreadable("referrals", err)
	}
	return n, nil
}

// Apply implements Projection, applying one event in a transaction of its
// own. Events must come in global order; one at or before the checkpoint
// is a redelivery and is ignored, so applying the same events twice
// changes nothing. It panics if the views database fails: the runner
// applies through ApplyIn, which returns the error.
func (p *Referrals) Apply(stored eventstore.RecordedEvent, rec domain.Recorded) {
	if err := applyAlone(p, stored, rec); err != nil {
		panic(err)
	}
}

// applyAlone applies one event to a persistent view in its own batch.
func applyAlone(p Persistent, stored eventstore.RecordedEvent, rec domain.Recorded) error {
	b, err := p.ViewsDB().Begin(context.Background())
	if err != nil {
		return err
	}
	if err := p.ApplyIn(b, stored, rec); err != nil {
		b.Rollback()
		return err
	}
	return b.Commit()
}

// ApplyIn implements Persistent.
func (p *Referrals) ApplyIn(b *Batch, stored eventstore.RecordedEvent, rec domain.Recorded) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.batch != b {
		p.join(b)
	}
	if stored.Position <= p.batchPos {
		return nil
	}
	p.batchPos = stored.Position
	id, ok := ledger.ReferralIDFromStream(stored.Stream)
	if !ok {
		return nil
	}
	// The first event of a stream has nothing before it to load.
	var was *referralEntry
	if stored.Revision > 0 {
		if e, ok := p.dirty[id]; ok {
			// Changed earlier in the batch, which alone holds the entry:
			// it changes in place (judge sets the rest when the batch
			// writes it).
			e.R = withoutClientData(domain.EvolveReferral(e.R, rec))
			return nil
		}
		var err error
		if was, err = p.load(b, id); err != nil {
			return err
		}
		if was != nil {
			p.stored[id] = was // as committed: the batch has not changed it
		}
	}
	if was == nil {
		if _, made := rec.Event.(*domain.ReferralMade); !made {
			return nil // a stream always starts with referral.made
		}
		was = &referralEntry{}
	}
	// Its deadlines are judged once, when the batch writes it (judge).
	p.dirty[id] = &referralEntry{R: withoutClientData(domain.EvolveReferral(was.R, rec))}
	return nil
}

// judge sets e's deadlines, its stage and its next deadline from its
// state.
func (p *Referrals) judge(e *referralEntry) {
	e.Deadlines = p.ts.Deadlines(e.R, p.cal)
	var known bool
	if e.Stage, e.Next, known = e.Deadlines.Next(e.R); !known {
		e.Next = time.Time{}
	}
}

// join makes b the batch the read model's changes go to: they are written
// with its checkpoint before b commits, and cached once it has.
func (p *Referrals) join(b *Batch) {
	p.batch, p.batchPos, p.dirty, p.stored = b, p.checkpoint, map[uuid.UUID]*referralEntry{}, map[uuid.UUID]*referralEntry{}
	b.onFlush(func(b *Batch) error {
		p.mu.Lock()
		defer p.mu.Unlock()
		// In key order: the table's pages are visited once each, in
		// order, rather than at random.
		ids := make([]uuid.UUID, 0, len(p.dirty))
		for id := range p.dirty {
			ids = append(ids, id)
		}
		slices.SortFunc(ids, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
		w := b.inserter(`INSERT OR REPLACE INTO referrals (id, reference, client, status, open, from_org, to_org, assignee,
			work_at, work_rank, made_at, state) VALUES`, 12)
		for _, id := range ids {
			e := p.dirty[id]
			p.judge(e)
			if was := p.stored[id]; was != nil && !b.Rebuilding() {
				if done, err := p.writeChanged(b, id, was, e); err != nil || done {
					if err != nil {
						return err
					}
					continue
				}
			}
			if err := w.add(referralRow(id, e)...); err != nil {
				return err
			}
		}
		if err := w.flush(); err != nil {
			return err
		}
		return b.SetCheckpoint(referralsView, p.batchPos)
	})
	b.onCommit(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		for id, e := range p.dirty {
			p.cacheLocked(id, e)
		}
		p.checkpoint, p.batch, p.dirty, p.stored = p.batchPos, nil, nil, nil
	})
	b.onRollback(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.batch, p.dirty, p.stored, p.batchPos = nil, nil, nil, p.checkpoint
	})
}

// cacheLocked keeps e for id, emptying the cache when it is full: memory
// stays bounded whatever the size of the log. The caller holds p.mu.
func (p *Referrals) cacheLocked(id uuid.UUID, e *referralEntry) {
	if _, ok := p.cache[id]; !ok && len(p.cache) >= cacheMax {
		clear(p.cache)
	}
	p.cache[id] = e
}

// load returns the referral id as the batch leaves it, nil when none.
// The caller holds p.mu.
func (p *Referrals) load(b *Batch, id uuid.UUID) (*referralEntry, error) {
	if e, ok := p.dirty[id]; ok {
		return e, nil
	}
	if e, ok := p.cache[id]; ok {
		return e, nil
	}
	row, err := b.queryRow(`SELECT state FROM referrals WHERE id = ?`, id[:])
	if err != nil {
		return nil, err
	}
	return scanEntry(row)
}

func scanEntry(row interface{ Scan(...any) error }) (*referralEntry, error) {
	var state []byte
	if err := row.Scan(&state); errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	return decodeEntry(state)
}

// referralColumns are the columns of a referral's row, in the order
// referralRow gives their values.
var referralColumns = [...]string{"id", "reference", "client", "status", "open", "from_org", "to_org", "assignee",
	"work_at", "work_rank", "made_at", "state"}

// stateColumn is the index of the state in referralColumns, the last.
const stateColumn = 11

// referralRow returns the values of a referral's row, with the keys its
// lists sort by, in the order of referralColumns.
func referralRow(id uuid.UUID, e *referralEntry) []any {
	return append(referralKeys(id, e), encodeEntry(e))
}

// referralKeys returns the values of a referral's row but its state (the
// columns its lists sort and filter by).
func referralKeys(id uuid.UUID, e *referralEntry) []any {
	r := e.R
	var assignee any
	if r.AssignedTo != uuid.Nil {
		assignee = r.AssignedTo[:]
	}
	work := workKey(e)
	made := newestFirst(r.MadeAt, id)
	open := 0
	if r.Open() {
		open = 1
	}
	row := make([]any, 0, len(referralColumns))
	return append(row, id[:], string(domain.ReferenceOf(id)), r.ClientID[:], string(r.Status), open, r.FromOrganisationID[:],
		r.ToOrganisationID[:], assignee, work.at, int(work.rank), made.at)
}

// writeChanged updates, in referral id's row as was left it, the columns
// e changes, and only those (the state always). A row written whole (INSERT
// OR REPLACE) is deleted and inserted again, with its entry in each of the
// table's ten indexes, a page each, and an UPDATE rewrites the entries of
// the indexes over the columns it sets: setting only what changed leaves
// the lists an event does not move a referral in as they are (a note moves
// it in none). It reports false, having written nothing, when the row is
// not there (then the caller writes it whole).
func (p *Referrals) writeChanged(b *Batch, id uuid.UUID, was, e *referralEntry) (bool, error) {
	old, now := referralKeys(id, was), referralRow(id, e)
	// The state is set whatever else changes: it holds the revision.
	mask := uint32(1) << stateColumn
	for i := 1; i < stateColumn; i++ {
		if !sameColumn(old[i], now[i]) {
			mask |= 1 << i
		}
	}
	q, ok := p.updates[mask]
	if !ok {
		var set strings.Builder
		for i := 1; i < len(now); i++ {
			if mask&(1<<i) != 0 {
				if set.Len() > 0 {
					set.WriteString(", ")
				}
				set.WriteString(referralColumns[i] + " = ?")
			}
		}
		q = "UPDATE referrals SET " + set.String() + " WHERE id = ?"
		if p.updates == nil {
			p.updates = map[uint32]string{}
		}
		p.updates[mask] = q
	}
	args := make([]any, 0, len(now))
	for i := 1; i < len(now); i++ {
		if mask&(1<<i) != 0 {
			args = append(args, now[i])
		}
	}
	s, err := b.stmt(q)
	if err != nil {
		return false, err
	}
	res, err := s.ExecContext(b.sctx, append(args, id[:])...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// sameColumn reports whether two values of a row's column are the same.
func sameColumn(a, b any) bool {
	switch a := a.(type) {
	case []byte:
		b, ok := b.([]byte)
		return ok && bytes.Equal(a, b)
	case nil:
		return b == nil
	case string:
		b, ok := b.(string)
		return ok && a == b
	case int:
		b, ok := b.(int)
		return ok && a == b
	case int64:
		b, ok := b.(int64)
		return ok && a == b
	}
	return false
}

// workKey is where a referral sits in the work lists: its next deadline
// when open, when it ended otherwise.
func workKey(e *referralEntry) sortKey {
	if e.R.Open() {
		return soonestFirst(e.Next, e.R.UrgentNow(), e.R.ID)
	}
	return newestFirst(e.R.EndedAt(), e.R.ID)
}

// withoutClientData drops what a referral state may carry beyond ids,
// statuses and times: the public codec leaves these fields zero already,
// and the read model keeps no copy even if a caller feeds it decrypted
// events.
func withoutClientData(r domain.Referral) domain.Referral {
	r.Client, r.Reason, r.Comment, r.UrgencyFeedback = domain.Client{}, "", "", ""
	r.DeclineComment, r.ForwardComment, r.ForwardedFromComment, r.WithdrawReason, r.ReopenReason = "", "", "", "", ""
	r.Consent, r.SafeguardingOverride, r.Notes, r.CaseNotes = nil, nil, nil, nil
	return r
}

// get returns the committed referral id, nil when none. Errors:
// ErrUnreadable, rather than none.
func (p *Referrals) get(id uuid.UUID) (*referralEntry, error) {
	p.mu.Lock()
	if e, ok := p.cache[id]; ok {
		p.mu.Unlock()
		return e, nil
	}
	cp := p.checkpoint
	p.mu.Unlock()
	e, err := scanEntry(p.views.db.QueryRow(`SELECT state FROM referrals WHERE id = ?`, id[:]))
	if err != nil {
		return nil, unreadable("a referral", err)
	}
	if e == nil {
		return nil, nil
	}
	p.mu.Lock()
	// Cache only what no batch committed meanwhile could have changed: a
	// committed batch caches what it wrote itself.
	if p.checkpoint == cp {
		p.cacheLocked(id, e)
	}
	p.mu.Unlock()
	return e, nil
}

// byReferenceQuery reads the referrals with one reference.
const byReferenceQuery = `SELECT state FROM referrals WHERE reference = ? ORDER BY made_at DESC, id`

// byReference returns the referrals with ref, in the order they were made.
// Errors: ErrUnreadable, rather than none (or some of them).
func (p *Referrals) byReference(ref domain.Reference) ([]*referralEntry, error) {
	out, err := p.scanByReference(ref)
	if err != nil {
		return nil, unreadable("referrals by reference", err)
	}
	return out, nil
}

func (p *Referrals) scanByReference(ref domain.Reference) ([]*referralEntry, error) {
	rows, err := p.byRef.Query(string(ref))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*referralEntry
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return nil, err
		}
		if e != nil {
			out = append(out, e)
		}
	}
	return out, rows.Err()
}
