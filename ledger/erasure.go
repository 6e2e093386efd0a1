package ledger

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/metrics"
)

// ClientPrefix prefixes the stream of decisions about a client's data.
const ClientPrefix = "client-"

// ClientStream is the stream of decisions about one client's data.
func ClientStream(id uuid.UUID) string { return ClientPrefix + id.String() }

// ErasureIndex finds the client an erasure request belongs to; false
// when there is no such request, an error when the read models cannot be
// read.
type ErasureIndex interface {
	ClientOfErasureRequest(request uuid.UUID) (uuid.UUID, bool, error)
}

// Shredder destroys a client's data key (crypto-shredding).
type Shredder interface {
	Destroy(ctx context.Context, client uuid.UUID) error
}

// RequestErasure records a client's erasure request, made through an
// adviser of an organisation that made or received a referral for the
// client (R-PRIV-2) and not kept out by a lock on the case (R-LOCK-2,
// R-LOCK-12). Others learn nothing: NotFound. Errors: NotFound,
// Forbidden, Conflict (already erased), Invalid.
func (s *Service) RequestErasure(ctx context.Context, actor domain.Actor, client uuid.UUID, reason string, idx CaseIndex) (uuid.UUID, Written, error) {
	if err := s.MayRequestErasure(actor, client, idx); err != nil {
		return uuid.Nil, Written{}, err
	}
	requestID := s.newID(ctx)
	_, w, err := execute(ctx, s, actor, ClientStream(client), domain.EvolveClient,
		func(c domain.ClientRecord) ([]domain.Event, error) {
			if err := s.lockedOut(actor, c.Lock); err != nil {
				return nil, err
			}
			return domain.DecideRequestErasure(c, actor, client, requestID, reason)
		})
	return requestID, w, err
}

// MayRequestErasure answers, from the read models, whether the actor's
// organisation holds the client and no lock keeps the actor out, with the
// answer RequestErasure gives when not: NotFound for a client their
// organisation does not hold or whose hidden lock keeps them out, exactly
// as for a client that does not exist (R-LOCK-12), Forbidden naming the
// responsible person for a lock that is not hidden. Pages that offer the
// request ask it first, so they show nothing the request would refuse.
func (s *Service) MayRequestErasure(actor domain.Actor, client uuid.UUID, idx CaseIndex) error {
	knows, err := organisationKnows(idx, actor.OrganisationID, client)
	if err != nil {
		return err
	}
	if !knows {
		return errNoClient
	}
	return s.lockedOut(actor, idx.LockOf(client))
}

// lockedOut refuses someone a lock keeps out of the case as a read of it
// would (R-LOCK-2, R-LOCK-3, R-LOCK-12): told whom it is locked to, or,
// when the lock hides its notification, the answer for a client that does
// not exist. The caller's organisation holds the client.
func (s *Service) lockedOut(actor domain.Actor, l domain.Lock) error {
	if _, ok := domain.LockAccess(l, actor, s.Now()); ok {
		return nil
	}
	if l.HideNotification {
		return errNoClient
	}
	return s.lockedError(l)
}

// ErasureDecision is the outcome of a decision on an erasure request.
type ErasureDecision struct {
	RequestID uuid.UUID
	ClientID  uuid.UUID
	Status    domain.ErasureStatus
	Written   Written
}

// DecideErasure carries out or refuses an erasure request (R-PRIV-2,
// R-PRIV-3). Carrying out is crash-safe: the intent is appended first, then
// the key destroyed (idempotently), then the completion appended; an intent
// without completion is finished by FinishErasures on restart. Errors:
// NotFound, Forbidden, Conflict, Invalid, Unavailable (key store).
func (s *Service) DecideErasure(ctx context.Context, actor domain.Actor, requestID uuid.UUID, carryOut bool, reason string,
	index ErasureIndex, shred Shredder) (ErasureDecision, error) {
	client, ok, err := index.ClientOfErasureRequest(requestID)
	if err != nil || !ok {
		// Decided on no client, so that whoever may not decide hears so
		// whether the request exists or the views cannot tell.
		if _, derr := domain.DecideErasure(domain.ClientRecord{}, actor, requestID, carryOut, reason); domain.ErrorCode(derr) == domain.Forbidden {
			return ErasureDecision{}, derr
		}
	}
	if err != nil {
		// Not "no such request" (404): the request may well exist.
		return ErasureDecision{}, viewsUnreadable(err)
	}
	if !ok {
		// The coordinator hears there is no such request.
		return ErasureDecision{}, domain.Errorf(domain.NotFound, "no such erasure request")
	}
	c, w, err := execute(ctx, s, actor, ClientStream(client), domain.EvolveClient,
		func(c domain.ClientRecord) ([]domain.Event, error) {
			return domain.DecideErasure(c, actor, requestID, carryOut, reason)
		})
	if err != nil {
		return ErasureDecision{}, err
	}
	d := ErasureDecision{RequestID: requestID, ClientID: client, Status: c.Requests[requestID].Status, Written: w}
	if !carryOut {
		return d, nil
	}
	if d.Written, err = s.finishErasure(ctx, actor, client, shred); err != nil {
		return d, err
	}
	return d, nil
}

// finishErasure destroys the client's key and records the erasure complete.
func (s *Service) finishErasure(ctx context.Context, actor domain.Actor, client uuid.UUID, shred Shredder) (Written, error) {
	err := shred.Destroy(ctx, client)
	// The folds in memory may hold the client's data: none is kept once
	// the key is (being) destroyed (R-PRIV-3).
	s.states.clear()
	if err != nil {
		return Written{}, err
	}
	// An If-Match the caller sent was the decision's precondition, met
	// when the intent was appended: the completion follows it whatever
	// revision the case is at now (R-PRIV-3).
	_, w, err := execute(withoutMatch(ctx), s, actor, ClientStream(client), domain.EvolveClient,
		func(c domain.ClientRecord) ([]domain.Event, error) { return domain.DecideFinishErasure(c), nil })
	if err == nil {
		metrics.ErasureCarriedOut()
	}
	return w, err
}

// erasedShredder is a Shredder that tells a key that came back for an
// erased client from one that was never there, and logs how many came
// back (ClientKeys).
type erasedShredder interface {
	ShredErased(ctx context.Context, client uuid.UUID) error
}

// ErasureLedger lists, from the ledger, the clients whose erasure was
// started and the clients whose erasure is complete. Each answers an
// error, never an empty list, when it cannot read them.
type ErasureLedger interface {
	ErasingClients() ([]uuid.UUID, error)
	ErasedClients() ([]uuid.UUID, error)
}

// FinishErasures completes every erasure whose intent is recorded but whose
// completion is not (a crash between the two), and destroys again the key
// of every erased client, in case a restored key-store backup brought one
// back (R-PRIV-8). It returns how many erasures it finished. Errors:
// ledger's when it cannot list the clients (nothing is then done: a list
// that could not be read is not a list of no one), and those of each
// erasure and destruction.
func (s *Service) FinishErasures(ctx context.Context, ledger ErasureLedger, shred Shredder) (int, error) {
	erased, err := ledger.ErasedClients()
	if err != nil {
		return 0, fmt.Errorf("listing the erased clients: %w", err)
	}
	erasing, err := ledger.ErasingClients()
	if err != nil {
		return 0, fmt.Errorf("listing the clients being erased: %w", err)
	}
	var errs []error
	for _, client := range erased {
		if k, ok := shred.(erasedShredder); ok {
			errs = append(errs, k.ShredErased(ctx, client))
			continue
		}
		errs = append(errs, shred.Destroy(ctx, client))
	}
	finished := 0
	for _, client := range erasing {
		if _, err := s.finishErasure(ctx, domain.Actor{}, client, shred); err != nil {
			errs = append(errs, err)
			continue
		}
		finished++
	}
	return finished, errors.Join(errs...)
}
