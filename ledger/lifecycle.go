package ledger

import (
	"context"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/domain"
)

// SetReopenDays sets how many days after closing or declining a referral
// its receiver may reopen it (R-REF-12); zero or less keeps the default.
func (s *Service) SetReopenDays(days int) { s.reopenDays = days }

// SetCalendar sets the network's calendar, whose working days an agreed
// close-by date must fall on (R-REF-6, R-TIME-4); nil checks none.
func (s *Service) SetCalendar(cal *calendar.Calendar) { s.calendar = cal }

// ReopenDays is the reopening period in days (R-REF-12).
func (s *Service) ReopenDays() int {
	if s.reopenDays <= 0 {
		return domain.DefaultReopenDays
	}
	return s.reopenDays
}

// Decline declines the referral with a reason code and comment (R-REF-9).
// Errors: NotFound, Forbidden, Conflict, Invalid, PreconditionFailed.
func (s *Service) Decline(ctx context.Context, actor domain.Actor, id uuid.UUID, reasonCode, comment string) (domain.Referral, Written, error) {
	return s.onReferral(ctx, actor, id, func(r domain.Referral) ([]domain.Event, error) {
		return domain.DecideDecline(r, actor, reasonCode, comment)
	})
}

// Withdraw withdraws the referral with a reason (R-REF-11). Errors:
// NotFound, Forbidden, Conflict, Invalid, PreconditionFailed.
func (s *Service) Withdraw(ctx context.Context, actor domain.Actor, id uuid.UUID, reason string) (domain.Referral, Written, error) {
	return s.onReferral(ctx, actor, id, func(r domain.Referral) ([]domain.Event, error) {
		return domain.DecideWithdraw(r, actor, reason)
	})
}

// Reopen reopens a closed or declined referral within the period, with a
// reason (R-REF-12). Errors: NotFound, Forbidden, Conflict, Invalid,
// PreconditionFailed.
func (s *Service) Reopen(ctx context.Context, actor domain.Actor, id uuid.UUID, reason string) (domain.Referral, Written, error) {
	now, days := s.Now(), s.ReopenDays()
	return s.onReferral(ctx, actor, id, func(r domain.Referral) ([]domain.Event, error) {
		return domain.DecideReopen(r, actor, reason, days, now)
	})
}

// Forward passes the referral on to another organisation (R-REF-10) and
// returns the new referral. It writes two streams, the original's first:
// the decision is taken there, against the original's current revision, so
// two forwards (or a forward and a decline) of one referral never both
// succeed; the new referral's stream is then created with the event that
// decision produced. A retry under the same Idempotency-Key (R-OPS-1) after
// a failure between the two finds the original forwarded to the same new
// id and creates the new referral from it. Errors: NotFound, Forbidden,
// Conflict, Invalid (including an organisation whose intake is off),
// PreconditionFailed (If-Match on the original).
func (s *Service) Forward(ctx context.Context, actor domain.Actor, id uuid.UUID, cmd domain.ForwardReferral) (domain.Referral, Written, error) {
	var err error
	if cmd.NewReferralID, err = s.newReferralID(ctx); err != nil {
		return domain.Referral{}, Written{}, err
	}
	var receiver domain.Organisation
	if cmd.ToOrganisationID != uuid.Nil {
		var err error
		if receiver, _, _, err = fold(ctx, s, OrganisationStream(cmd.ToOrganisationID), domain.EvolveOrganisation); err != nil {
			return domain.Referral{}, Written{}, err
		}
	}
	now := s.Now()
	var made *domain.ReferralMade
	original, _, err := s.onReferral(ctx, actor, id, func(r domain.Referral) ([]domain.Event, error) {
		events, err := domain.DecideForward(r, actor, receiver, cmd, now)
		if err != nil {
			return nil, err
		}
		made = events[1].(*domain.ReferralMade)
		return events[:1], nil
	})
	if err != nil {
		return domain.Referral{}, Written{}, err
	}
	if made == nil {
		// The original's event was already stored by an earlier run of this
		// request: rebuild the new referral's first event from it.
		if original.Status != domain.StatusForwarded || original.ForwardedTo != cmd.NewReferralID {
			return domain.Referral{}, Written{}, domain.Errorf(domain.Conflict, "the referral is %s: nothing more can be done to it", original.Status)
		}
		made = domain.ForwardedReferralMade(original, cmd)
	}
	// The If-Match the caller sent names the original's revision, not the
	// new stream's.
	req := requestFrom(ctx)
	req.Match = nil
	return execute(WithRequest(ctx, req), s, actor, ReferralStream(cmd.NewReferralID), domain.EvolveReferral,
		func(r domain.Referral) ([]domain.Event, error) {
			if r.Exists {
				return nil, nil
			}
			return []domain.Event{made}, nil
		})
}
