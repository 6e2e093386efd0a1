package ledger

import (
	"context"
	"slices"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// ClientIndex answers which organisations already hold a client, so a new
// referral can name an existing client_id only where the referrer knows it.
type ClientIndex interface {
	// OrganisationKnowsClient answers an error, never "no", when the
	// read models cannot be read.
	OrganisationKnowsClient(org, client uuid.UUID) (bool, error)
}

// CanSee is the need-to-know rule (R-AUTH-4): a user sees a referral only if
// their organisation made or received it, or their role is network-wide.
func CanSee(actor domain.Actor, r domain.Referral) bool {
	return r.Exists && (actor.NetworkWide() || r.Involves(actor.OrganisationID))
}

var errNoReferral = domain.Errorf(domain.NotFound, "no such referral")

// MakeReferral records a new referral from the actor's organisation
// (R-REF-1..4). A new client gets a fresh client id. Errors: Forbidden,
// Invalid, Conflict (intake off).
func (s *Service) MakeReferral(ctx context.Context, actor domain.Actor, cmd domain.MakeReferral, idx CaseIndex) (domain.Referral, Written, error) {
	var err error
	if cmd.ReferralID, err = s.newReferralID(ctx); err != nil {
		return domain.Referral{}, Written{}, err
	}
	if cmd.ClientID == uuid.Nil {
		cmd.ClientID = s.newID(ctx)
	} else {
		// A client the caller may not see, because no referral involves
		// their organisation or a lock keeps them out, is refused exactly
		// as a made-up id is (R-LOCK-12): first from the read models, in
		// constant time, then from the client's stream, which counts.
		refused := domain.InvalidFields(domain.FieldError{Field: "client.client_id",
			Message: "no client with this id has a referral involving your organisation"})
		now := s.Now()
		knows, err := organisationKnows(idx, actor.OrganisationID, cmd.ClientID)
		if err != nil {
			return domain.Referral{}, Written{}, err
		}
		if !knows {
			return domain.Referral{}, Written{}, refused
		}
		if _, open := domain.LockAccess(idx.LockOf(cmd.ClientID), actor, now); !open {
			return domain.Referral{}, Written{}, refused
		}
		c, err := s.clientRecord(ctx, cmd.ClientID)
		if err != nil {
			return domain.Referral{}, Written{}, err
		}
		if _, open := domain.LockAccess(c.Lock, actor, now); !open {
			return domain.Referral{}, Written{}, refused
		}
		cmd.ExistingClient = true
		if cmd.Client == (domain.Client{}) {
			// Referred again by id alone: the receiver, who may never have
			// met the client, gets the details this organisation last
			// recorded for them, sealed under the same key (R-REF-14).
			if cmd.Client, err = s.lastClientDetails(ctx, actor, idx, cmd.ClientID); err != nil {
				return domain.Referral{}, Written{}, err
			}
			cmd.ClientOnRecord = true
		}
	}
	if !cmd.ClientOnRecord && NameSetAside(cmd.Client.Name) {
		// A name the known-client index compares as none is no name: refused
		// as an empty one is where a name is required, and never recorded.
		msg := "is required"
		if cmd.ExistingClient {
			msg = "must not be only accents, marks and spaces"
		}
		cmd.Refused = append(slices.Clip(cmd.Refused), domain.FieldError{Field: "client.name", Message: msg})
	}
	var receiver domain.Organisation
	if cmd.ToOrganisationID != uuid.Nil {
		var err error
		if receiver, _, _, err = fold(ctx, s, OrganisationStream(cmd.ToOrganisationID), domain.EvolveOrganisation); err != nil {
			return domain.Referral{}, Written{}, err
		}
	}
	now := s.Now()
	return execute(ctx, s, actor, ReferralStream(cmd.ReferralID), domain.EvolveReferral,
		func(r domain.Referral) ([]domain.Event, error) {
			return domain.DecideMakeReferral(actor, receiver, cmd, now)
		})
}

// lastClientDetails is the client's details as the latest of their
// referrals the actor may see holds them; none if every such referral is
// erased or holds none. Errors: the store's and the key store's.
func (s *Service) lastClientDetails(ctx context.Context, actor domain.Actor, idx CaseIndex, client uuid.UUID) (domain.Client, error) {
	refs, err := referralsOf(idx, client)
	if err != nil {
		return domain.Client{}, err
	}
	for i := len(refs) - 1; i >= 0; i-- {
		r, _, _, err := s.referral(ctx, actor, refs[i])
		switch code := domain.ErrorCode(err); {
		case code == domain.NotFound || code == domain.Forbidden:
			continue // another organisation's referral, or one kept from the actor
		case err != nil:
			return domain.Client{}, err
		}
		if r.Client != (domain.Client{}) {
			return r.Client, nil
		}
	}
	return domain.Client{}, nil
}

// Referral returns a referral the actor may see, and records the read in
// the client's access log (R-LOCK-9). Errors: NotFound (also when need to
// know, or a lock with a hidden notification, hides it), Forbidden (a
// locked case, naming its responsible person).
func (s *Service) Referral(ctx context.Context, actor domain.Actor, id uuid.UUID) (domain.Referral, error) {
	r, grant, lock, err := s.referral(ctx, actor, id)
	if err != nil {
		return domain.Referral{}, err
	}
	// A read with If-Match (RFC 9110 section 13.1.1) that no longer holds
	// is refused before anything is shown or recorded; only a reader who
	// may see the referral gets that far.
	if err := holdsFor(ctx, true, r.Revision); err != nil {
		return domain.Referral{}, err
	}
	return r, s.recordAccess(ctx, actor, r.ClientID, r.ID, grant, lock.Status == domain.LockLocked)
}

// RecordRead checks that actor may see the referral r, which a command
// returned for its answer, and records the answer in the client's access
// log when the case is locked (R-LOCK-9) or the reader is an auditor, as
// Referral records a read: the answer shows the client's data as a read
// does (R-UI-2). On a case that is not locked the command's own event
// already records who acted on it and when, so the answer adds no access
// record. The check is made again, against the lock as it is now, so a
// caller the lock has shut out since the command ran is refused as a read
// would be. Errors: as Referral's.
func (s *Service) RecordRead(ctx context.Context, actor domain.Actor, r domain.Referral) error {
	grant, c, err := s.caseAccess(ctx, actor, r)
	if err != nil {
		return err
	}
	locked := c.Lock.Status == domain.LockLocked
	if !locked && !actor.Has(domain.RoleAuditor) {
		return nil
	}
	return s.recordAccess(ctx, actor, r.ClientID, r.ID, grant, locked)
}

// referral loads a referral the actor may see, without recording a read.
// It shows the notes on the client's case it carries (R-LOCK-4).
func (s *Service) referral(ctx context.Context, actor domain.Actor, id uuid.UUID) (domain.Referral, domain.CaseGrant, domain.Lock, error) {
	r, _, _, err := fold(ctx, s, ReferralStream(id), domain.EvolveReferral)
	if err != nil {
		return domain.Referral{}, "", domain.Lock{}, err
	}
	grant, c, err := s.caseAccess(ctx, actor, r)
	if err != nil {
		return r, grant, c.Lock, err
	}
	return withCaseNotes(r, c, actor, grant), grant, c.Lock, nil
}

// onReferral runs a decision on a referral the actor may see; others get
// NotFound, exactly as for a referral that does not exist. The referral
// it returns shows the notes on the client's case it carries (R-LOCK-4).
func (s *Service) onReferral(ctx context.Context, actor domain.Actor, id uuid.UUID,
	decide func(domain.Referral) ([]domain.Event, error)) (domain.Referral, Written, error) {
	var client domain.ClientRecord
	var grant domain.CaseGrant
	checked := false
	r, w, err := execute(ctx, s, actor, ReferralStream(id), domain.EvolveReferral,
		func(r domain.Referral) ([]domain.Event, error) {
			g, c, err := s.caseAccess(ctx, actor, r)
			if err != nil {
				return nil, err
			}
			client, grant, checked = c, g, true
			return decide(r)
		})
	if err != nil || !r.Exists {
		return r, w, err
	}
	if !checked {
		// A repeated request answered from what it wrote the first time:
		// nothing was decided, so the case was not read. Its notes are
		// shown only to a caller the case's lock lets in now.
		g, c, err := s.caseAccess(ctx, actor, r)
		if err != nil {
			return r, w, nil
		}
		client, grant = c, g
	}
	return withCaseNotes(r, client, actor, grant), w, nil
}

// Acknowledge records the receiver's acknowledgement. Errors: NotFound,
// Forbidden, Conflict, PreconditionFailed.
func (s *Service) Acknowledge(ctx context.Context, actor domain.Actor, id uuid.UUID) (domain.Referral, Written, error) {
	return s.onReferral(ctx, actor, id, func(r domain.Referral) ([]domain.Event, error) {
		return domain.DecideAcknowledge(r, actor)
	})
}

// Assign forwards the referral to an adviser of the receiving organisation.
// Errors: NotFound, Forbidden, Conflict, Invalid, PreconditionFailed.
func (s *Service) Assign(ctx context.Context, actor domain.Actor, id, userID uuid.UUID) (domain.Referral, Written, error) {
	current, _, _, err := s.referral(ctx, actor, id)
	if err != nil {
		return domain.Referral{}, Written{}, err
	}
	receiver, _, _, err := fold(ctx, s, OrganisationStream(current.ToOrganisationID), domain.EvolveOrganisation)
	if err != nil {
		return domain.Referral{}, Written{}, err
	}
	return s.onReferral(ctx, actor, id, func(r domain.Referral) ([]domain.Event, error) {
		return domain.DecideAssign(r, actor, receiver, userID)
	})
}

// DeclineUrgency records that an urgent referral is not urgent (R-REF-7).
// Errors: NotFound, Forbidden, Conflict, Invalid, PreconditionFailed.
func (s *Service) DeclineUrgency(ctx context.Context, actor domain.Actor, id uuid.UUID, feedback string) (domain.Referral, Written, error) {
	return s.onReferral(ctx, actor, id, func(r domain.Referral) ([]domain.Event, error) {
		return domain.DecideDeclineUrgency(r, actor, feedback)
	})
}

// AddNote adds a note, maybe with an agreed closing date (R-REF-6). It
// returns the note's id. Errors: NotFound, Forbidden, Conflict, Invalid,
// PreconditionFailed.
func (s *Service) AddNote(ctx context.Context, actor domain.Actor, id uuid.UUID, cmd domain.AddNote) (domain.Referral, Written, error) {
	cmd.NoteID, cmd.Calendar = s.newID(ctx), s.calendar
	now := s.Now()
	return s.onReferral(ctx, actor, id, func(r domain.Referral) ([]domain.Event, error) {
		return domain.DecideAddNote(r, actor, cmd, now)
	})
}

// Close closes the referral with an outcome and comment (R-REF-5). Errors:
// NotFound, Forbidden, Conflict, Invalid, PreconditionFailed.
func (s *Service) Close(ctx context.Context, actor domain.Actor, id uuid.UUID, outcome, comment string) (domain.Referral, Written, error) {
	return s.onReferral(ctx, actor, id, func(r domain.Referral) ([]domain.Event, error) {
		return domain.DecideClose(r, actor, outcome, comment)
	})
}
