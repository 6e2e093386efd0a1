package auth

import (
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestCommonPasswordListEmbedded_AUTH2 proves R-AUTH-2's list is embedded
// whole: at least 100,000 distinct entries, ignoring case, from the first
// (most common) to the last.
func TestCommonPasswordListEmbedded_AUTH2(t *testing.T) {
	if n := commonPasswordCount(); n < 100_000 {
		t.Fatalf("embedded list has %d distinct entries, want at least 100,000", n)
	}
	for _, entry := range []string{"123456", "password", "070162", "monti"} {
		if _, ok := commonPasswords()[entry]; !ok {
			t.Errorf("%q (first, last of the SecLists top 100,000, last line) is not on the list", entry)
		}
	}
	for e := range commonPasswords() {
		if strings.ContainsAny(e, "\r\n") || e == "" {
			t.Fatalf("malformed entry %q", e)
		}
	}
}

// TestCommonPasswordsRefused_AUTH2 proves R-AUTH-2: passwords on the list
// are refused under both policies, seen through case, look-alike
// substitutions and decorations at either end; a common word inside a
// longer passphrase is not.
func TestCommonPasswordsRefused_AUTH2(t *testing.T) {
	tests := []struct {
		name     string
		password string
		common   bool
	}{
		{"Password", "password", true},
		{"Digits", "123456", true},
		{"UpperCase", "QWERTY", true},
		{"MixedCase", "LetMeIn", true},
		{"DecoratedEnds", "Password1!", true},
		{"DecoratedFront", "123Dragon", true},
		{"DecoratedBothEnds", "!!2024Summer#", true},
		{"TwelveCommon", "qwertyuiop12", true},
		{"Substitutions", "P@ssw0rd", true},
		{"SubstitutionsAndDecoration", "P@ssword1", true},
		{"DigitsAsDecoration", "Abc12345!", true},
		{"OneAsI", "1loveyou", true},
		{"OneAsL", "we1come!", true},
		{"ThreeFiveSevenFour", "5un5h1n3", true},
		{"Dollar", "$uper$tar99", true},
		{"LongDecoration", "monkey!!!!!!!!!!!!!!!!!!!!", true},
		{"Uncommon", "glacier potato umbrella", false},
		{"CommonWordInside", "my password is long enough", false},
		{"OnlySymbols", "!!!!!!!!", false},
		{"Random", "Xk9#mQ2!vLpR", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsCommonPassword(tt.password); got != tt.common {
				t.Fatalf("IsCommonPassword(%q) = %v, want %v", tt.password, got, tt.common)
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

// TestContextWords_AUTH2 proves R-AUTH-2's context check: a password built
// on the username, the display name, the organisation's name or the
// service's name ("referral", "ledger"), with only digits, symbols or a
// few letters added, is refused; a passphrase that merely contains one is
// not.
func TestContextWords_AUTH2(t *testing.T) {
	const user, name, org = "adviser.a", "Ann Example", "Alpha Advice"
	tests := []struct {
		name     string
		password string
		refused  bool
	}{
		{"ProductName", "Referral2026!", true},
		{"ProductNameSubstituted", "L3dger#2026", true},
		{"ProductNameBothEnds", "#1Ledger1#", true},
		{"UsernamePlusOneBang", "adviser.a1!", true},
		{"UsernameUpperCase", "ADVISER.A1!", true},
		{"DisplayName", "Ann.Example99", true},
		{"OrganisationName", "AlphaAdvice2026!", true},
		{"OrganisationWord", "Advice#2026x", true},
		{"ProductAndCommon", "Referral-Password1", true},
		{"UsernameSubstituted", "Adv1ser.a#Kettle", true},
		{"PassphraseMentioningProduct", "the ledger of Kestrel Bay 42!", false},
		{"PassphraseMentioningOrganisation", "Alpha-Advice keeps its kettle warm 7", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := PolicyNetwork.Check(user, tt.password, name, org)
			if (err != nil) != tt.refused {
				t.Fatalf("Check(%q) = %v, want refused %v", tt.password, err, tt.refused)
			}
			if err == nil {
				return
			}
			wantCode(t, err, domain.Invalid)
			if msg := domain.ErrorFields(err)[0].Message; strings.Contains(msg, tt.password) {
				t.Errorf("the message repeats the password: %q", msg)
			}
		})
	}
}

// TestPassphrase64Accepted_AUTH2: a 64-character passphrase is taken whole
// under both policies, context words and all.
func TestPassphrase64Accepted_AUTH2(t *testing.T) {
	pass := "Kettle Orchard 7 Lantern Quietly Drifts Over Seven Blue Hills!!!"
	if n := len([]rune(pass)); n != 64 {
		t.Fatalf("passphrase has %d characters", n)
	}
	for _, p := range []PasswordPolicy{PolicyNetwork, PolicyModern} {
		if err := p.Check("adviser.a", pass, "Ann Example", "Alpha Advice"); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}

// BenchmarkIsCommonPassword measures one check once the set is built.
func BenchmarkIsCommonPassword(b *testing.B) {
	commonPasswords()
	for b.Loop() {
		IsCommonPassword("Kettle Orchard 7 Lantern Quietly Drifts Over Seven Blue Hills!!!")
		IsCommonPassword("P@ssword1")
	}
}

// BenchmarkCommonPasswordSet measures decompressing and building the set,
// which happens once per process.
func BenchmarkCommonPasswordSet(b *testing.B) {
	for b.Loop() {
		_ = loadCommonPasswords()
	}
}

// TestCommonPasswordsSpacedOrRepeatedRefused_AUTH2 proves R-AUTH-2's list
// is not dodged by putting spaces, hyphens, dots or underscores between
// the parts of a common password, or by saying one twice, under either
// policy; passphrases of uncommon words still pass.
func TestCommonPasswordsSpacedOrRepeatedRefused_AUTH2(t *testing.T) {
	tests := []struct {
		name     string
		password string
		common   bool
	}{
		{"Spaces", "Pass Word 1!", true},
		{"SpacesEverywhere", "P a s s w o r d 1 !", true},
		{"SpacesAndCase", "I LOVE you 123!", true},
		{"NoBreakSpaces", "Pass\u00a0Word\u00a01!", true},
		{"Hyphens", "pass-word-1234", true},
		{"Underscores", "p_a_s_s_w_o_r_d_1", true},
		{"Repeated", "Password1!Password1!", true},
		{"RepeatedCaseMixed", "Welcome1!WELCOME1!", true},
		{"RepeatedThrice", "monkeymonkeymonkey", true},
		{"RepeatedSpaced", "iloveyou iloveyou", true},
		{"UncommonPassphrase", "correct horse battery staple", false},
		{"UncommonHyphenated", "Blue-ocean-kettle-7", false},
		{"UncommonRepeated", "Kestrel Bay 42!Kestrel Bay 42!", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsCommonPassword(tt.password); got != tt.common {
				t.Fatalf("IsCommonPassword(%q) = %v, want %v", tt.password, got, tt.common)
			}
			for _, p := range []PasswordPolicy{PolicyNetwork, PolicyModern} {
				err := p.Check("someone", tt.password)
				if !tt.common {
					continue
				}
				wantCode(t, err, domain.Invalid)
			}
		})
	}
}

// TestPredictablePasswordsRefused_AUTH2 proves R-AUTH-2: a password that
// repeats a few characters or runs along the alphabet, the digits or the
// keyboard is refused under both policies, however long (NIST SP 800-63B's
// repetitive and sequential passwords), while long passwords that merely
// contain a short run pass.
func TestPredictablePasswordsRefused_AUTH2(t *testing.T) {
	for _, pw := range []string{
		strings.Repeat("a", 13),
		strings.Repeat("a", 64),
		"ababababababab",
		"abcabcabcabcabc",
		"Ab1!Ab1!Ab1!",
		"Ab1! Ab1! Ab1!",
		"abcdefghijklmnopq",
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ",
		"zyxwvutsrqponml",
		"1234567890123",
		"qwertyuiopasdfghjklzxcvbnm",
		"qazwsxedcrfvtgb",
	} {
		if !Predictable(pw) {
			t.Errorf("Predictable(%q) = false, want true", pw)
		}
		for _, p := range []PasswordPolicy{PolicyModern, PolicyNetwork} {
			if err := p.Check("someone", pw); err == nil {
				t.Errorf("%s: Check(%q) = nil, want refused", p, pw)
			}
		}
	}
	if err := PolicyModern.Check("someone", strings.Repeat("a", 20)); err == nil ||
		!strings.Contains(domain.ErrorFields(err)[0].Message, "too easy to guess") {
		t.Errorf("Check(20 × a) = %v, want it called too easy to guess", err)
	}
	for _, pw := range []string{"abcdef Kestrel Bay 42!", "Tr0ub4dor&3x", "glacier potato umbrella", "Kestrel Bay 42!Kestrel Bay 42!"} {
		if Predictable(pw) {
			t.Errorf("Predictable(%q) = true, want false", pw)
		}
		if err := PolicyNetwork.Check("someone", pw+"Q1"); err != nil {
			t.Errorf("Check(%q) = %v, want nil", pw+"Q1", err)
		}
	}
}
