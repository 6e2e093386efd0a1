package domain_test

import (
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// TestCloseAfterErasure_PRIV3: after erasure a referral closes with its
// outcome alone; a comment (client-linked free text) is refused.
func TestCloseAfterErasure_PRIV3(t *testing.T) {
	receiver := domain.Actor{UserID: uuid.New(), OrganisationID: uuid.New(), Roles: []domain.Role{domain.RoleAdviser}}
	r := domain.Referral{ID: uuid.New(), Exists: true, Status: domain.StatusAcknowledged, ToOrganisationID: receiver.OrganisationID,
		ClientID: uuid.New(), Erased: true}
	if _, err := domain.DecideClose(r, receiver, domain.OutcomePositive, "a comment"); domain.ErrorCode(err) != domain.Conflict {
		t.Fatalf("comment after erasure: %v, want Conflict", err)
	}
	evs, err := domain.DecideClose(r, receiver, domain.OutcomePositive, "")
	if err != nil || len(evs) != 1 || evs[0].(*domain.ReferralClosed).Comment != "" {
		t.Fatalf("close after erasure: %v %v", evs, err)
	}
	r.Erased = false
	if _, err := domain.DecideClose(r, receiver, domain.OutcomePositive, ""); domain.ErrorCode(err) != domain.Invalid {
		t.Fatalf("no comment before erasure: %v, want Invalid", err)
	}
}
