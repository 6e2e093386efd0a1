package auth

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/skip2/go-qrcode"
)

// The second factor (issue 17) is a time-based one-time password as
// RFC 6238 defines it, with the parameters every authenticator app
// supports: 30-second steps, 6 digits, HMAC-SHA-1.
const (
	TOTPPeriod = 30 * time.Second
	TOTPDigits = 6
	// TOTPSkew is how many steps either side of the current one a code
	// may come from, for clocks that drift and codes typed slowly.
	TOTPSkew = 1
	// RecoveryCodeCount is how many single-use recovery codes an
	// enrolment gives.
	RecoveryCodeCount = 10
)

var totpOpts = totp.ValidateOpts{Period: uint(TOTPPeriod / time.Second), Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// TOTPKey is a new TOTP secret: base32 (as typed into an app) and the
// otpauth:// URL its QR code carries.
type TOTPKey struct {
	Secret string
	URL    string
}

// NewTOTPKey makes a random 160-bit secret (RFC 4226's recommended size)
// for account at issuer, as authenticator apps show them.
func NewTOTPKey(issuer, account string) (TOTPKey, error) {
	k, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account,
		Period: totpOpts.Period, Digits: totpOpts.Digits, Algorithm: totpOpts.Algorithm, SecretSize: 20})
	if err != nil {
		return TOTPKey{}, fmt.Errorf("auth: making a TOTP secret: %w", err)
	}
	return TOTPKey{Secret: k.Secret(), URL: k.URL()}, nil
}

// TOTPKeyURL is the otpauth:// URL of an existing secret (base32), as
// NewTOTPKey gives it.
func TOTPKeyURL(issuer, account, secret string) (string, error) {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(secret))
	if err != nil {
		return "", fmt.Errorf("auth: reading a TOTP secret: %w", err)
	}
	k, err := totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: account, Secret: raw,
		Period: totpOpts.Period, Digits: totpOpts.Digits, Algorithm: totpOpts.Algorithm})
	if err != nil {
		return "", fmt.Errorf("auth: writing a TOTP URL: %w", err)
	}
	return k.URL(), nil
}

// TOTPStep is the time step of t: whole periods since the Unix epoch.
func TOTPStep(t time.Time) int64 { return t.Unix() / int64(TOTPPeriod/time.Second) }

// TOTPCode is the code of secret (base32) at step.
func TOTPCode(secret string, step int64) (string, error) {
	return totp.GenerateCodeCustom(secret, time.Unix(step*int64(TOTPPeriod/time.Second), 0), totpOpts)
}

// NormaliseCode removes the spaces and hyphens people type or paste inside
// a code.
func NormaliseCode(code string) string {
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\t' {
			return -1
		}
		return r
	}, code)
}

// MatchTOTP returns the step, within TOTPSkew of now, whose code is code;
// false if none. Codes are compared in constant time.
func MatchTOTP(secret, code string, now time.Time) (int64, bool) {
	code = NormaliseCode(code)
	if len(code) != TOTPDigits {
		return 0, false
	}
	step := TOTPStep(now)
	found, match := int64(0), false
	for s := step - TOTPSkew; s <= step+TOTPSkew; s++ {
		want, err := TOTPCode(secret, s)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && !match {
			found, match = s, true
		}
	}
	return found, match
}

// QRCodeDataURI renders content as a QR code PNG in a data: URI, for an
// <img> drawn on the server.
func QRCodeDataURI(content string) (string, error) {
	png, err := qrcode.Encode(content, qrcode.Medium, 256)
	if err != nil {
		return "", fmt.Errorf("auth: drawing a QR code: %w", err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(png), nil
}

// recoveryAlphabet is Crockford-like base32 in lower case, without the
// letters easily misread (i, l, o, u).
var recoveryEncoding = base32.NewEncoding("0123456789abcdefghjkmnpqrstvwxyz").WithPadding(base32.NoPadding)

// NewRecoveryCodes makes RecoveryCodeCount recovery codes of 80 random bits
// each, written xxxx-xxxx-xxxx-xxxx. With that much entropy a fast hash is
// safe to store, as for session tokens.
func NewRecoveryCodes() ([]string, error) {
	out := make([]string, RecoveryCodeCount)
	for i := range out {
		b := make([]byte, 10)
		if _, err := rand.Read(b); err != nil {
			return nil, fmt.Errorf("auth: making recovery codes: %w", err)
		}
		s := recoveryEncoding.EncodeToString(b) // 16 characters
		out[i] = s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
	}
	return out, nil
}

// RecoveryCodeHash is the stored form of a recovery code of userID:
// SHA-256 of the user and the normalised code (case, spaces and hyphens
// ignored).
func RecoveryCodeHash(userID, code string) []byte {
	sum := sha256.Sum256([]byte("referral-ledger recovery code v1\x00" + userID + "\x00" + strings.ToLower(NormaliseCode(code))))
	return sum[:]
}

// LooksLikeRecoveryCode reports whether code has the shape of a recovery
// code rather than a TOTP code.
func LooksLikeRecoveryCode(code string) bool {
	return len(NormaliseCode(code)) == 16
}

// SecretBox seals TOTP secrets with AES-256-GCM under a key derived from the
// master key, bound to the user they belong to, so a sealed secret is
// useless to anyone without the master key and cannot be moved to another
// account.
type SecretBox struct{ aead cipher.AEAD }

// NewSecretBox returns a box sealing under key (32 bytes).
func NewSecretBox(key [32]byte) (*SecretBox, error) {
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &SecretBox{aead: aead}, nil
}

// Seal encrypts secret for userID.
func (b *SecretBox) Seal(userID, secret string) ([]byte, error) {
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return b.aead.Seal(nonce, nonce, []byte(secret), []byte("totp\x00"+userID)), nil
}

// errSealed is the failure to open a sealed secret: another master key,
// another user, or damage.
var errSealed = errors.New("auth: the sealed TOTP secret cannot be opened (another master key?)")

// Open decrypts a secret Seal sealed for userID.
func (b *SecretBox) Open(userID string, sealed []byte) (string, error) {
	n := b.aead.NonceSize()
	if len(sealed) < n {
		return "", errSealed
	}
	out, err := b.aead.Open(nil, sealed[:n], sealed[n:], []byte("totp\x00"+userID))
	if err != nil {
		return "", errSealed
	}
	return string(out), nil
}

// QRCodeSVG draws content as a QR code in SVG, one path of dark modules
// with a four-module quiet zone, to put inline in a page: no image
// request, no script, nothing a Content-Security-Policy must allow.
func QRCodeSVG(content, label string) (string, error) {
	q, err := qrcode.New(content, qrcode.Medium)
	if err != nil {
		return "", fmt.Errorf("auth: drawing a QR code: %w", err)
	}
	q.DisableBorder = true
	bits := q.Bitmap()
	const quiet = 4
	size := len(bits) + 2*quiet
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-labelledby="qr-title" class="qr-code" shape-rendering="crispEdges">`,
		size, size, size*6, size*6)
	fmt.Fprintf(&b, `<title id="qr-title">%s</title><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`,
		htmlEscaper.Replace(label), size, size)
	for y, row := range bits {
		for x, dark := range row {
			if dark {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x+quiet, y+quiet)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return b.String(), nil
}

var htmlEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;")
