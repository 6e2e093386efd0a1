package auth

import (
	"encoding/base32"
	"strings"
	"testing"
	"time"
)

// TestTOTPRFC6238Vectors_Issue17 checks the second factor's codes against
// RFC 6238 appendix B (the SHA-1 rows). The appendix gives 8-digit codes;
// HOTP truncation takes the code modulo 10^digits, so the 6-digit codes the
// ledger uses are their last six digits.
func TestTOTPRFC6238Vectors_Issue17(t *testing.T) {
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte("12345678901234567890"))
	for _, v := range []struct {
		unix int64
		code string
	}{
		{59, "94287082"}, {1111111109, "07081804"}, {1111111111, "14050471"},
		{1234567890, "89005924"}, {2000000000, "69279037"}, {20000000000, "65353130"},
	} {
		at := time.Unix(v.unix, 0)
		want := v.code[len(v.code)-TOTPDigits:]
		got, err := TOTPCode(secret, TOTPStep(at))
		if err != nil || got != want {
			t.Errorf("code at %d = %q, %v; want %q", v.unix, got, err, want)
		}
		step, ok := MatchTOTP(secret, want, at)
		if !ok || step != v.unix/30 {
			t.Errorf("MatchTOTP at %d = %d, %v; want step %d", v.unix, step, ok, v.unix/30)
		}
	}
}

// TestMatchTOTPWindow_Issue17: codes of the step before and after are
// accepted, two steps away are not, and only six digits are.
func TestMatchTOTPWindow_Issue17(t *testing.T) {
	k, err := NewTOTPKey("Referral ledger", "someone")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(k.URL, "otpauth://totp/") || !strings.Contains(k.URL, "secret="+k.Secret) {
		t.Fatalf("URL %q", k.URL)
	}
	now := time.Date(2026, 1, 5, 10, 0, 15, 0, time.UTC)
	step := TOTPStep(now)
	for d := int64(-2); d <= 2; d++ {
		code, err := TOTPCode(k.Secret, step+d)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := MatchTOTP(k.Secret, code[:3]+" "+code[3:], now)
		want := d >= -1 && d <= 1
		if ok != want || (ok && got != step+d) {
			// A code of another step may equal one in the window by chance (1 in 10^6).
			if other, _ := TOTPCode(k.Secret, step); other != code {
				t.Errorf("step %+d: MatchTOTP = %d, %v; want accepted %v", d, got, ok, want)
			}
		}
	}
	if _, ok := MatchTOTP(k.Secret, "12345", now); ok {
		t.Error("a five-digit code was accepted")
	}
}

func TestRecoveryCodes_Issue17(t *testing.T) {
	codes, err := NewRecoveryCodes()
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != RecoveryCodeCount {
		t.Fatalf("%d codes", len(codes))
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if len(c) != 19 || !LooksLikeRecoveryCode(c) || seen[c] {
			t.Fatalf("code %q", c)
		}
		seen[c] = true
		if string(RecoveryCodeHash("u1", strings.ToUpper(strings.ReplaceAll(c, "-", " ")))) != string(RecoveryCodeHash("u1", c)) {
			t.Fatal("a code typed in capitals with spaces hashes differently")
		}
		if string(RecoveryCodeHash("u2", c)) == string(RecoveryCodeHash("u1", c)) {
			t.Fatal("a code hashes the same for two users")
		}
	}
}

func TestSecretBox_Issue17(t *testing.T) {
	var key [32]byte
	key[0] = 1
	b, err := NewSecretBox(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := b.Seal("u1", "JBSWY3DPEHPK3PXP")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(sealed), "JBSWY3DPEHPK3PXP") {
		t.Fatal("the sealed secret holds the secret in clear")
	}
	if got, err := b.Open("u1", sealed); err != nil || got != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := b.Open("u2", sealed); err == nil {
		t.Fatal("a secret sealed for one user opened for another")
	}
	if _, err := QRCodeDataURI("otpauth://totp/x?secret=A"); err != nil {
		t.Fatal(err)
	}
}
