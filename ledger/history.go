package ledger

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
)

// HistoryEntry is one event of a case's history: as stored, and decoded.
type HistoryEntry struct {
	Stored  eventstore.RecordedEvent
	Decoded domain.Recorded
}

// History is a referral's events in order, up to a point, with whether the
// stream's hash chain verifies and the state they add up to (R-LEDGER-5).
type History struct {
	Entries  []HistoryEntry // up to the point asked for
	All      []HistoryEntry // every event of the stream, whatever the point
	Verified bool
	Broken   *eventstore.BrokenLinkError // the first broken link, when not Verified
	State    domain.Referral
}

// HistoryPoint limits a history to the state as of a time or a revision;
// the zero value means "now".
type HistoryPoint struct {
	AsOf     *time.Time
	Revision *uint64
}

// ReferralHistory replays a referral's stream for auditors and the
// organisations involved. The whole stream's chain is verified whatever the
// point asked for. Errors: NotFound (no such referral, need to know, or the
// referral did not exist at that point), Invalid (both as_of and revision).
func (s *Service) ReferralHistory(ctx context.Context, actor domain.Actor, id uuid.UUID, at HistoryPoint) (History, error) {
	return s.ReferralHistoryAnswered(ctx, actor, id, at, func(History) error { return nil })
}

// ReferralHistoryAnswered is ReferralHistory for a reader whose answer can
// still fail once the actor is let in: a case bundle needs a signed
// checkpoint covering the case (R-AUD-3). answer makes the answer from
// the history the actor may read; the read is recorded in the client's
// access log only when it succeeds, before the caller gives it (R-LOCK-9),
// so a read refused, or one that cannot be answered, is never logged as if
// the client's data had been read. Errors: those of ReferralHistory, and
// answer's.
func (s *Service) ReferralHistoryAnswered(ctx context.Context, actor domain.Actor, id uuid.UUID, at HistoryPoint,
	answer func(History) error) (History, error) {
	h, current, err := s.referralHistory(ctx, id, at)
	if err != nil {
		return History{}, err
	}
	grant, c, err := s.caseAccess(ctx, actor, current)
	if err != nil {
		return History{}, err
	}
	if err := h.check(at, current); err != nil {
		return History{}, err
	}
	h.State = withCaseNotes(h.State, c, actor, grant)
	h.State.CaseNotes = h.caseNotesUpTo(at, h.State.CaseNotes)
	if err := answer(h); err != nil {
		return History{}, err
	}
	return h, s.recordAccess(ctx, actor, current.ClientID, current.ID, grant, c.Lock.Status == domain.LockLocked)
}

// caseNotesUpTo keeps the notes on the case that were written by the point
// the history stops at: as of a time, those written by then; at a
// revision, those written before the next event of the referral, if any.
func (h History) caseNotesUpTo(at HistoryPoint, notes []domain.CaseNote) []domain.CaseNote {
	var before func(time.Time) bool
	switch {
	case at.AsOf != nil:
		before = func(t time.Time) bool { return !t.After(*at.AsOf) }
	case at.Revision != nil && len(h.Entries) < len(h.All):
		next := h.All[len(h.Entries)].Decoded.At
		before = func(t time.Time) bool { return t.Before(next) }
	default:
		return notes
	}
	var out []domain.CaseNote
	for _, n := range notes {
		if before(n.At) {
			out = append(out, n)
		}
	}
	return out
}

// StateAt returns the instant at which the history's state is judged
// where time matters, as whether it was overdue (R-VIEW-3): as of a time,
// that time (now, if it is later); at a revision replaced since, the
// instant the next event replaced it; the current state, now.
func (h History) StateAt(at HistoryPoint, now time.Time) time.Time {
	switch {
	case at.AsOf != nil:
		if at.AsOf.Before(now) {
			return *at.AsOf
		}
	case at.Revision != nil && len(h.Entries) < len(h.All):
		if next := h.All[len(h.Entries)].Decoded.At; next.Before(now) {
			return next
		}
	}
	return now
}

// check refuses a point in time at which the referral did not exist.
func (h History) check(at HistoryPoint, current domain.Referral) error {
	if !h.State.Exists {
		return domain.Errorf(domain.NotFound, "the referral did not exist at that point")
	}
	if at.Revision != nil && *at.Revision > current.Revision {
		return domain.Errorf(domain.NotFound, "the referral has no revision %d; its latest is %d", *at.Revision, current.Revision)
	}
	return nil
}

// referralHistory replays a referral's stream up to a point, verifying its
// whole chain, with no access check; it also returns the current state.
func (s *Service) referralHistory(ctx context.Context, id uuid.UUID, at HistoryPoint) (History, domain.Referral, error) {
	if at.AsOf != nil && at.Revision != nil {
		return History{}, domain.Referral{}, domain.InvalidFields(domain.FieldError{Field: "as_of", Message: "give either as_of or revision, not both"})
	}
	stream := ReferralStream(id)
	stored, err := s.readStream(ctx, stream)
	if err != nil {
		return History{}, domain.Referral{}, err
	}
	h := History{Verified: true}
	verifier := eventstore.NewChainVerifier()
	var current domain.Referral
	for _, ev := range stored {
		if err := verifier.Check(ev); err != nil && h.Verified {
			h.Verified = false
			errors.As(err, &h.Broken)
		}
		d, err := s.codec.Decode(ctx, ev)
		if err != nil {
			return History{}, domain.Referral{}, err
		}
		current = domain.EvolveReferral(current, d)
		h.All = append(h.All, HistoryEntry{Stored: ev, Decoded: d})
		if at.AsOf != nil && ev.Metadata.RecordedAt.After(*at.AsOf) || at.Revision != nil && ev.Revision > *at.Revision {
			continue
		}
		h.Entries = append(h.Entries, HistoryEntry{Stored: ev, Decoded: d})
		h.State = current
	}
	if !current.Exists {
		return History{}, current, errNoReferral
	}
	return h, current, nil
}
