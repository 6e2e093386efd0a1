package ledger

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// ShredForRetention erases a client whose retention period has passed
// (R-PRIV-5) through the same crash-safe steps as a decided erasure: the
// intent (reason "retention"), the key destroyed, the completion. A client
// already erased is left alone.
func (s *Service) ShredForRetention(ctx context.Context, client uuid.UUID, shred Shredder) (Written, error) {
	requestID := s.newID(ctx)
	if _, _, err := execute(ctx, s, domain.Actor{}, ClientStream(client), domain.EvolveClient,
		func(c domain.ClientRecord) ([]domain.Event, error) {
			return domain.DecideRetentionErasure(c, requestID), nil
		}); err != nil {
		return Written{}, err
	}
	return s.finishErasure(ctx, domain.Actor{}, client, shred)
}

// ShredAll runs ShredForRetention for each client, carrying on past
// failures, and returns how many it erased.
func (s *Service) ShredAll(ctx context.Context, clients []uuid.UUID, shred Shredder) (int, error) {
	n := 0
	var errs []error
	for _, c := range clients {
		if _, err := s.ShredForRetention(ctx, c, shred); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}
