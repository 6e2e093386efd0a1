package http

import (
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTOTPEnrolmentIdempotencyKey_OPS1: POST /v1/users/me/mfa/totp
// creates, so an Idempotency-Key makes a retry (the answer lost on the
// way) get the first answer: the same secret, which the app may already
// have scanned, not a new one that voids it. The secret is read from the
// pending enrolment, kept sealed, and is nowhere in clear in the data
// directory. Once the enrolment is no longer pending (started again,
// confirmed) the key's retry is 409, not another secret; the same key
// with another body is 422, as on every creating POST.
func TestTOTPEnrolmentIdempotencyKey_OPS1(t *testing.T) {
	a := newTestAPI(t, withMFARoles(networkMFARoles...))
	const path = "/v1/users/me/mfa/totp"
	token := a.Admin.Token
	enrol := func(key string, body any) *response {
		return a.do(t, http.MethodPost, path, token, body, "Idempotency-Key", key)
	}

	first := want(t, enrol("enrol-1", map[string]any{}), http.StatusCreated)
	secret := first.str("secret")
	if secret == "" {
		t.Fatalf("no secret: %s", first.Body)
	}
	retry := want(t, enrol("enrol-1", map[string]any{}), http.StatusCreated)
	if retry.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("the retry is not marked as replayed: %v", retry.Header)
	}
	for _, f := range []string{"secret", "otpauth_url", "qr_code", "expires_at"} {
		if retry.str(f) != first.str(f) {
			t.Errorf("the retry's %s differs from the first answer's", f)
		}
	}
	if p := enrol("enrol-1", map[string]any{"other": true}).problem(t, http.StatusUnprocessableEntity); !p.hasField("Idempotency-Key") {
		t.Errorf("the same key with another body: %+v", p)
	}
	err := filepath.WalkDir(a.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), secret) {
			t.Errorf("%s holds the TOTP secret in clear", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Started again under another key: the first key's enrolment is gone.
	second := want(t, enrol("enrol-2", nil), http.StatusCreated)
	if second.str("secret") == secret {
		t.Fatalf("a new key got the first secret again")
	}
	enrol("enrol-1", map[string]any{}).problem(t, http.StatusConflict)
	if again := want(t, enrol("enrol-2", nil), http.StatusCreated); again.str("secret") != second.str("secret") {
		t.Errorf("the second key's retry got another secret")
	}

	// Confirmed: nothing is pending, and the retry shows no secret.
	want(t, a.do(t, http.MethodPost, path+"/confirmation", token, map[string]string{"code": a.totpNow(t, second.str("secret"))}), http.StatusOK)
	if r := enrol("enrol-2", nil); r.Status != http.StatusConflict || strings.Contains(string(r.Body), second.str("secret")) {
		t.Errorf("a retry after confirmation: %d %s", r.Status, r.Body)
	}
}
