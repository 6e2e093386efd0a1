package ledger

import (
	"context"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// CaseIndex is what the lock commands consult before they touch a
// client's stream: which organisations hold the client, its referrals,
// and its lock as the read model has it.
type CaseIndex interface {
	ClientIndex
	ClientReferrals
	LockOf(client uuid.UUID) domain.Lock
}

var errNoClient = domain.Errorf(domain.NotFound, "no such client")

// lockGate is R-LOCK-12 in front of every lock command: a caller who may
// not know the client, or is kept out by a lock whose notification is
// hidden, gets unknown, exactly the answer for a client (or request) that
// does not exist; one whose organisation holds the client is told whom a
// visible lock is locked to (R-LOCK-3). Its work is the same whatever the
// answer.
func (s *Service) lockGate(actor domain.Actor, client uuid.UUID, lock domain.Lock, idx CaseIndex, unknown error) error {
	// Views that cannot be read answer Unavailable, never "unknown",
	// which would pass for a client that does not exist.
	knows, err := organisationKnows(idx, actor.OrganisationID, client)
	if err != nil {
		return err
	}
	refs, err := referralsOf(idx, client)
	if err != nil {
		return err
	}
	exists := len(refs) > 0
	switch domain.ViewLock(lock, actor, knows || (exists && actor.NetworkWide()), s.Now()) {
	case domain.LockSeen:
		return nil
	case domain.LockToldLocked:
		return s.lockedError(lock)
	}
	return unknown
}

// indexedLock is the client's lock as the read model has it.
func indexedLock(idx CaseIndex, client uuid.UUID) domain.Lock {
	if idx == nil {
		return domain.Lock{}
	}
	return idx.LockOf(client)
}

// onGatedClient runs a lock command on a client's stream behind the gate,
// twice: first against the read models, in constant time, so that a
// refusal takes as long for a real client as for an unknown id whatever
// the length of its stream (R-LOCK-12, timing); then against the stream
// itself, which is what counts if the read model lags.
func (s *Service) onGatedClient(ctx context.Context, actor domain.Actor, client uuid.UUID, idx CaseIndex, unknown error,
	decide func(domain.ClientRecord) ([]domain.Event, error)) (domain.ClientRecord, Written, error) {
	if err := s.lockGate(actor, client, indexedLock(idx, client), idx, unknown); err != nil {
		return domain.ClientRecord{}, Written{}, err
	}
	return s.onClient(ctx, actor, client, func(c domain.ClientRecord) ([]domain.Event, error) {
		if err := s.lockGate(actor, client, c.Lock, idx, unknown); err != nil {
			return nil, err
		}
		return decide(c)
	})
}
