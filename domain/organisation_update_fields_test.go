package domain_test

import (
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestUpdateOrganisationChecksOnlyWhatChanges_ORG1: an entry whose name
// was kept before names refused invisible characters can still have its
// admin contact changed; a new name with one is refused.
func TestUpdateOrganisationChecksOnlyWhatChanges_ORG1(t *testing.T) {
	org := given(receiverOrg()...).organisation()
	org.Name = "Receiver\u202e Advice"
	events, err := domain.DecideUpdateOrganisation(org, receiverLead, domain.UpdateOrganisation{AdminEmail: ptr("new@example.org")})
	if err != nil || len(events) != 1 {
		t.Fatalf("changing the admin contact: %v, %v", events, err)
	}
	_, err = domain.DecideUpdateOrganisation(org, receiverLead, domain.UpdateOrganisation{Name: ptr("Other\u202e Advice")})
	if domain.ErrorCode(err) != domain.Invalid {
		t.Fatalf("a new name with a direction override: %v, want Invalid", err)
	}
}
