package http

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/referral-ledger/ledger/domain"
)

func TestWriteError(t *testing.T) {
	secret := errors.New("disk /var/lib/ledger full while writing Jane Doe")
	tests := []struct {
		name       string
		err        error
		status     int
		code       string
		detail     string
		fields     int
		header     string
		headerWant string
	}{
		{"Invalid", domain.InvalidFields(domain.FieldError{Field: "reason", Message: "is required"}),
			http.StatusUnprocessableEntity, "invalid", "reason: is required", 1, "", ""},
		{"NotFound", domain.Errorf(domain.NotFound, "no such referral"), http.StatusNotFound, "not_found", "no such referral", 0, "", ""},
		{"Conflict", domain.Errorf(domain.Conflict, "already closed"), http.StatusConflict, "conflict", "already closed", 0, "", ""},
		{"PreconditionFailed", domain.Errorf(domain.PreconditionFailed, "changed"), http.StatusPreconditionFailed, "precondition_failed", "changed", 0, "", ""},
		{"Unauthorized", domain.Errorf(domain.Unauthorized, "sign in"), http.StatusUnauthorized, "unauthorized", "sign in", 0, "WWW-Authenticate", "Bearer"},
		{"Forbidden", domain.Errorf(domain.Forbidden, "not yours"), http.StatusForbidden, "forbidden", "not yours", 0, "", ""},
		{"TooManyRequests", withRetryAfter(domain.Errorf(domain.TooManyRequests, "slow down"), 1500*time.Millisecond),
			http.StatusTooManyRequests, "too_many_requests", "slow down", 0, "Retry-After", "2"},
		{"TooManyRequestsForeignRetryAfter", &foreignRetry{domain.Errorf(domain.TooManyRequests, "slow down")},
			http.StatusTooManyRequests, "too_many_requests", "slow down", 0, "Retry-After", "30"},
		{"TooManyRequestsUnknownWait", domain.Errorf(domain.TooManyRequests, "slow down"),
			http.StatusTooManyRequests, "too_many_requests", "slow down", 0, "Retry-After", ""},
		{"Unavailable", domain.Errorf(domain.Unavailable, "store down"), http.StatusServiceUnavailable, "unavailable", "store down", 0, "", ""},
		{"Internal", domain.Errorf(domain.Internal, "invariant broken for Jane Doe"), http.StatusInternalServerError, "internal", internalDetail, 0, "", ""},
		{"Unclassified", secret, http.StatusInternalServerError, "internal", internalDetail, 0, "", ""},
		{"WrappedDomainError", fmt.Errorf("loading: %w", domain.Errorf(domain.NotFound, "no such organisation")),
			http.StatusNotFound, "not_found", "no such organisation", 0, "", ""},
		{"Malformed", malformed("bad JSON", domain.FieldError{Field: "id", Message: "must be a UUID"}),
			http.StatusBadRequest, "malformed_request", "bad JSON", 1, "", ""},
		{"UnsupportedMedia", newRequestError(codeUnsupportedMedia, "json only"), http.StatusUnsupportedMediaType, "unsupported_media_type", "json only", 0, "", ""},
		{"TooLarge", tooLarge(10), http.StatusRequestEntityTooLarge, "payload_too_large", "the request body is larger than the limit of 10 bytes", 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, logs, _ := testEngine(t)
			r.GET("/v1/things/:id", func(c *gin.Context) { writeError(c, tt.err) })
			rec := sendRequest(t, r, http.MethodGet, "/v1/things/42?name=Jane", "")
			p := problemOf(t, rec)
			if rec.Code != tt.status {
				t.Errorf("status = %d, want %d", rec.Code, tt.status)
			}
			if p.Type != problemTypeBase+tt.code || p.Title != http.StatusText(tt.status) || p.Detail != tt.detail {
				t.Errorf("problem = %+v", p)
			}
			if p.Instance != "/v1/things/42" {
				t.Errorf("instance = %q", p.Instance)
			}
			if len(p.Errors) != tt.fields {
				t.Errorf("errors = %v, want %d", p.Errors, tt.fields)
			}
			if tt.fields == 0 && strings.Contains(rec.Body.String(), `"errors"`) {
				t.Errorf("empty errors member present: %s", rec.Body)
			}
			if p.RequestID == "" || p.RequestID != rec.Header().Get(requestIDHeader) {
				t.Errorf("request_id = %q", p.RequestID)
			}
			if tt.header != "" && rec.Header().Get(tt.header) != tt.headerWant {
				t.Errorf("%s = %q, want %q", tt.header, rec.Header().Get(tt.header), tt.headerWant)
			}
			if strings.Contains(rec.Body.String(), "Jane") {
				t.Errorf("client data in the body: %s", rec.Body)
			}
			if tt.status == http.StatusInternalServerError && !strings.Contains(logs.String(), "internal error") {
				t.Errorf("internal error not logged: %s", logs)
			}
		})
	}
}

func TestWriteErrorAfterResponseStarted(t *testing.T) {
	r, logs, _ := testEngine(t)
	r.GET("/x", func(c *gin.Context) {
		c.String(http.StatusOK, "partial")
		writeError(c, errors.New("late failure"))
	})
	rec := sendRequest(t, r, http.MethodGet, "/x", "")
	if rec.Code != http.StatusOK || rec.Body.String() != "partial" {
		t.Errorf("got %d %q", rec.Code, rec.Body)
	}
	if !strings.Contains(logs.String(), "late failure") {
		t.Errorf("late error not logged: %s", logs)
	}
}

func TestStatusOfCoversEveryDomainCode(t *testing.T) {
	codes := []domain.Code{domain.Invalid, domain.NotFound, domain.Conflict, domain.PreconditionFailed,
		domain.Unauthorized, domain.Forbidden, domain.TooManyRequests, domain.Unavailable}
	seen := map[int]domain.Code{}
	for _, code := range codes {
		t.Run(string(code), func(t *testing.T) {
			s := statusOf(problemCode(code))
			if s == http.StatusInternalServerError {
				t.Errorf("%s maps to 500", code)
			}
			if other, dup := seen[s]; dup {
				t.Errorf("%s and %s both map to %d", code, other, s)
			}
			seen[s] = code
		})
	}
}

// foreignRetry stands for another package's throttling error (ledger's
// RetryError): any RetryAfter method in the chain is honoured.
type foreignRetry struct{ err error }

func (e *foreignRetry) Error() string             { return e.err.Error() }
func (e *foreignRetry) Unwrap() error             { return e.err }
func (e *foreignRetry) RetryAfter() time.Duration { return 30 * time.Second }
