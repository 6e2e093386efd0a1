package ledger

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// ErrHeldForReview is ShredForRetention's answer for a client whose case
// a lock holds for a serious case review (domain.Lock.HoldsForReview):
// nothing was written, and the client is shredded once the review is
// recorded complete and the retention period has passed.
var ErrHeldForReview = errors.New("retention: the case is held for a serious case review")

// ShredForRetention erases a client whose retention period has passed
// (R-PRIV-5) through the same crash-safe steps as a decided erasure: the
// intent (reason "retention"), the key destroyed, the completion. A client
// already erased is left alone; one held for a serious case review is
// left as it is, with ErrHeldForReview.
func (s *Service) ShredForRetention(ctx context.Context, client uuid.UUID, shred Shredder) (Written, error) {
	requestID := s.newID(ctx)
	held := false
	if _, _, err := execute(ctx, s, domain.Actor{}, ClientStream(client), domain.EvolveClient,
		func(c domain.ClientRecord) ([]domain.Event, error) {
			held = !c.ErasureBegun() && c.Lock.HoldsForReview()
			return domain.DecideRetentionErasure(c, requestID), nil
		}); err != nil {
		return Written{}, err
	}
	if held {
		return Written{}, ErrHeldForReview
	}
	return s.finishErasure(ctx, domain.Actor{}, client, shred)
}

// ShredAll runs ShredForRetention for each client, carrying on past
// failures, and returns how many it erased; a client held for a serious
// case review is neither erased nor a failure.
func (s *Service) ShredAll(ctx context.Context, clients []uuid.UUID, shred Shredder) (int, error) {
	n := 0
	var errs []error
	for _, c := range clients {
		if _, err := s.ShredForRetention(ctx, c, shred); err != nil {
			if !errors.Is(err, ErrHeldForReview) {
				errs = append(errs, err)
			}
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}
