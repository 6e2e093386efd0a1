package http

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/referral-ledger/ledger/domain"
)

// FuzzDecodeJSON checks decodeJSON on any body: it never panics; every
// error is a *domain.Error (a *requestError unwraps to one) that maps to
// 400, 413 or 422, never 500; and no error repeats clientData, which the
// seeds in testdata/fuzz/FuzzDecodeJSON place as values, as keys and in
// malformed documents. clientData holds spaces, which decodeJSON never
// echoes even in a key, so a mutated input cannot make a key of it pass.
func FuzzDecodeJSON(f *testing.F) {
	gin.SetMode(gin.TestMode)
	f.Add([]byte(`{"reason":"` + clientData + `"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		c.Request = httptest.NewRequest(http.MethodPost, "/v1/referrals", bytes.NewReader(body))
		c.Request.Header.Set("Content-Type", "application/json")

		var dst decodeTarget
		err := decodeJSON(c, &dst)
		if err == nil {
			return
		}
		var de *domain.Error
		if !errors.As(err, &de) {
			t.Fatalf("error %T (%v) is not a *domain.Error", err, err)
		}
		switch s := statusOf(problemCodeOf(err)); s {
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
		default:
			t.Fatalf("error %v maps to %d", err, s)
		}
		if domain.ErrorMessage(err) == "the request body could not be decoded" {
			t.Fatalf("the walk accepted a body encoding/json refuses: %v", errors.Unwrap(err))
		}
		shown := []string{err.Error(), domain.ErrorMessage(err)}
		for _, fe := range domain.ErrorFields(err) {
			shown = append(shown, fe.Field, fe.Message)
		}
		for _, s := range shown {
			if strings.Contains(s, clientData) {
				t.Fatalf("error repeats client data: %q", s)
			}
		}
	})
}
