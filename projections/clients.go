package projections

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
)

// Clients indexes clients by id only, never by their data: which
// organisations hold a referral for each client (so a new referral may name
// an existing client only where its referrer knows it, and only they may
// request erasure), which erasure request belongs to which client, and
// which clients are being or have been erased.
//
// It interprets no event itself: each referral is folded by
// domain.EvolveReferral and each client's record by domain.EvolveClient,
// and the index reads the states they return (whether a referral is open,
// when it ended, who it involves; which erasure requests a client has,
// whether their erasure started or completed). So whatever the domain
// counts as open again (a reopened referral) keeps the client from the
// retention rule (R-PRIV-5) without any change here.
//
// It lives in the views database (tables clients, client_referrals,
// client_orgs and erasure_requests), its rows changed in the same
// transaction as its checkpoint, so a restart resumes from the checkpoint.
// Memory holds only bounded caches and the rows of the batch being
// applied. The methods are safe for concurrent use; the reads answer from
// what is committed.
type Clients struct {
	views *Views
	reads clientsReads

	mu       sync.Mutex // the batch being applied
	batch    *Batch
	batchPos eventstore.Position
	d        *clientsBatch // nil outside a batch
	// fresh, while the views are rebuilt from nothing, holds every client
	// whose row was written since: a client it has not seen has no row
	// to read (a new client's first referral needs no query).
	fresh *streamFilter

	cmu        sync.RWMutex // the committed state's caches
	checkpoint eventstore.Position
	refs       map[uuid.UUID]*clientReferral // referral → its fold
	rows       map[uuid.UUID]clientRow       // client → their row (zero: none)
	cases      map[uuid.UUID]*clientCase     // client → organisations and referrals
	// erasedSet holds every client whose erasure started, as committed,
	// in fixed memory: IsErased answers most clients (those not erased)
	// from it without a query.
	erasedSet erasedFilter
}

// clientsView names the clients index's checkpoint.
const clientsView = "clients"

// Bounds of the clients index's caches.
const (
	clientRowsMax  = 16384
	clientCasesMax = 4096
	clientRefsMax  = 4096
)

// clientReferral is one referral as the index folds it.
type clientReferral struct {
	made eventstore.Position // where its first event is: the order of a client's referrals
	r    domain.Referral     // without client data or notes
}

// erasedFilter is a Bloom filter: it may say a client is held who is not
// (then the database answers), never the reverse. Clients are only ever
// added: an erasure, once started, is never undone. Its bits are set and
// read atomically, so readers take no lock; they are allocated at the
// first erasure (1 MiB: under 2% false answers at a million erased
// clients).
type erasedFilter struct {
	seed maphash.Seed
	bits atomic.Pointer[[]atomic.Uint64]
}

const (
	erasedFilterWords  = 1 << 17 // of 64 bits
	erasedFilterHashes = 4
)

func (f *erasedFilter) probes(id uuid.UUID) [erasedFilterHashes]uint32 {
	h := maphash.Bytes(f.seed, id[:])
	h1, h2 := uint32(h), uint32(h>>32)|1
	var out [erasedFilterHashes]uint32
	for i := range out {
		out[i] = (h1 + uint32(i)*h2) % (erasedFilterWords * 64)
	}
	return out
}

func (f *erasedFilter) add(id uuid.UUID) {
	bits := f.bits.Load()
	if bits == nil {
		b := make([]atomic.Uint64, erasedFilterWords)
		if !f.bits.CompareAndSwap(nil, &b) {
			bits = f.bits.Load()
		} else {
			bits = &b
		}
	}
	for _, bit := range f.probes(id) {
		(*bits)[bit/64].Or(1 << (bit % 64))
	}
}

func (f *erasedFilter) mayHold(id uuid.UUID) bool {
	bits := f.bits.Load()
	if bits == nil {
		return false
	}
	for _, bit := range f.probes(id) {
		if (*bits)[bit/64].Load()&(1<<(bit%64)) == 0 {
			return false
		}
	}
	return true
}

func (f *erasedFilter) reset() {
	f.seed = maphash.MakeSeed()
	f.bits.Store(nil)
}

// clientRow is what the index holds about one client.
type clientRow struct {
	open    int       // referrals open now
	ended   time.Time // when a referral of theirs last ended; zero if none did
	sealed  bool      // data sealed under their key is in the ledger
	erasing uuid.UUID // the erasure request being carried out
	erased  bool      // their erasure is complete
}

func (r clientRow) isErased() bool { return r.erasing != uuid.Nil || r.erased }

// clientCase is a client's organisations and referrals, as the access
// checks read them.
type clientCase struct {
	orgs []uuid.UUID
	refs []uuid.UUID // in the order made
}

// clientsBatch is what a batch changed, written when it commits.
type clientsBatch struct {
	refs map[uuid.UUID]*clientReferral
	// stored holds, for each referral of refs that was committed before
	// the batch changed it, its client and position as committed: when
	// they stay, the batch updates only the referral's state, leaving its
	// entry in client_referrals_client as it is (not rewritten, a page).
	stored   map[uuid.UUID]clientReferralKey
	rows     map[uuid.UUID]clientRow
	orgs     map[[2]uuid.UUID]struct{}                  // client, organisation
	requests map[uuid.UUID]map[uuid.UUID]ErasureRequest // client → all their requests
	touched  map[uuid.UUID]struct{}                     // clients whose case changed
}

// clientReferralKey is what client_referrals_client indexes of a
// referral.
type clientReferralKey struct {
	client uuid.UUID
	made   eventstore.Position
}

// clientsReads are the statements the reads run, prepared once.
type clientsReads struct {
	row, cases, request, requestClient *sql.Stmt
}

// NewClients returns an empty index kept in a private in-memory database.
func NewClients() *Clients {
	p, err := OpenClients(context.Background(), openMemoryViews())
	if err != nil {
		panic(err)
	}
	return p
}

// OpenClients returns the index kept in views, resuming from its
// checkpoint there.
func OpenClients(ctx context.Context, views *Views) (*Clients, error) {
	cp, err := views.Checkpoint(ctx, clientsView)
	if err != nil {
		return nil, err
	}
	p := &Clients{views: views, checkpoint: cp}
	p.clearCaches()
	p.erasedSet.reset()
	erased, err := scanIDs(views.db.QueryContext(ctx, `SELECT client FROM clients WHERE erasing IS NOT NULL
		UNION SELECT client FROM clients WHERE erased = 1`))
	if err != nil {
		return nil, fmt.Errorf("views: clients: %w", err)
	}
	for _, id := range erased {
		p.erasedSet.add(id)
	}
	for _, s := range []struct {
		to    **sql.Stmt
		query string
	}{
		{&p.reads.row, `SELECT open, ended_at, ended_zone, sealed, erasing, erased FROM clients WHERE client = ?`},
		// A client's organisations (kind 0), then their referrals in the
		// order made (kind 1).
		{&p.reads.cases, `SELECT 0, org, 0 FROM client_orgs WHERE client = ?1
			UNION ALL SELECT 1, id, made FROM client_referrals WHERE client = ?1 ORDER BY 1, 3`},
		{&p.reads.request, `SELECT ` + requestColumns + ` FROM erasure_requests WHERE id = ?`},
		{&p.reads.requestClient, `SELECT client FROM erasure_requests WHERE id = ?`},
	} {
		if *s.to, err = views.db.PrepareContext(ctx, s.query); err != nil {
			return nil, fmt.Errorf("views: clients: %w", err)
		}
	}
	return p, nil
}

func (p *Clients) clearCaches() {
	p.refs, p.rows, p.cases = map[uuid.UUID]*clientReferral{}, map[uuid.UUID]clientRow{}, map[uuid.UUID]*clientCase{}
}

func (p *Clients) forget() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.batch, p.batchPos, p.d, p.fresh = nil, 0, nil, nil
	p.cmu.Lock()
	defer p.cmu.Unlock()
	p.checkpoint = 0
	p.clearCaches()
	p.erasedSet.reset()
}

// ViewName implements Persistent.
func (p *Clients) ViewName() string { return clientsView }

// DeferredIndexes implements DeferredIndexes: the indexes only reads use
// (applying events reads rows by primary key, and erasure requests by
// client).
func (p *Clients) DeferredIndexes() []string {
	return []string{"clients_retention", "clients_with_data", "clients_erasing", "clients_erased", "client_referrals_client"}
}

// ViewsDB implements Persistent.
func (p *Clients) ViewsDB() *Views { return p.views }

// Checkpoint returns the global position of the last event applied.
func (p *Clients) Checkpoint() eventstore.Position {
	p.cmu.RLock()
	defer p.cmu.RUnlock()
	return p.checkpoint
}

// Apply implements Projection, applying one event in a transaction of its
// own; see Referrals.Apply.
func (p *Clients) Apply(stored eventstore.RecordedEvent, rec domain.Recorded) {
	if err := applyAlone(p, stored, rec); err != nil {
		panic(err)
	}
}

// ApplyIn implements Persistent.
func (p *Clients) ApplyIn(b *Batch, stored eventstore.RecordedEvent, rec domain.Recorded) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.batch != b {
		p.join(b)
	}
	if stored.Position <= p.batchPos {
		return nil
	}
	p.batchPos = stored.Position
	if subject, ok := rec.Event.(domain.Sensitive); ok && rec.Withheld {
		// The public codec withholds only what was sealed: the client's
		// key is needed to read this event.
		client := subject.DataSubject()
		row, err := p.row(b, client)
		if err != nil {
			return err
		}
		if !row.sealed {
			row.sealed = true
			p.d.rows[client] = row
		}
	}
	if id, ok := ledger.ReferralIDFromStream(stored.Stream); ok {
		// The first event of a stream has nothing before it to load.
		first := stored.Revision == 0 && stored.Type == domain.ReferralMadeType
		return p.applyReferral(b, id, stored.Position, first, rec)
	}
	if id, ok := clientOfStream(stored.Stream); ok {
		return p.applyClient(b, id, stored.Position, rec)
	}
	return nil
}

// applyReferral folds a referral's event and moves its client's counts by
// what changed. The caller holds p.mu.
func (p *Clients) applyReferral(b *Batch, id uuid.UUID, pos eventstore.Position, first bool, rec domain.Recorded) error {
	var was, dirty *clientReferral
	if !first {
		dirty = p.d.refs[id]
		var err error
		if was, err = p.referral(b, id); err != nil {
			return err
		}
		if dirty == nil && was != nil {
			p.d.stored[id] = clientReferralKey{client: was.r.ClientID, made: was.made} // as committed
		}
	}
	var prev domain.Referral
	if was != nil {
		prev = was.r
	}
	// An entry changed earlier in the batch, which alone holds it (was
	// is that entry), changes in place.
	e := dirty
	if e == nil {
		e = &clientReferral{made: pos}
		if was != nil {
			e.made = was.made
		}
	}
	r := withoutClientData(domain.EvolveReferral(prev, rec))
	if !r.Exists {
		return nil // a stream always starts with referral.made
	}
	e.r = r
	p.d.refs[id] = e
	client := r.ClientID
	if was == nil || prev.ClientID != client || prev.FromOrganisationID != r.FromOrganisationID ||
		prev.ToOrganisationID != r.ToOrganisationID {
		p.d.orgs[[2]uuid.UUID{client, r.FromOrganisationID}] = struct{}{}
		p.d.orgs[[2]uuid.UUID{client, r.ToOrganisationID}] = struct{}{}
		p.d.touched[client] = struct{}{}
	}
	row, err := p.row(b, client)
	if err != nil {
		return err
	}
	changed := false
	switch {
	case r.Open() && !prev.Open():
		row.open++
		changed = true
	case !r.Open() && prev.Open():
		row.open--
		changed = true
	}
	if ended := r.EndedAt(); !r.Open() && ended.After(row.ended) {
		row.ended = ended
		changed = true
	}
	if changed {
		p.d.rows[client] = row
	}
	return nil
}

// applyClient folds an event of a client's stream into their record and
// takes the erasure requests and the erasure's progress from it. The
// caller holds p.mu.
func (p *Clients) applyClient(b *Batch, client uuid.UUID, pos eventstore.Position, rec domain.Recorded) error {
	row, err := p.row(b, client)
	if err != nil {
		return err
	}
	requests, err := p.requests(b, client)
	if err != nil {
		return err
	}
	// The record as the domain folds it: the index keeps what it reads of
	// it (the locks read model keeps locks).
	was := domain.ClientRecord{ID: client, Exists: true, Erasing: row.erasing, Erased: row.erased,
		Requests: make(map[uuid.UUID]domain.ErasureRequest, len(requests))}
	for id, r := range requests {
		was.Requests[id] = domain.ErasureRequest{ID: id, Status: r.Status, OrganisationID: r.OrganisationID}
	}
	c := domain.EvolveClient(was, rec)
	var now map[uuid.UUID]ErasureRequest
	for request, r := range c.Requests {
		// The coordinator's list: who asked and when is the event that
		// first showed the request; who decided and when, the one that
		// changed its status.
		e, known := requests[request]
		switch {
		case !known:
			e = ErasureRequest{RequestID: request, ClientID: client, Status: r.Status, OrganisationID: r.OrganisationID,
				RequestedBy: rec.ActorUserID, RequestedAt: rec.At, seq: uint64(pos)}
		case e.Status != r.Status:
			e.Status, e.DecidedBy, e.DecidedAt = r.Status, rec.ActorUserID, rec.At
		default:
			continue
		}
		if now == nil {
			now = make(map[uuid.UUID]ErasureRequest, len(requests)+1)
			for id, r := range requests {
				now[id] = r
			}
		}
		now[request] = e
	}
	if now != nil {
		p.d.requests[client] = now
	}
	next := row
	next.erasing = c.Erasing
	if c.Erased {
		next.erased = true
	}
	if next != row {
		p.d.rows[client] = next
	}
	return nil
}

// sortedIDs returns the keys of m in byte order: rows written in key
// order visit the table's pages once each, in order.
func sortedIDs[V any](m map[uuid.UUID]V) []uuid.UUID {
	ids := make([]uuid.UUID, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	return ids
}

func clientOfStream(stream string) (uuid.UUID, bool) {
	const prefix = "client-"
	if len(stream) <= len(prefix) || stream[:len(prefix)] != prefix {
		return uuid.Nil, false
	}
	id, err := uuid.Parse(stream[len(prefix):])
	return id, err == nil
}

// join makes b the batch the index's changes go to: they are written with
// its checkpoint before b commits, and cached once it has.
func (p *Clients) join(b *Batch) {
	p.batch, p.batchPos = b, p.Checkpoint()
	p.fresh = freshDuring(b, p.fresh, p.batchPos)
	p.d = &clientsBatch{refs: map[uuid.UUID]*clientReferral{}, stored: map[uuid.UUID]clientReferralKey{}, rows: map[uuid.UUID]clientRow{},
		orgs: map[[2]uuid.UUID]struct{}{}, requests: map[uuid.UUID]map[uuid.UUID]ErasureRequest{},
		touched: map[uuid.UUID]struct{}{}}
	b.onFlush(func(b *Batch) error {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.write(b)
	})
	b.onCommit(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.cmu.Lock()
		defer p.cmu.Unlock()
		for id, e := range p.d.refs {
			p.cacheRef(id, e)
		}
		for id, r := range p.d.rows {
			p.cacheRow(id, r)
			if r.isErased() {
				p.erasedSet.add(id)
			}
		}
		for id := range p.d.touched {
			delete(p.cases, id)
		}
		p.checkpoint, p.batch, p.d = p.batchPos, nil, nil
	})
	b.onRollback(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.batch, p.d = nil, nil
		p.batchPos = p.Checkpoint()
	})
}

// write stores the rows the batch changed, and the checkpoint. The caller
// holds p.mu.
func (p *Clients) write(b *Batch) error {
	refs := b.inserter(`INSERT OR REPLACE INTO client_referrals (id, client, made, state) VALUES`, 4)
	for _, id := range sortedIDs(p.d.refs) {
		e := p.d.refs[id]
		state := encodeEntry(&referralEntry{R: e.r})
		if k, ok := p.d.stored[id]; ok && k == (clientReferralKey{client: e.r.ClientID, made: e.made}) && !b.Rebuilding() {
			s, err := b.stmt(`UPDATE client_referrals SET state = ? WHERE id = ?`)
			if err != nil {
				return err
			}
			res, err := s.ExecContext(b.sctx, state, id[:])
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 1 {
				continue
			}
		}
		if err := refs.add(id[:], e.r.ClientID[:], int64(e.made), state); err != nil {
			return err
		}
	}
	if err := refs.flush(); err != nil {
		return err
	}
	rows := b.inserter(`INSERT OR REPLACE INTO clients (client, open, ended_at, ended_zone, sealed, erasing, erased) VALUES`, 7)
	for _, id := range sortedIDs(p.d.rows) {
		r := p.d.rows[id]
		at, zone := timeColumns(r.ended)
		var erasing any
		if r.erasing != uuid.Nil {
			erasing = r.erasing[:]
		}
		if err := rows.add(id[:], r.open, at, zone, r.sealed, erasing, r.erased); err != nil {
			return err
		}
		if p.fresh != nil {
			p.fresh.addKey(id[:]) // kept if the batch rolls back: it may only say too much
		}
	}
	if err := rows.flush(); err != nil {
		return err
	}
	pairs := make([][2]uuid.UUID, 0, len(p.d.orgs))
	for pair := range p.d.orgs {
		pairs = append(pairs, pair)
	}
	slices.SortFunc(pairs, func(a, b [2]uuid.UUID) int {
		if c := bytes.Compare(a[0][:], b[0][:]); c != 0 {
			return c
		}
		return bytes.Compare(a[1][:], b[1][:])
	})
	orgs := b.inserter(`INSERT OR IGNORE INTO client_orgs (client, org) VALUES`, 2)
	for _, pair := range pairs {
		if err := orgs.add(pair[0][:], pair[1][:]); err != nil {
			return err
		}
	}
	if err := orgs.flush(); err != nil {
		return err
	}
	for _, requests := range p.d.requests {
		for id, r := range requests {
			reqAt, reqZone := timeColumns(r.RequestedAt)
			decAt, decZone := timeColumns(r.DecidedAt)
			if err := b.exec(`INSERT OR REPLACE INTO erasure_requests (id, client, status, org, requested_by, requested_at,
				requested_zone, decided_by, decided_at, decided_zone, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				id[:], r.ClientID[:], string(r.Status), r.OrganisationID[:], r.RequestedBy[:], reqAt, reqZone,
				r.DecidedBy[:], decAt, decZone, int64(r.seq)); err != nil {
				return err
			}
		}
	}
	return b.SetCheckpoint(clientsView, p.batchPos)
}

// referral returns the referral id as the batch leaves it, nil when none.
// The caller holds p.mu.
func (p *Clients) referral(b *Batch, id uuid.UUID) (*clientReferral, error) {
	if e, ok := p.d.refs[id]; ok {
		return e, nil
	}
	p.cmu.RLock()
	e, ok := p.refs[id]
	p.cmu.RUnlock()
	if ok {
		return e, nil
	}
	row, err := b.queryRow(`SELECT made, state FROM client_referrals WHERE id = ?`, id[:])
	if err != nil {
		return nil, err
	}
	var made int64
	var state []byte
	if err := row.Scan(&made, &state); errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	entry, err := decodeEntry(state)
	if err != nil {
		return nil, err
	}
	e = &clientReferral{made: eventstore.Position(made), r: entry.R}
	// Read in the batch's transaction before it wrote anything: what is
	// committed, which no one else can change while the batch is open.
	p.cmu.Lock()
	p.cacheRef(id, e)
	p.cmu.Unlock()
	return e, nil
}

// row returns the client's row as the batch leaves it. The caller holds
// p.mu.
func (p *Clients) row(b *Batch, client uuid.UUID) (clientRow, error) {
	if r, ok := p.d.rows[client]; ok {
		return r, nil
	}
	if p.fresh != nil && !p.fresh.mayHaveKey(client[:]) {
		return clientRow{}, nil
	}
	p.cmu.RLock()
	r, ok := p.rows[client]
	p.cmu.RUnlock()
	if ok {
		return r, nil
	}
	s, err := b.stmt(`SELECT open, ended_at, ended_zone, sealed, erasing, erased FROM clients WHERE client = ?`)
	if err != nil {
		return clientRow{}, err
	}
	if r, err = scanClientRow(s.QueryRowContext(b.sctx, client[:])); err != nil {
		return clientRow{}, err
	}
	p.cmu.Lock()
	p.cacheRow(client, r)
	p.cmu.Unlock()
	return r, nil
}

// requests returns the client's erasure requests as the batch leaves
// them. The caller holds p.mu.
func (p *Clients) requests(b *Batch, client uuid.UUID) (map[uuid.UUID]ErasureRequest, error) {
	if m, ok := p.d.requests[client]; ok {
		return m, nil
	}
	s, err := b.stmt(`SELECT ` + requestColumns + ` FROM erasure_requests WHERE client = ?`)
	if err != nil {
		return nil, err
	}
	rows, err := s.QueryContext(b.sctx, client[:])
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[uuid.UUID]ErasureRequest{}
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, err
		}
		out[r.RequestID] = r
	}
	return out, rows.Err()
}

// The caches, emptied when full: memory stays bounded whatever the size
// of the log. The callers hold p.cmu for writing.
func (p *Clients) cacheRef(id uuid.UUID, e *clientReferral) {
	if _, ok := p.refs[id]; !ok && len(p.refs) >= clientRefsMax {
		clear(p.refs)
	}
	p.refs[id] = e
}

func (p *Clients) cacheRow(id uuid.UUID, r clientRow) {
	if _, ok := p.rows[id]; !ok && len(p.rows) >= clientRowsMax {
		clear(p.rows)
	}
	p.rows[id] = r
}

func (p *Clients) cacheCase(id uuid.UUID, c *clientCase) {
	if _, ok := p.cases[id]; !ok && len(p.cases) >= clientCasesMax {
		clear(p.cases)
	}
	p.cases[id] = c
}

func scanClientRow(row interface{ Scan(...any) error }) (clientRow, error) {
	var r clientRow
	var at, zone sql.NullInt64
	var erasing []byte
	switch err := row.Scan(&r.open, &at, &zone, &r.sealed, &erasing, &r.erased); {
	case errors.Is(err, sql.ErrNoRows):
		return clientRow{}, nil
	case err != nil:
		return clientRow{}, err
	}
	r.ended = timeOf(at, zone)
	if len(erasing) == len(r.erasing) {
		copy(r.erasing[:], erasing)
	}
	return r, nil
}

// requestColumns are the columns scanRequest reads.
const requestColumns = `id, client, status, org, requested_by, requested_at, requested_zone, decided_by, decided_at, decided_zone, seq`

func scanRequest(row interface{ Scan(...any) error }) (ErasureRequest, error) {
	var r ErasureRequest
	var id, client, org, by, decidedBy []byte
	var status string
	var reqAt, reqZone, decAt, decZone sql.NullInt64
	var seq int64
	if err := row.Scan(&id, &client, &status, &org, &by, &reqAt, &reqZone, &decidedBy, &decAt, &decZone, &seq); err != nil {
		return ErasureRequest{}, err
	}
	for _, f := range []struct {
		to   *uuid.UUID
		from []byte
	}{{&r.RequestID, id}, {&r.ClientID, client}, {&r.OrganisationID, org}, {&r.RequestedBy, by}, {&r.DecidedBy, decidedBy}} {
		if len(f.from) != len(f.to) {
			return ErasureRequest{}, errors.New("views: an erasure request's row is damaged")
		}
		copy(f.to[:], f.from)
	}
	r.Status, r.seq = domain.ErasureStatus(status), uint64(seq)
	r.RequestedAt, r.DecidedAt = timeOf(reqAt, reqZone), timeOf(decAt, decZone)
	return r, nil
}

// timeColumns stores an instant as unix nanoseconds and its zone's offset
// (NULL, NULL for the zero time), as the referrals' rows keep instants.
func timeColumns(t time.Time) (any, any) {
	if t.IsZero() {
		return nil, nil
	}
	_, off := t.Zone()
	return t.UnixNano(), off
}

func timeOf(at, zone sql.NullInt64) time.Time {
	if !at.Valid {
		return time.Time{}
	}
	t := time.Unix(0, at.Int64)
	if zone.Int64 == 0 {
		return t.UTC()
	}
	return t.In(time.FixedZone("", int(zone.Int64)))
}

// committedRow returns the client's committed row, from the cache or the
// database.
func (p *Clients) committedRow(client uuid.UUID) (clientRow, error) {
	p.cmu.RLock()
	r, ok := p.rows[client]
	cp := p.checkpoint
	p.cmu.RUnlock()
	if ok {
		return r, nil
	}
	r, err := scanClientRow(p.reads.row.QueryRow(client[:]))
	if err != nil {
		return clientRow{}, err
	}
	p.cmu.Lock()
	// Cache only what no batch committed meanwhile could have changed: a
	// committed batch caches what it wrote itself.
	if p.checkpoint == cp {
		p.cacheRow(client, r)
	}
	p.cmu.Unlock()
	return r, nil
}

// caseOf returns the client's organisations and referrals as committed.
func (p *Clients) caseOf(client uuid.UUID) (*clientCase, error) {
	p.cmu.RLock()
	c, ok := p.cases[client]
	cp := p.checkpoint
	p.cmu.RUnlock()
	if ok {
		return c, nil
	}
	c = &clientCase{}
	rows, err := p.reads.cases.Query(client[:])
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var kind int
		var b []byte
		var made int64
		if err := rows.Scan(&kind, &b, &made); err != nil {
			return nil, err
		}
		id, err := uuid.FromBytes(b)
		if err != nil {
			return nil, err
		}
		if kind == 0 {
			c.orgs = append(c.orgs, id)
		} else {
			c.refs = append(c.refs, id)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	p.cmu.Lock()
	if p.checkpoint == cp {
		p.cacheCase(client, c)
	}
	p.cmu.Unlock()
	return c, nil
}

func scanIDs(rows *sql.Rows, err error) ([]uuid.UUID, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []uuid.UUID
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		id, err := uuid.FromBytes(b)
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// OrganisationKnowsClient reports whether org made or received a referral
// for client. Errors: ErrUnreadable, rather than "no": a check that lets
// someone in or keeps them out cannot answer from views it cannot read
// (R-OPS-4).
func (p *Clients) OrganisationKnowsClient(org, client uuid.UUID) (bool, error) {
	c, err := p.caseOf(client)
	if err != nil {
		return false, unreadable("a client's organisations", err)
	}
	return slices.Contains(c.orgs, org), nil
}

// ReferralsOf lists the client's referrals in the order they were made.
// Errors: ErrUnreadable, rather than no referral.
func (p *Clients) ReferralsOf(client uuid.UUID) ([]uuid.UUID, error) {
	c, err := p.caseOf(client)
	if err != nil {
		return nil, unreadable("a client's referrals", err)
	}
	if len(c.refs) == 0 {
		return nil, nil
	}
	return append([]uuid.UUID(nil), c.refs...), nil
}

// ClientOfErasureRequest returns the client an erasure request is about,
// and false when there is no such request. Errors: ErrUnreadable, rather
// than "no such request".
func (p *Clients) ClientOfErasureRequest(request uuid.UUID) (uuid.UUID, bool, error) {
	var b []byte
	switch err := p.reads.requestClient.QueryRow(request[:]).Scan(&b); {
	case errors.Is(err, sql.ErrNoRows):
		return uuid.Nil, false, nil
	case err != nil:
		return uuid.Nil, false, unreadable("an erasure request's client", err)
	}
	c, err := uuid.FromBytes(b)
	if err != nil {
		return uuid.Nil, false, unreadable("an erasure request's client", err)
	}
	return c, true, nil
}

// IsErased reports whether the ledger records the client's erasure as
// started or complete, for what the pages and lists show. It answers false
// when the views cannot be read; keys are checked with CheckErased, which says
// so.
func (p *Clients) IsErased(client uuid.UUID) bool {
	erased, err := p.CheckErased(client)
	return err == nil && erased
}

// CheckErased implements ledger.ErasedClients: whether the ledger records the
// client's erasure as started or complete; from the intent on, no key of
// theirs may be used (R-PRIV-8). Errors: ErrUnreadable, for a client the
// index may hold as erased whose row cannot be read, rather than "not
// erased", which would let a key a restored backup brought back be used,
// or "erased", which would destroy a live client's key.
func (p *Clients) CheckErased(client uuid.UUID) (bool, error) {
	if !p.erasedSet.mayHold(client) {
		return false, nil
	}
	r, err := p.committedRow(client)
	if err != nil {
		return false, unreadable("a client's erasure", err)
	}
	return r.isErased(), nil
}

// RetentionDue is a client whose data the retention rule will shred.
type RetentionDue struct {
	ClientID   uuid.UUID
	LastClosed time.Time
	Due        time.Time
}

// DueForRetention lists the clients, not yet erased, none of whose
// referrals is open (domain.Referral.Open) and whose last referral ended
// at least period before now, soonest due first (R-PRIV-5). With upcoming
// true it lists every client none of whose referrals is open, with when
// each will be due. It lists none when the views cannot be read: the
// retention rule and the coordinator's retention page use Due, which says
// so.
func (p *Clients) DueForRetention(now time.Time, period time.Duration, upcoming bool) []RetentionDue {
	due, _ := p.Due(now, period, upcoming)
	return due
}

// Due is DueForRetention, returning the error when the views cannot be
// read, rather than no client: a retention run that cannot see who is due
// has failed, and must say so (R-PRIV-5, R-OPS-4).
func (p *Clients) Due(now time.Time, period time.Duration, upcoming bool) ([]RetentionDue, error) {
	query := `SELECT client, ended_at, ended_zone FROM clients
		WHERE open = 0 AND erasing IS NULL AND erased = 0 AND ended_at IS NOT NULL`
	args := []any{}
	if !upcoming {
		// due = ended + period is not after now.
		query += ` AND ended_at <= ?`
		args = append(args, now.Add(-period).UnixNano())
	}
	rows, err := p.views.db.Query(query+` ORDER BY ended_at, client`, args...)
	if err != nil {
		return nil, fmt.Errorf("views: clients due for retention: %w", err)
	}
	defer rows.Close()
	var out []RetentionDue
	for rows.Next() {
		var id []byte
		var at, zone sql.NullInt64
		if err := rows.Scan(&id, &at, &zone); err != nil {
			return nil, fmt.Errorf("views: clients due for retention: %w", err)
		}
		client, err := uuid.FromBytes(id)
		if err != nil {
			return nil, fmt.Errorf("views: clients due for retention: %w", err)
		}
		last := timeOf(at, zone)
		due := last.Add(period)
		if upcoming || !due.After(now) {
			out = append(out, RetentionDue{ClientID: client, LastClosed: last, Due: due})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("views: clients due for retention: %w", err)
	}
	return out, nil
}

// ErrUnreadable marks the error of a read of the views that failed: the
// database (views.db) could not be read. Such a read answers the error,
// never an empty list, which would pass for "no client" (R-OPS-4).
var ErrUnreadable = errors.New("the views cannot be read")

// unreadable marks err, from a read of what, as ErrUnreadable.
func unreadable(what string, err error) error {
	return fmt.Errorf("views: %s: %w: %w", what, ErrUnreadable, err)
}

// ClientsWithData lists the clients, not erased or being erased, with
// data in the ledger sealed under their key: those whose key must be in
// the key store (R-OPS-4). Errors: ErrUnreadable.
func (p *Clients) ClientsWithData() ([]uuid.UUID, error) {
	return p.list("clients with data", `SELECT client FROM clients WHERE sealed = 1 AND erasing IS NULL AND erased = 0`)
}

// ErasingClients lists clients whose erasure is started but not complete.
// Errors: ErrUnreadable.
func (p *Clients) ErasingClients() ([]uuid.UUID, error) {
	return p.list("clients being erased", `SELECT client FROM clients WHERE erasing IS NOT NULL`)
}

// ErasedClients lists clients whose erasure is complete. Errors:
// ErrUnreadable.
func (p *Clients) ErasedClients() ([]uuid.UUID, error) {
	return p.list("erased clients", `SELECT client FROM clients WHERE erased = 1`)
}

func (p *Clients) list(what, query string) ([]uuid.UUID, error) {
	ids, err := scanIDs(p.views.db.Query(query))
	if err != nil {
		return nil, unreadable(what, err)
	}
	if ids == nil {
		ids = []uuid.UUID{}
	}
	return ids, nil
}

// ErasureRequest is an erasure request as the coordinator's list shows it
// (R-PRIV-2): ids, who asked and what was decided, never the request's
// reason, which is client data.
type ErasureRequest struct {
	RequestID      uuid.UUID
	ClientID       uuid.UUID
	Status         domain.ErasureStatus
	OrganisationID uuid.UUID // the organisation that passed the request on
	RequestedBy    uuid.UUID
	RequestedAt    time.Time
	DecidedBy      uuid.UUID
	DecidedAt      time.Time
	seq            uint64 // its place among the requests, in log order
	// ClientErased is true when the client's data is erased, or being
	// erased: by this request, another, or the retention rule. A request
	// still waiting can then only be refused.
	ClientErased bool
}

// WaitingErasures lists the erasure requests waiting for a decision,
// oldest first. Errors: ErrUnreadable, rather than no request.
func (p *Clients) WaitingErasures() ([]ErasureRequest, error) {
	out, err := p.waitingErasures()
	if err != nil {
		return nil, unreadable("erasure requests waiting", err)
	}
	for i := range out {
		// Whether the client is erased is read as the request is: an
		// erasure that cannot be read is the error, not "not erased".
		if out[i].ClientErased, err = p.CheckErased(out[i].ClientID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (p *Clients) waitingErasures() ([]ErasureRequest, error) {
	rows, err := p.views.db.Query(`SELECT ` + requestColumns + ` FROM erasure_requests
		WHERE status = 'requested' ORDER BY requested_at, seq, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ErasureRequest
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// LatestErasureRequest is the erasure request for client that org passed
// on most recently, whatever became of it; false when it passed on none.
// Errors: ErrUnreadable.
func (p *Clients) LatestErasureRequest(client, org uuid.UUID) (ErasureRequest, bool, error) {
	r, err := scanRequest(p.views.db.QueryRow(`SELECT `+requestColumns+` FROM erasure_requests
		WHERE client = ? AND org = ? ORDER BY requested_at DESC, seq DESC, id DESC LIMIT 1`, client[:], org[:]))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return ErasureRequest{}, false, nil
	case err != nil:
		return ErasureRequest{}, false, unreadable("an erasure request", err)
	}
	return r, true, nil
}

// ErasureRequest returns the erasure request with id, and false when there
// is none. Errors: ErrUnreadable, rather than "no such request" (which the
// API would answer 404) or a request whose client reads as not erased.
func (p *Clients) ErasureRequest(id uuid.UUID) (ErasureRequest, bool, error) {
	r, err := scanRequest(p.reads.request.QueryRow(id[:]))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return ErasureRequest{}, false, nil
	case err != nil:
		return ErasureRequest{}, false, unreadable("an erasure request", err)
	}
	if r.ClientErased, err = p.CheckErased(r.ClientID); err != nil {
		return ErasureRequest{}, false, err
	}
	return r, true, nil
}
