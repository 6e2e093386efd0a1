package ledger

import (
	"errors"
	"fmt"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// The coordinator's network-wide reads: every organisation's accounts, the
// erasure requests waiting for a decision and the retention schedule. Each
// is the coordinator's alone; anyone else is refused here, whatever page or
// endpoint asks.

// UserDirectory lists every account of the network.
type UserDirectory interface {
	Users() []domain.User
}

// NetworkUsers lists the accounts of every organisation, closed ones too,
// for the coordinator; org is uuid.Nil for all or keeps one organisation's.
// Errors: Forbidden.
func (s *Service) NetworkUsers(actor domain.Actor, users UserDirectory, org uuid.UUID) ([]domain.User, error) {
	if err := coordinatorOnly(actor, "list the network's users"); err != nil {
		return nil, err
	}
	var out []domain.User
	for _, u := range users.Users() {
		if org == uuid.Nil || u.OrganisationID == org {
			out = append(out, u)
		}
	}
	return out, nil
}

// The coordinator's reads of the read models that list clients by id only:
// what CoordinatorRead may be asked for.
const (
	ReadWaitingErasures   = "list erasure requests"      // R-PRIV-2
	ReadRetentionSchedule = "see the retention schedule" // R-PRIV-5
)

// CoordinatorRead returns read() to the coordinator and refuses anyone
// else: what is one of the Read constants, naming the read in the refusal.
// The read models' lists of clients (erasure requests waiting for a
// decision, the retention schedule) hold ids only, never client data, but
// who is being erased or shredded is the coordinator's business alone.
// Errors: Forbidden; Unavailable when read fails (the read models cannot
// be read now), rather than an empty list; read's own domain errors.
func CoordinatorRead[T any](actor domain.Actor, what string, read func() (T, error)) (T, error) {
	var zero T
	if err := coordinatorOnly(actor, what); err != nil {
		return zero, err
	}
	v, err := read()
	var de *domain.Error
	switch {
	case err == nil:
		return v, nil
	case errors.As(err, &de):
		return zero, err
	default:
		return zero, &domain.Error{Code: domain.Unavailable,
			Message: fmt.Sprintf("cannot %s now: the views cannot be read; retry shortly", what), Cause: err}
	}
}

func coordinatorOnly(actor domain.Actor, what string) error {
	if !actor.Has(domain.RoleCoordinator) {
		return domain.Errorf(domain.Forbidden, "only the coordinator can %s", what)
	}
	return nil
}
