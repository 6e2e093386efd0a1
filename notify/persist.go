package notify

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
)

// This file keeps the notifier's state in notifications.db (migration 2),
// so that a Run resumes from its checkpoint instead of replaying the log.
// Rows hold compact encodings of the fields the notifier reads, and that
// the folds need to go on folding them (each of these fields is set from
// the event and these fields alone):
//   - a referral: status, urgency as made and declined, the two
//     organisations, who made it, when it was made, acknowledged and
//     reopened, the agreed closing date, the client's id (to find the
//     case's lock, R-LOCK-12); a referral over for good (forwarded,
//     withdrawn) is deleted;
//   - a lock: the whole domain.Lock (status, the requests, who asked for
//     and approved it, its responsible person, whom it lets in and keeps
//     out, whether its notification is hidden, its temporary grants: staff
//     ids, team names, roles and times, never the reason), so that the
//     hidden-lock checks (R-LOCK-12) and the managers of a case whose
//     responsible person has left (R-LOCK-8) read the same after a restart
//     as before; an unlocked case has no row;
//   - an organisation: whether it exists, its name and administrative
//     contact, whether its intake is off, since when and its resume date
//     (not the reason, which is free text);
//   - an account: organisation, username, email, roles, closed.
// No client data, free text or password hash is written.

// stateDeadlines names the timescales and calendar that deadlines are
// computed with, so that state_referrals.due is computed again when they
// change.
func (n *Notifier) stateDeadlines() string {
	h := sha256.New()
	fmt.Fprintf(h, "%+v|%s", n.opts.Timescales, n.opts.Calendar.Region())
	for y := 1990; y <= 2100; y++ {
		for _, d := range n.opts.Calendar.Holidays(y) {
			fmt.Fprintf(h, "|%v", d)
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// dueOf returns the deadline an open referral is working towards.
func (n *Notifier) dueOf(r domain.Referral) (time.Time, bool) {
	if !r.Open() {
		return time.Time{}, false
	}
	_, due, ok := n.opts.Timescales.Deadlines(r, n.opts.Calendar).Next(r)
	return due, ok
}

// openState loads the state stored at the checkpoint cp and returns it
// with the position it is applied up to, from which the log is to be read.
// A state never built (a database from before migration 2) or ahead of
// the checkpoint (wound back to a log restored from an older backup) is
// emptied, to be rebuilt from the start of the log.
func (n *Notifier) openState(ctx context.Context, cp eventstore.Position) (*state, eventstore.Position, error) {
	o := n.outbox
	v, err := o.meta(ctx, metaStatePosition)
	if err != nil {
		return nil, 0, err
	}
	var pos eventstore.Position
	valid := v != ""
	if valid {
		p, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, 0, fmt.Errorf("state position %q: %w", v, err)
		}
		pos = eventstore.Position(p)
		valid = pos <= cp
	}
	st := newState()
	st.store, st.dirty, st.due = o, newDirtySet(), n.dueOf
	deadlines := n.stateDeadlines()
	if !valid {
		if err := o.resetState(ctx, deadlines); err != nil {
			return nil, 0, err
		}
		return st, 0, nil
	}
	if err := o.loadDirectory(ctx, st); err != nil {
		return nil, 0, err
	}
	if have, err := o.meta(ctx, metaStateDeadline); err != nil {
		return nil, 0, err
	} else if have != deadlines {
		if err := o.recomputeDue(ctx, n.dueOf, deadlines); err != nil {
			return nil, 0, err
		}
	}
	return st, pos, nil
}

// resetState empties the state tables, to be rebuilt from the log's start.
func (o *outbox) resetState(ctx context.Context, deadlines string) error {
	tx, err := o.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range []string{`DELETE FROM state_referrals`, `DELETE FROM state_locks`,
		`DELETE FROM state_organisations`, `DELETE FROM state_users`} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("reset notifier state: %w", err)
		}
	}
	if err := setMeta(ctx, tx, metaStatePosition, "0"); err != nil {
		return err
	}
	if err := setMeta(ctx, tx, metaStateDeadline, deadlines); err != nil {
		return err
	}
	return tx.Commit()
}

// recomputeDue computes every referral's deadline again, after the
// timescales or the calendar changed.
func (o *outbox) recomputeDue(ctx context.Context, dueOf func(domain.Referral) (time.Time, bool), deadlines string) error {
	tx, err := o.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT id, data FROM state_referrals`)
	if err != nil {
		return err
	}
	type row struct {
		id  []byte
		due any
	}
	var all []row
	for rows.Next() {
		var id, data []byte
		if err := rows.Scan(&id, &data); err != nil {
			rows.Close()
			return err
		}
		r, err := decodeReferral(id, data)
		if err != nil {
			rows.Close()
			return err
		}
		all = append(all, row{id: id, due: dueColumn(dueOf, r)})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range all {
		if _, err := tx.ExecContext(ctx, `UPDATE state_referrals SET due = ? WHERE id = ?`, r.due, r.id); err != nil {
			return err
		}
	}
	if err := setMeta(ctx, tx, metaStateDeadline, deadlines); err != nil {
		return err
	}
	return tx.Commit()
}

func dueColumn(dueOf func(domain.Referral) (time.Time, bool), r domain.Referral) any {
	if due, ok := dueOf(r); ok {
		return due.UnixMilli()
	}
	return nil
}

// loadDirectory reads every organisation and account into st.
func (o *outbox) loadDirectory(ctx context.Context, st *state) error {
	rows, err := o.db.QueryContext(ctx, `SELECT id, data FROM state_organisations`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id, data []byte
		var v storedOrg
		err := rows.Scan(&id, &data)
		var key uuid.UUID
		if err == nil {
			key, err = uuid.FromBytes(id)
		}
		if err == nil {
			err = json.Unmarshal(data, &v)
		}
		if err != nil {
			rows.Close()
			return fmt.Errorf("notifier state: organisation: %w", err)
		}
		o := domain.Organisation{ID: key, Exists: v.Exists, Name: v.Name, AdminEmail: v.AdminEmail,
			IntakeOff: v.IntakeOff, ResumeOn: v.ResumeOn}
		if v.IntakeOffSince != 0 {
			o.IntakeOffSince = time.UnixMilli(v.IntakeOffSince).UTC()
		}
		st.orgs[key] = o
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	rows, err = o.db.QueryContext(ctx, `SELECT id, data FROM state_users`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, data []byte
		var v storedUser
		err := rows.Scan(&id, &data)
		var key uuid.UUID
		if err == nil {
			key, err = uuid.FromBytes(id)
		}
		if err == nil {
			err = json.Unmarshal(data, &v)
		}
		if err != nil {
			return fmt.Errorf("notifier state: account: %w", err)
		}
		st.users[key] = domain.User{ID: key, OrganisationID: v.Organisation, Username: v.Username, Email: v.Email,
			Roles: v.Roles, Closed: v.Closed}
	}
	return rows.Err()
}

type storedOrg struct {
	Exists         bool   `json:"e,omitempty"`
	Name           string `json:"n,omitempty"`
	AdminEmail     string `json:"a,omitempty"`
	IntakeOff      bool   `json:"i,omitempty"`
	ResumeOn       string `json:"r,omitempty"` // YYYY-MM-DD
	IntakeOffSince int64  `json:"s,omitempty"` // unix milliseconds
}

type storedUser struct {
	Organisation uuid.UUID     `json:"o"`
	Username     string        `json:"u,omitempty"`
	Email        string        `json:"m,omitempty"`
	Roles        []domain.Role `json:"r,omitempty"`
	Closed       bool          `json:"c,omitempty"`
}

// loadReferral reads a referral from the state tables.
func (o *outbox) loadReferral(id uuid.UUID) (domain.Referral, bool, error) {
	st, err := o.stmt(context.Background(), `SELECT data FROM state_referrals WHERE id = ?`)
	if err != nil {
		return domain.Referral{}, false, err
	}
	var data []byte
	err = st.QueryRow(id[:]).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Referral{}, false, nil
	}
	if err != nil {
		return domain.Referral{}, false, err
	}
	r, err := decodeReferral(id[:], data)
	return r, err == nil, err
}

// loadLock reads a client's lock from the state tables.
func (o *outbox) loadLock(client uuid.UUID) (domain.Lock, error) {
	st, err := o.stmt(context.Background(), `SELECT data FROM state_locks WHERE client = ?`)
	if err != nil {
		return domain.Lock{}, err
	}
	var data []byte
	err = st.QueryRow(client[:]).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return domain.Lock{}, nil
	}
	if err != nil {
		return domain.Lock{}, err
	}
	return decodeLock(data)
}

// storedOverdue returns the stored referrals whose deadline is at or
// before now, except those st holds in memory (current there).
func (s *state) storedOverdue(now time.Time) []domain.Referral {
	rows, err := s.store.db.Query(`SELECT id, data FROM state_referrals WHERE due IS NOT NULL AND due <= ?`, now.UnixMilli())
	if err != nil {
		s.fail(err)
		return nil
	}
	defer rows.Close()
	var out []domain.Referral
	for rows.Next() {
		var id, data []byte
		if err := rows.Scan(&id, &data); err != nil {
			s.fail(err)
			return nil
		}
		key, err := uuid.FromBytes(id)
		if err != nil {
			s.fail(err)
			return nil
		}
		if _, ok := s.referrals[key]; ok {
			continue
		}
		if _, ok := s.dirty.referrals[key]; ok {
			continue // forgotten since the last flush
		}
		r, err := decodeReferral(id, data)
		if err != nil {
			s.fail(err)
			return nil
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		s.fail(err)
	}
	return out
}

// flush writes what changed since the last flush in the statements' transaction.
func (s *state) flush(stmts *txStmts) error {
	if s.dirty == nil {
		return nil
	}
	exec := stmts.exec
	for id := range s.dirty.referrals {
		r, ok := s.referrals[id]
		var err error
		if ok {
			err = exec(sqlUpsertReferral,
				id[:], dueColumn(s.due, r), encodeReferral(r))
		} else {
			err = exec(sqlDeleteReferral, id[:])
		}
		if err != nil {
			return err
		}
	}
	for id := range s.dirty.clients {
		l := s.clients[id]
		var err error
		if data := encodeLock(l); data != nil {
			err = exec(sqlUpsertLock, id[:], data)
		} else {
			err = exec(sqlDeleteLock, id[:])
		}
		if err != nil {
			return err
		}
	}
	for id := range s.dirty.orgs {
		o := s.orgs[id]
		so := storedOrg{Exists: o.Exists, Name: o.Name, AdminEmail: o.AdminEmail, IntakeOff: o.IntakeOff, ResumeOn: o.ResumeOn}
		if !o.IntakeOffSince.IsZero() {
			so.IntakeOffSince = o.IntakeOffSince.UnixMilli()
		}
		data, _ := json.Marshal(so)
		if err := exec(sqlUpsertOrg, id[:], data); err != nil {
			return err
		}
	}
	for id := range s.dirty.users {
		u := s.users[id]
		data, _ := json.Marshal(storedUser{Organisation: u.OrganisationID, Username: u.Username, Email: u.Email,
			Roles: u.Roles, Closed: u.Closed})
		if err := exec(sqlUpsertUser, id[:], data); err != nil {
			return err
		}
	}
	return nil
}

// flushed forgets what was flushed once its transaction committed, and
// trims the caches of referrals and locks, all of which are now stored.
func (s *state) flushed() {
	if s.dirty == nil {
		return
	}
	s.dirty = newDirtySet()
	if len(s.referrals) > cacheLimit {
		s.referrals = map[uuid.UUID]domain.Referral{}
	}
	if len(s.clients) > cacheLimit {
		s.clients = map[uuid.UUID]domain.Lock{}
	}
}

// The encodings' first byte is their version.
const (
	referralEncoding = 2 // 1 lacked the client
	lockEncoding     = 2 // 1 held the status, the request, the responsible person and the unlock request only
)

// encodeReferral encodes what the notifier needs of r.
func encodeReferral(r domain.Referral) []byte {
	b := make([]byte, 0, 96)
	b = append(b, referralEncoding)
	var flags byte
	if r.Urgent {
		flags |= 1
	}
	if r.UrgencyDeclined {
		flags |= 2
	}
	b = append(b, flags)
	b = appendString(b, string(r.Status))
	b = append(b, r.FromOrganisationID[:]...)
	b = append(b, r.ToOrganisationID[:]...)
	b = append(b, r.MadeBy[:]...)
	b = appendTime(b, r.MadeAt)
	b = appendTime(b, r.AcknowledgedAt)
	b = appendTime(b, r.ReopenedAt)
	b = appendString(b, r.AgreedCloseBy)
	b = append(b, r.ClientID[:]...)
	return b
}

func decodeReferral(id, data []byte) (domain.Referral, error) {
	d := decoder{b: data}
	if d.byte() != referralEncoding {
		return domain.Referral{}, errors.New("notifier state: unknown referral encoding")
	}
	flags := d.byte()
	r := domain.Referral{Exists: true, Urgent: flags&1 != 0, UrgencyDeclined: flags&2 != 0}
	r.ID = d.uuidFrom(id)
	r.Status = domain.Status(d.string())
	r.FromOrganisationID, r.ToOrganisationID, r.MadeBy = d.uuid(), d.uuid(), d.uuid()
	r.MadeAt, r.AcknowledgedAt, r.ReopenedAt = d.time(), d.time(), d.time()
	r.AgreedCloseBy = d.string()
	r.ClientID = d.uuid()
	if d.err != nil || len(d.b) != 0 {
		return domain.Referral{}, errors.New("notifier state: malformed referral")
	}
	return r, nil
}

// encodeLock encodes l, or returns nil for a case that is not locked nor
// asked to be.
func encodeLock(l domain.Lock) []byte {
	if l.Status == domain.LockNone && l.RequestID == uuid.Nil && l.ResponsibleUserID == uuid.Nil && l.UnlockRequestID == uuid.Nil {
		return nil
	}
	data, err := json.Marshal(l)
	if err != nil {
		panic(fmt.Sprintf("notifier state: encode lock: %v", err)) // a struct of ids, strings, flags and times
	}
	return append([]byte{lockEncoding}, data...)
}

func decodeLock(data []byte) (domain.Lock, error) {
	if len(data) == 0 || data[0] != lockEncoding {
		return domain.Lock{}, errors.New("notifier state: unknown lock encoding")
	}
	var l domain.Lock
	if err := json.Unmarshal(data[1:], &l); err != nil {
		return domain.Lock{}, errors.New("notifier state: malformed lock")
	}
	return l, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendTime appends t as unix nanoseconds, 0 for the zero time.
func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, 0)
	}
	b = append(b, 1)
	return binary.AppendVarint(b, t.UnixNano())
}

// decoder reads what the append functions wrote.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) short() { d.err, d.b = errors.New("short"), nil }

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.short()
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *decoder) string() string {
	n, k := binary.Uvarint(d.b)
	if k <= 0 || uint64(len(d.b)-k) < n {
		d.short()
		return ""
	}
	s := string(d.b[k : k+int(n)])
	d.b = d.b[k+int(n):]
	return s
}

func (d *decoder) uuid() uuid.UUID {
	if len(d.b) < 16 {
		d.short()
		return uuid.Nil
	}
	var u uuid.UUID
	copy(u[:], d.b)
	d.b = d.b[16:]
	return u
}

func (d *decoder) uuidFrom(b []byte) uuid.UUID {
	u, err := uuid.FromBytes(b)
	if err != nil {
		d.err = err
	}
	return u
}

func (d *decoder) time() time.Time {
	if d.byte() == 0 {
		return time.Time{}
	}
	ns, k := binary.Varint(d.b)
	if k <= 0 {
		d.short()
		return time.Time{}
	}
	d.b = d.b[k:]
	return time.Unix(0, ns).UTC()
}
