package ledger

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/internal/headreq"
)

// AccessPrefix prefixes a client's access-log stream.
const AccessPrefix = "access-"

// AccessStream is the stream of reads of one client's data (R-LOCK-9).
func AccessStream(client uuid.UUID) string { return AccessPrefix + client.String() }

// People names the staff a lock refers callers to.
type People interface {
	UserByID(id uuid.UUID) (domain.User, bool)
}

// SetPeople gives the service the user directory it names a locked case's
// responsible person from.
func (s *Service) SetPeople(p People) { s.people = p }

// clientRecord replays a client's stream (erasure and lock decisions).
// Messages recorded there before they had a stream of their own decide
// nothing, so they are folded undecoded: their sealed text is never
// opened, and a case with many of them reads as fast as one without
// (R-LOCK-8).
func (s *Service) clientRecord(ctx context.Context, client uuid.UUID) (domain.ClientRecord, error) {
	c, _, _, err := foldStored(ctx, s, ClientStream(client), func(c domain.ClientRecord, ev eventstore.RecordedEvent) (domain.ClientRecord, error) {
		rec := domain.Recorded{Event: &domain.MessageForResponsiblePerson{}, Revision: ev.Revision}
		if ev.Type != domain.MessageForResponsiblePersonType {
			var err error
			if rec, err = s.codec.Decode(ctx, ev); err != nil {
				return c, err
			}
		}
		return domain.EvolveClient(c, rec), nil
	})
	return c, err
}

// caseAccess applies need to know and then the case lock (R-AUTH-4,
// R-LOCK-2, R-LOCK-3) to a referral. Outside need to know, and for a
// locked case whose notification is hidden, the answer is NotFound, exactly
// as for a referral that does not exist; otherwise a refusal is Forbidden,
// naming the person the case is locked to.
//
// It returns the client's record it checked the lock on: the case's notes
// come from it (R-LOCK-4). The record returned with an error is for its
// lock alone.
func (s *Service) caseAccess(ctx context.Context, actor domain.Actor, r domain.Referral) (domain.CaseGrant, domain.ClientRecord, error) {
	if !r.Exists {
		return "", domain.ClientRecord{}, errNoReferral
	}
	c, err := s.clientRecord(ctx, r.ClientID)
	if err != nil {
		return "", domain.ClientRecord{}, err
	}
	grant, ok := domain.LockAccess(c.Lock, actor, s.Now())
	switch {
	case ok && grant == domain.GrantNotLocked && !CanSee(actor, r):
		return "", c, errNoReferral
	case ok:
		return grant, c, nil
	case c.Lock.HideNotification || !CanSee(actor, r):
		return "", c, errNoReferral
	}
	return "", c, s.lockedError(c.Lock)
}

// withCaseNotes returns r showing the notes on its client's case that it
// shows to actor (domain.ClientRecord.CaseNotesOn), who passed the case's
// lock on c with grant.
func withCaseNotes(r domain.Referral, c domain.ClientRecord, actor domain.Actor, grant domain.CaseGrant) domain.Referral {
	r.CaseNotes = c.CaseNotesOn(r, actor, grant != domain.GrantNotLocked)
	return r
}

// lockedError tells a caller who may know the case exists whom it is
// locked to (R-LOCK-3).
func (s *Service) lockedError(l domain.Lock) error {
	name := "its responsible person"
	if s.people != nil {
		if u, ok := s.people.UserByID(l.ResponsibleUserID); ok {
			name = u.DisplayName
		}
	}
	return &domain.Error{Code: domain.Forbidden, Message: fmt.Sprintf("this case is locked to %s: ask them for access", name),
		Cause: ErrCaseLocked}
}

// ErrCaseLocked is the cause of a refusal that names whom a case is locked
// to (R-LOCK-3), for readers that offer the way to pass information on to
// them (R-LOCK-8). A hidden lock's refusal is a plain NotFound instead.
var ErrCaseLocked = errors.New("the case is locked")

// recordAccess appends a read of the client's data to their access log
// (R-LOCK-9). It rides the store's group commit with every other append,
// so concurrent reads share one fsync; with SetAsyncAccessLog, a read of
// an unlocked case is written in the next batch instead.
func (s *Service) recordAccess(ctx context.Context, actor domain.Actor, client, referral uuid.UUID, grant domain.CaseGrant, locked bool) error {
	return s.recordAccessBecause(ctx, actor, client, referral, grant, locked, "")
}

// recordAccessBecause is recordAccess with the reason the reader gave, if
// any; the reason is sealed under the client's key.
//
// A HEAD (headreq), answered as the GET of the same target without its
// body, has been checked as the GET is by the time it gets here, and
// records nothing: it shows nobody the client's data, and the access log
// holds reads of it (R-LOCK-9). A reader refused is refused before this
// point, HEAD or GET alike, so what a HEAD tells them is what the GET
// would (R-LOCK-12).
func (s *Service) recordAccessBecause(ctx context.Context, actor domain.Actor, client, referral uuid.UUID, grant domain.CaseGrant, locked bool, reason string) error {
	if headreq.Is(ctx) {
		return nil
	}
	ev := &domain.AccessRecorded{ClientID: client, ReferralID: referral, Endpoint: requestFrom(ctx).Endpoint,
		Grant: string(grant), Locked: locked, Reason: reason}
	if ev.Grant == string(domain.GrantNotLocked) {
		ev.Grant = accessGrantOf(actor)
	}
	data, err := s.encode(ctx, actor, requestFrom(ctx), []domain.Event{ev}, nil)
	if domain.ErrorCode(err) == domain.Conflict { // an erased client: the read is logged, the reason cannot be kept
		ev.Reason = ""
		data, err = s.encode(ctx, actor, requestFrom(ctx), []domain.Event{ev}, nil)
	}
	if err != nil {
		return err
	}
	// A read of an unlocked case by anyone but an auditor may be written
	// after the answer, within a second; any other read is written first
	// (R-LOCK-9).
	if s.access != nil && !locked && reason == "" && !actor.Has(domain.RoleAuditor) && !readsRecordedFirst(ctx) &&
		s.access.enqueue(AccessStream(client), data) {
		return nil
	}
	// The reads queued before this one come first in the log.
	if err := s.FlushAccessLog(ctx); err != nil {
		return err
	}
	if _, err := s.store.Append(ctx, AccessStream(client), eventstore.Any(), data...); err != nil {
		return storeError(err)
	}
	return nil
}

// accessGrantOf names the need-to-know ground of a read of an unlocked case.
func accessGrantOf(actor domain.Actor) string {
	switch {
	case actor.Has(domain.RoleAuditor):
		return "auditor"
	case actor.Has(domain.RoleCoordinator):
		return "coordinator"
	}
	return "organisation"
}

// AccessEntry is one read in a client's access log.
type AccessEntry struct {
	At             time.Time
	UserID         uuid.UUID
	OrganisationID uuid.UUID
	Event          domain.AccessRecorded
	// Erased is true once the client's data is erased: the reason, if
	// one was given, can no longer be read (R-PRIV-3).
	Erased bool
}

// AccessLog returns who read the client's data, when, where and why, for
// the coordinator, auditors and the responsible person of the client's lock
// (R-LOCK-9), but never to a coordinator or auditor the lock refuses (its
// deny list names them or their team, or they are helpdesk staff,
// R-LOCK-2). Anyone else who may not see the case gets the answer for a
// client that does not exist, in the same time (R-LOCK-12). Errors:
// Forbidden, NotFound.
func (s *Service) AccessLog(ctx context.Context, actor domain.Actor, client uuid.UUID, idx CaseIndex) ([]AccessEntry, error) {
	var c domain.ClientRecord
	if actor.NetworkWide() {
		refs, err := referralsOf(idx, client)
		if err != nil {
			return nil, err
		}
		if len(refs) == 0 {
			return nil, errNoClient
		}
		if c, err = s.clientRecord(ctx, client); err != nil {
			return nil, err
		}
		// The deny list wins over everything and helpdesk never has
		// access (R-LOCK-2), the access log included: a coordinator or
		// auditor the lock refuses is told whom a visible lock is locked
		// to (R-LOCK-3), and of a hidden one learns nothing (R-LOCK-12).
		if c.Lock.Status == domain.LockLocked && c.Lock.Refuses(actor) {
			if c.Lock.HideNotification {
				return nil, errNoClient
			}
			return nil, s.lockedError(c.Lock)
		}
	} else {
		if err := s.lockGate(actor, client, indexedLock(idx, client), idx, errNoClient); err != nil {
			return nil, err
		}
		var err error
		if c, err = s.clientRecord(ctx, client); err != nil {
			return nil, err
		}
		if err := s.lockGate(actor, client, c.Lock, idx, errNoClient); err != nil {
			return nil, err
		}
		if c.Lock.Status != domain.LockLocked || c.Lock.ResponsibleUserID != actor.UserID {
			return nil, domain.Errorf(domain.Forbidden, "only the coordinator, auditors and the person a case is locked to read its access log")
		}
	}
	return s.accessEntries(ctx, client, c)
}

// accessEntries reads the client's access log as it stands, with no access
// check: the reads recorded after their answer are written first, so none
// made so far is left out. c is the client's record: once their erasure
// has begun every entry is shown erased, a reason given unread (R-PRIV-3).
func (s *Service) accessEntries(ctx context.Context, client uuid.UUID, c domain.ClientRecord) ([]AccessEntry, error) {
	if err := s.FlushAccessLog(ctx); err != nil {
		return nil, err
	}
	history, err := s.load(ctx, AccessStream(client))
	if err != nil {
		return nil, err
	}
	out := make([]AccessEntry, 0, len(history))
	for _, rec := range history {
		if e, ok := rec.Event.(*domain.AccessRecorded); ok {
			entry := AccessEntry{At: rec.At, UserID: rec.ActorUserID, OrganisationID: rec.ActorOrganisationID, Event: *e,
				Erased: rec.Erased || c.ErasureBegun()}
			if entry.Erased {
				entry.Event.Reason = "" // erased data is never shown, even while its key is being destroyed
			}
			out = append(out, entry)
		}
	}
	return out, nil
}
