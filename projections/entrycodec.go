package projections

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// The referrals' rows hold each referral's state in a compact binary form
// rather than JSON: reading a page decodes fifty of them, and JSON
// decoding was most of a read's cost. Every field of domain.Referral that
// withoutClientData keeps is written, in this order; a test fills every
// field and checks the round trip, so a field added to the domain is not
// silently dropped.

// entryVersion is the first byte of an encoded entry.
const entryVersion = 1

type entryWriter struct{ b []byte }

func (w *entryWriter) uuid(id uuid.UUID) { w.b = append(w.b, id[:]...) }
func (w *entryWriter) bool(v bool) {
	if v {
		w.b = append(w.b, 1)
	} else {
		w.b = append(w.b, 0)
	}
}
func (w *entryWriter) uint(v uint64) { w.b = binary.AppendUvarint(w.b, v) }
func (w *entryWriter) int(v int64)   { w.b = binary.AppendVarint(w.b, v) }
func (w *entryWriter) str(s string) {
	w.uint(uint64(len(s)))
	w.b = append(w.b, s...)
}

// time writes an instant with its zone's offset, as JSON would keep it.
func (w *entryWriter) time(t time.Time) {
	if t.IsZero() {
		w.b = append(w.b, 0)
		return
	}
	_, off := t.Zone()
	w.b = append(w.b, 1)
	w.int(t.Unix())
	w.uint(uint64(t.Nanosecond()))
	w.int(int64(off))
}

func encodeEntry(e *referralEntry) []byte {
	w := entryWriter{b: make([]byte, 0, 320)}
	w.b = append(w.b, entryVersion)
	r := e.R
	w.uuid(r.ID)
	w.bool(r.Exists)
	w.uint(r.Revision)
	w.str(string(r.Status))
	w.uuid(r.FromOrganisationID)
	w.uuid(r.ToOrganisationID)
	w.uuid(r.ClientID)
	w.bool(r.Urgent)
	w.bool(r.UrgencyDeclined)
	w.bool(r.SharedWithoutConsent)
	w.bool(r.PrivacyNoticeGiven)
	w.uuid(r.MadeBy)
	w.time(r.MadeAt)
	w.time(r.AcknowledgedAt)
	w.uuid(r.AcknowledgedBy)
	w.uuid(r.AssignedTo)
	w.str(r.AgreedCloseBy)
	w.str(r.Outcome)
	w.time(r.ClosedAt)
	w.uuid(r.ClosedBy)
	w.str(r.DeclineReasonCode)
	w.time(r.DeclinedAt)
	w.uuid(r.DeclinedBy)
	w.uuid(r.ForwardedTo)
	w.uuid(r.ForwardedToOrganisationID)
	w.time(r.ForwardedAt)
	w.uuid(r.ForwardedBy)
	w.uuid(r.ForwardedFrom)
	w.time(r.WithdrawnAt)
	w.uuid(r.WithdrawnBy)
	w.time(r.ReopenedAt)
	w.uuid(r.ReopenedBy)
	w.int(int64(r.Reopens))
	w.bool(r.Erased)
	w.time(e.Deadlines.AcknowledgeBy)
	w.time(e.Deadlines.CloseBy)
	w.str(string(e.Stage))
	w.time(e.Next)
	return w.b
}

var errEntry = errors.New("views: a referral's row is damaged")

type entryReader struct {
	b   []byte
	err bool
}

func (r *entryReader) take(n int) []byte {
	if r.err || len(r.b) < n {
		r.err = true
		return make([]byte, n)
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *entryReader) uuid() uuid.UUID { return uuid.UUID(r.take(16)) }
func (r *entryReader) bool() bool      { return r.take(1)[0] == 1 }
func (r *entryReader) uint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = true
		return 0
	}
	r.b = r.b[n:]
	return v
}
func (r *entryReader) int() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = true
		return 0
	}
	r.b = r.b[n:]
	return v
}
func (r *entryReader) str() string { return string(r.take(int(r.uint()))) }

func (r *entryReader) time() time.Time {
	if !r.bool() {
		return time.Time{}
	}
	sec, nsec, off := r.int(), r.uint(), r.int()
	t := time.Unix(sec, int64(nsec))
	if off == 0 {
		return t.UTC()
	}
	return t.In(time.FixedZone("", int(off)))
}

func decodeEntry(b []byte) (*referralEntry, error) {
	if len(b) == 0 || b[0] != entryVersion {
		return nil, errEntry
	}
	r := &entryReader{b: b[1:]}
	e := &referralEntry{}
	x := &e.R
	x.ID = r.uuid()
	x.Exists = r.bool()
	x.Revision = r.uint()
	x.Status = domain.Status(r.str())
	x.FromOrganisationID = r.uuid()
	x.ToOrganisationID = r.uuid()
	x.ClientID = r.uuid()
	x.Urgent = r.bool()
	x.UrgencyDeclined = r.bool()
	x.SharedWithoutConsent = r.bool()
	x.PrivacyNoticeGiven = r.bool()
	x.MadeBy = r.uuid()
	x.MadeAt = r.time()
	x.AcknowledgedAt = r.time()
	x.AcknowledgedBy = r.uuid()
	x.AssignedTo = r.uuid()
	x.AgreedCloseBy = r.str()
	x.Outcome = r.str()
	x.ClosedAt = r.time()
	x.ClosedBy = r.uuid()
	x.DeclineReasonCode = r.str()
	x.DeclinedAt = r.time()
	x.DeclinedBy = r.uuid()
	x.ForwardedTo = r.uuid()
	x.ForwardedToOrganisationID = r.uuid()
	x.ForwardedAt = r.time()
	x.ForwardedBy = r.uuid()
	x.ForwardedFrom = r.uuid()
	x.WithdrawnAt = r.time()
	x.WithdrawnBy = r.uuid()
	x.ReopenedAt = r.time()
	x.ReopenedBy = r.uuid()
	x.Reopens = int(r.int())
	x.Erased = r.bool()
	e.Deadlines.AcknowledgeBy = r.time()
	e.Deadlines.CloseBy = r.time()
	e.Stage = domain.Stage(r.str())
	e.Next = r.time()
	if r.err || len(r.b) != 0 {
		return nil, errEntry
	}
	return e, nil
}
