package ledger

import (
	"testing"

	"github.com/referral-ledger/ledger/auth"
)

// TestGeneratedPasswordsMeetEitherPolicy_AUTH2: the password printed at a
// new ledger's first start, and by `ledger admin reset-password`, meets
// the password policy in force whichever it is. Before the digit was
// appended, about one in 220 lacked a digit, so a first start failed with
// "bootstrap password: must contain at least one digit" by chance.
func TestGeneratedPasswordsMeetEitherPolicy_AUTH2(t *testing.T) {
	for _, policy := range []auth.PasswordPolicy{auth.PolicyNetwork, auth.PolicyModern} {
		for range 5000 {
			pw := generatePassword()
			if err := policy.Check(BootstrapUsername, pw); err != nil {
				t.Fatalf("policy %s refuses a generated password: %v", policy, err)
			}
		}
	}
}
