package domain_test

import (
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestRehashPasswordIsNoChange_AUTH3: a rehash of the same password under
// stronger parameters replaces the stored hash alone: the password's age
// (R-AUTH-2), whether it must be changed (R-AUTH-6) and the hash it was
// set with (what its sessions were opened with) stay. It is recorded only
// while the hash checked is still the account's, and never for a closed
// account.
func TestRehashPasswordIsNoChange_AUTH3(t *testing.T) {
	set := "$argon2id$fixture"
	before := given(receiverOrg()...).organisation().Users[receiverAdviser.UserID]
	if before.PasswordHash != set || before.PasswordSet() != set {
		t.Fatalf("the fixture's hash: %q", before.PasswordHash)
	}
	rehashed := &domain.OrganisationPasswordRehashed{UserID: receiverAdviser.UserID, PasswordHash: "$argon2id$stronger"}
	org := given(receiverOrg()...).organisation()
	when(domain.DecideRehashPassword(org, receiverAdviser.UserID, set, "$argon2id$stronger")).then(t, rehashed)
	when(domain.DecideRehashPassword(org, receiverAdviser.UserID, "$argon2id$other", "$argon2id$stronger")).then(t)
	when(domain.DecideRehashPassword(org, receiverLeaver.UserID, set, "$argon2id$stronger")).then(t)

	after := given(receiverOrg(rehashed)...).organisation().Users[receiverAdviser.UserID]
	if after.PasswordHash != "$argon2id$stronger" {
		t.Fatalf("the hash after the rehash: %q", after.PasswordHash)
	}
	if after.PasswordSet() != set || !after.PasswordChangedAt.Equal(before.PasswordChangedAt) ||
		after.PasswordChangeRequired != before.PasswordChangeRequired {
		t.Fatalf("the rehash changed the password: set %q, changed at %v (was %v)", after.PasswordSet(),
			after.PasswordChangedAt, before.PasswordChangedAt)
	}
	// A change after it is a change: a new set hash.
	changed := given(receiverOrg(rehashed, &domain.OrganisationPasswordChanged{UserID: receiverAdviser.UserID,
		PasswordHash: "$argon2id$new"})...).organisation().Users[receiverAdviser.UserID]
	if changed.PasswordSet() != "$argon2id$new" || changed.PasswordHash != "$argon2id$new" {
		t.Fatalf("after a change: set %q, hash %q", changed.PasswordSet(), changed.PasswordHash)
	}
}
