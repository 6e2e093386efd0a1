package ledger

import (
	"errors"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// viewsUnreadable is the answer of a command or read whose look-up in the
// read models failed: Unavailable (503), the cause kept for the log, never
// the answer the look-up gives for "no" or "none" (not found, not held,
// no referral), which would refuse or let through on what was never read
// (R-OPS-4). A domain error passes as it is.
func viewsUnreadable(err error) error {
	var de *domain.Error
	if errors.As(err, &de) {
		return err
	}
	return ViewsUnavailable(err)
}

// ViewsUnavailable is the Unavailable (503) of a read of the read models
// (views.db) that failed with cause: the one answer the ledger, the API
// and the pages give it, the cause kept for the log, never shown.
func ViewsUnavailable(cause error) error {
	return &domain.Error{Code: domain.Unavailable, Message: "the views cannot be read now; retry shortly", Cause: cause}
}

// StoreBusy is the Unavailable (503) of a data store that another process
// kept locked past its busy timeout (datadir.StoreBusy): a passing
// failure, to retry, not an internal error (R-OPS-4); the one answer the
// API and the pages give it, the cause kept for the log, never shown.
func StoreBusy(cause error) error {
	return &domain.Error{Code: domain.Unavailable, Message: "the server's data store is busy; retry shortly", Cause: cause}
}

// organisationKnows is idx.OrganisationKnowsClient, false for no index.
// Errors: Unavailable.
func organisationKnows(idx ClientIndex, org, client uuid.UUID) (bool, error) {
	if idx == nil {
		return false, nil
	}
	knows, err := idx.OrganisationKnowsClient(org, client)
	if err != nil {
		return false, viewsUnreadable(err)
	}
	return knows, nil
}

// referralsOf is idx.ReferralsOf, none for no index. Errors: Unavailable.
func referralsOf(idx ClientReferrals, client uuid.UUID) ([]uuid.UUID, error) {
	if idx == nil {
		return nil, nil
	}
	refs, err := idx.ReferralsOf(client)
	if err != nil {
		return nil, viewsUnreadable(err)
	}
	return refs, nil
}
