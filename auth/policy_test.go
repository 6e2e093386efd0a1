package auth

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/domain"
)

// wantCode fails tb unless err carries the domain code want.
func wantCode(tb testing.TB, err error, want domain.Code) {
	tb.Helper()
	if got := domain.ErrorCode(err); got != want {
		tb.Fatalf("error code = %q (%v), want %q", got, err, want)
	}
}

// TestPolicyCheck proves R-AUTH-2: both policies' length and composition
// rules, the common-password list, the username rule, and that passphrases
// are accepted whole.
func TestPolicyCheck(t *testing.T) {
	const user = "alice.smith"
	tests := []struct {
		name     string
		policy   PasswordPolicy
		password string
		wantMsg  string // "" means the password is accepted
	}{
		{"Network/OK", PolicyNetwork, "Tr0ub4dor&3x", ""},
		{"Network/ZeroValueIsNetwork", "", "Ab1#wxyz", ""},
		{"Network/OKEightCodePoints", PolicyNetwork, "Äb1#öüßé", ""},
		{"Network/OKSpaceIsOtherCharacter", PolicyNetwork, "Blue ocean 7", ""},
		{"Network/TooShort", PolicyNetwork, "Ab1#xyz", "at least 8 characters"},
		{"Network/TooShortInCodePoints", PolicyNetwork, "Äb1#öüß", "at least 8 characters"},
		{"Network/NoDigit", PolicyNetwork, "Abcdefg#", "must contain at least one digit"},
		{"Network/NoUpper", PolicyNetwork, "abcdef1#", "one upper-case letter"},
		{"Network/NoLower", PolicyNetwork, "ABCDEF1#", "one lower-case letter"},
		{"Network/NoOther", PolicyNetwork, "Abcdefg1", "one other character"},
		{"Network/ListsEveryMissingClass", PolicyNetwork, "abcdefghij", "one digit, one upper-case letter and one other character"},
		{"Network/CommonWithDecoration", PolicyNetwork, "Password1!", "too common"},
		{"Network/CommonSeasonYear", PolicyNetwork, "Summer2024!", "too common"},
		{"Network/ContainsUsername", PolicyNetwork, "Alice.Smith#1", "username"},
		{"Modern/OKNoComposition", PolicyModern, "correct horse battery staple", ""},
		{"Modern/OKTwelve", PolicyModern, "glacierpotat", ""},
		{"Modern/TooShort", PolicyModern, "Tr0ub4dor&3x"[:11], "at least 12 characters"},
		{"Modern/CommonIgnoringCase", PolicyModern, "QWERTYUIOP12", "too common"},
		{"Modern/CommonCoreWithDigits", PolicyModern, "password1234", "too common"},
		{"Modern/EqualsUsername", PolicyModern, "ALICE.SMITH1", "username"},
		{"Both/Passphrase64Whole", PolicyModern, strings.Repeat("Sea otters hold paws 7! ", 3)[:64], ""},
		{"Both/MaxLengthAccepted", PolicyNetwork, "Aa1#" + strings.Repeat("é", MaxPasswordLength-4), ""},
		{"Both/TooLong", PolicyNetwork, "Aa1#" + strings.Repeat("é", MaxPasswordLength-3), "at most 256 characters"},
		{"Both/TooLongBytes", PolicyModern, strings.Repeat("x", 10_000), "at most 256 characters"},
		{"Both/InvalidUTF8", PolicyModern, "valid until \xff here", "not valid UTF-8"},
		{"Both/ControlCharacter", PolicyModern, "tab\tseparated words", "control characters"},
		{"Both/LineBreak", PolicyNetwork, "Line1#\nbreak", "control characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Check(user, tt.password)
			if tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			wantCode(t, err, domain.Invalid)
			fields := domain.ErrorFields(err)
			if len(fields) != 1 || fields[0].Field != "password" {
				t.Fatalf("fields = %+v, want one for \"password\"", fields)
			}
			if !strings.Contains(fields[0].Message, tt.wantMsg) {
				t.Errorf("message = %q, want it to contain %q", fields[0].Message, tt.wantMsg)
			}
			if len(tt.password) >= 4 && (strings.Contains(err.Error(), tt.password) || strings.Contains(fields[0].Message, tt.password)) {
				t.Errorf("error %q echoes the password", err)
			}
		})
	}
}

// TestPolicyCheckUsername proves the username rule of R-AUTH-2: a password
// may not be or contain the username, but a very short username only rules
// out itself.
func TestPolicyCheckUsername(t *testing.T) {
	tests := []struct {
		name     string
		username string
		password string
		wantErr  bool
	}{
		{"ContainsIgnoringCase", "Bob.Jones", "my bob.jones passphrase", true},
		{"Equals", "correct horse battery", "Correct Horse Battery", true},
		{"ShortUsernameInside", "al", "natal kitchen drawers", false},
		{"ShortUsernameWhole", "thirteenchar", "thirteenchar", true},
		{"EmptyUsername", "", "natal kitchen drawers", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := PolicyModern.Check(tt.username, tt.password)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Check = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(domain.ErrorFields(err)[0].Message, "username") {
				t.Errorf("message %q does not say the username is the problem", err)
			}
		})
	}
}

func TestPolicyCheckField(t *testing.T) {
	err := PolicyNetwork.CheckField("new_password", "alice", "short")
	wantCode(t, err, domain.Invalid)
	if f := domain.ErrorFields(err); len(f) != 1 || f[0].Field != "new_password" {
		t.Fatalf("fields = %+v, want one for \"new_password\"", f)
	}
}

func TestPolicyCheckUnknownPolicy(t *testing.T) {
	err := PasswordPolicy("legacy").Check("alice", "Tr0ub4dor&3x")
	if err == nil || domain.ErrorCode(err) != domain.Internal {
		t.Fatalf("Check with an unknown policy = %v, want an internal error", err)
	}
}

func TestParsePolicy(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want PasswordPolicy
		ok   bool
	}{
		{"EmptyIsDefault", "", PolicyNetwork, true},
		{"Network", "network", PolicyNetwork, true},
		{"ModernAnyCase", "  Modern ", PolicyModern, true},
		{"ErrUnknown", "nist", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePolicy(tt.in)
			if !tt.ok {
				wantCode(t, err, domain.Invalid)
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParsePolicy(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

// TestChangeDue proves the six-month prompt of R-AUTH-2 under the network
// policy, counted in calendar months, and its absence under the modern one.
func TestChangeDue(t *testing.T) {
	day := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, time.UTC) }
	tests := []struct {
		name      string
		policy    PasswordPolicy
		changedAt time.Time
		now       time.Time
		want      bool
	}{
		{"Network/Fresh", PolicyNetwork, day(2025, 1, 15, 10), day(2025, 3, 1, 0), false},
		{"Network/ExactlySixMonths", PolicyNetwork, day(2025, 1, 15, 10), day(2025, 7, 15, 10), false},
		{"Network/OlderThanSixMonths", PolicyNetwork, day(2025, 1, 15, 10), day(2025, 7, 15, 10).Add(time.Nanosecond), true},
		{"Network/EndOfMonthClamped", PolicyNetwork, day(2025, 8, 31, 12), day(2026, 2, 28, 12), false},
		{"Network/EndOfMonthDue", PolicyNetwork, day(2025, 8, 31, 12), day(2026, 3, 1, 0), true},
		{"Network/ZeroValue", "", day(2020, 1, 1, 0), day(2021, 1, 1, 0), true},
		{"Modern/Never", PolicyModern, day(2015, 1, 1, 0), day(2025, 1, 1, 0), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.policy.ChangeDue(tt.changedAt, tt.now); got != tt.want {
				t.Fatalf("ChangeDue = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPolicyErrorIsDomainError(t *testing.T) {
	var de *domain.Error
	if err := PolicyModern.Check("alice", "short"); !errors.As(err, &de) {
		t.Fatalf("Check error %T is not a *domain.Error", err)
	}
}

// fullWidth returns s with its printable ASCII characters in their
// full-width forms (U+FF01 to U+FF5E) and spaces as ideographic spaces,
// which NFKC turns back into s.
func fullWidth(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == ' ':
			return '\u3000'
		case r > ' ' && r <= '~':
			return r - '!' + '\uff01'
		}
		return r
	}, s)
}

// TestPolicyJudgesPasswordAsHashed_AUTH2 proves R-AUTH-2 against Unicode
// look-alikes: a password is hashed in NFKC, so full-width "Ｐａｓｓｗｏｒｄ１！"
// is the password "Password1!" and signs in as it. Every rule of both
// policies (length, composition, the common list, the username, the
// context words) judges that normalised text, not the raw input.
func TestPolicyJudgesPasswordAsHashed_AUTH2(t *testing.T) {
	const user = "alice.smith"
	tests := []struct {
		name     string
		policy   PasswordPolicy
		password string
		wantMsg  string
	}{
		{"Network/CommonFullWidth", PolicyNetwork, fullWidth("Password1!"), "too common"},
		{"Network/CommonPartlyFullWidth", PolicyNetwork, "Pａssword1!", "too common"},
		{"Network/UsernameFullWidth", PolicyNetwork, fullWidth("Alice.Smith") + "#Tide-42", "username"},
		{"Network/CompositionCircledDigit", PolicyNetwork, "Harbourside7\u2460", "one other character"},
		{"Network/LengthCombiningAccents", PolicyNetwork, "Ab1#e\u0301e\u0301e\u0301", "at least 8 characters"},
		{"Network/ContextFullWidth", PolicyNetwork, fullWidth("Referral2026!"), "too easy to guess"},
		{"Modern/CommonFullWidth", PolicyModern, fullWidth("passwordpassword"), "too common"},
		{"Modern/OKLigature", PolicyModern, "password\ufb01sh12", ""}, // "passwordfish12", 14 characters as hashed
		{"Modern/UsernameFullWidth", PolicyModern, "my " + fullWidth("alice.smith") + " passphrase", "username"},
		{"Modern/LengthLigatures", PolicyModern, "\ufb03\ufb04\ufb01\ufb02\ufb00", ""}, // "ffifflfiflff": 12 characters as hashed
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Check(user, tt.password)
			if tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			wantCode(t, err, domain.Invalid)
			fields := domain.ErrorFields(err)
			if len(fields) != 1 || fields[0].Field != "password" || !strings.Contains(fields[0].Message, tt.wantMsg) {
				t.Fatalf("fields = %+v, want one for \"password\" saying %q", fields, tt.wantMsg)
			}
			if strings.Contains(err.Error(), tt.password) || strings.Contains(err.Error(), NormalisePassword(tt.password)) {
				t.Errorf("error %q echoes the password", err)
			}
		})
	}
	// The same text in plain ASCII is judged the same.
	for _, tt := range tests {
		plain, look := tt.policy.Check(user, NormalisePassword(tt.password)), tt.policy.Check(user, tt.password)
		if (plain == nil) != (look == nil) || plain != nil && plain.Error() != look.Error() {
			t.Errorf("%s: plain %v, look-alike %v", tt.name, plain, look)
		}
	}
}

// TestSamePassword_AUTH2: two inputs are the same password exactly when
// they hash alike.
func TestSamePassword_AUTH2(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"Password1!", fullWidth("Password1!"), true},
		{"caf\u00e9 noir", "cafe\u0301 noir", true},
		{"Password1!", "password1!", false},
	}
	for _, tt := range tests {
		if got := SamePassword(tt.a, tt.b); got != tt.want {
			t.Errorf("SamePassword(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		h, err := (Hasher{Memory: 64, Time: 1}).Hash(tt.a)
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := (Hasher{Memory: 64, Time: 1}).Verify(h, tt.b); err != nil || ok != tt.want {
			t.Errorf("Verify(hash of %q, %q) = %v, %v; want %v", tt.a, tt.b, ok, err, tt.want)
		}
	}
}

// TestPolicyMessagesFitAnyonesPassword_AUTH2: the policy also judges the
// one-time passwords an org lead or the coordinator sets for someone else
// (R-AUTH-6), so a refusal for being built on the username or a name says
// whose it is in words that are right for either: "the username", never
// "your username", which the lead would read as their own.
func TestPolicyMessagesFitAnyonesPassword_AUTH2(t *testing.T) {
	for _, tc := range []struct{ password, want string }{
		{"Bob.Jones#2027x", "the username"},
		{"Riverside#Advice1", "the user's name, the organisation's name"},
	} {
		err := PolicyNetwork.Check("bob.jones", tc.password, "Ann Smith", "Riverside Advice")
		fields := domain.ErrorFields(err)
		if len(fields) != 1 {
			t.Fatalf("Check(%q) = %v, want one field", tc.password, err)
		}
		if msg := fields[0].Message; !strings.Contains(msg, tc.want) || strings.Contains(msg, "your") {
			t.Errorf("Check(%q) says %q, want %q and no \"your\"", tc.password, msg, tc.want)
		}
	}
}
