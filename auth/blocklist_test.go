package auth

import (
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestCommonPasswordListEmbedded proves R-AUTH-2's list is the whole SecLists
// top 10,000, embedded in the binary.
func TestCommonPasswordListEmbedded(t *testing.T) {
	if n := commonPasswordCount(); n < 10_000 {
		t.Fatalf("embedded list has %d entries, want at least 10,000", n)
	}
	if strings.Contains(commonPasswordList, "\r") {
		t.Error("embedded list has carriage returns; entries would not match")
	}
}

// TestCommonPasswordsRefused proves R-AUTH-2: passwords on the list are
// refused under both policies, ignoring case and predictable decoration.
func TestCommonPasswordsRefused(t *testing.T) {
	tests := []struct {
		name     string
		password string
		common   bool
	}{
		{"Password", "password", true},
		{"Digits", "123456", true},
		{"Qwerty", "qwerty", true},
		{"UpperCase", "QWERTY", true},
		{"MixedCase", "LetMeIn", true},
		{"DecoratedEnds", "Password1!", true},
		{"DecoratedFront", "123Dragon", true},
		{"TwelveCommon", "qwertyuiop12", true},
		{"LastEntry", "eyphed", true},
		{"Uncommon", "glacier potato umbrella", false},
		{"CommonWordInside", "my password is long enough", false},
		{"OnlySymbols", "!!!!!!!!", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsCommonPassword(tt.password); got != tt.common {
				t.Fatalf("IsCommonPassword = %v, want %v", got, tt.common)
			}
			if !tt.common {
				return
			}
			for _, p := range []PasswordPolicy{PolicyNetwork, PolicyModern} {
				wantCode(t, p.Check("someone", tt.password), domain.Invalid)
			}
		})
	}
}
