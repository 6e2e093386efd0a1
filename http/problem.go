// Package http serves the ledger's HTTP API (API.md) with Gin. Gin appears
// only here. Every error response is an RFC 9457 problem written by
// writeError, which maps error codes to statuses through one table.
package http

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/datadir"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/projections"
)

// problemTypeBase prefixes every problem's "type" member: a problem of code
// c has type problemTypeBase+c, e.g.
// https://referral-ledger.example/problems/not_found. The code is a domain
// error code or one of the request codes below. The URIs identify the kind
// of problem; they are not promised to be dereferenceable.
const problemTypeBase = "https://referral-ledger.example/problems/"

// problemCode names a kind of problem: a domain.Code, or a request code for
// failures of HTTP framing that the domain cannot express.
type problemCode string

// Request codes: the request itself is unusable, before any domain rule is
// applied. They are carried by *requestError.
const (
	codeMalformed        problemCode = "malformed_request"      // unparsable body, bad path parameter, bad header
	codeUnsupportedMedia problemCode = "unsupported_media_type" // the body is not application/json
	codeTooLarge         problemCode = "payload_too_large"      // the body is over the size limit
	codeMethodNotAllowed problemCode = "method_not_allowed"     // the path exists, the method does not
)

// statusOf is the one code→status table of the API.
func statusOf(code problemCode) int {
	switch code {
	case problemCode(domain.Invalid):
		return http.StatusUnprocessableEntity
	case problemCode(domain.NotFound):
		return http.StatusNotFound
	case problemCode(domain.Conflict):
		return http.StatusConflict
	case problemCode(domain.PreconditionFailed):
		return http.StatusPreconditionFailed
	case problemCode(domain.Unauthorized):
		return http.StatusUnauthorized
	case problemCode(domain.Forbidden):
		return http.StatusForbidden
	case problemCode(domain.TooManyRequests):
		return http.StatusTooManyRequests
	case problemCode(domain.Unavailable):
		return http.StatusServiceUnavailable
	case problemCode(domain.StorageFull):
		return http.StatusInsufficientStorage
	case codeMalformed:
		return http.StatusBadRequest
	case codeUnsupportedMedia:
		return http.StatusUnsupportedMediaType
	case codeTooLarge:
		return http.StatusRequestEntityTooLarge
	case codeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case codeMFAEnrolmentRequired:
		return http.StatusForbidden
	default: // domain.Internal and anything unknown
		return http.StatusInternalServerError
	}
}

// requestError refines a domain error whose cause is the HTTP request's
// framing (syntax, media type, size, method, path parameters) so that it
// gets its own status instead of 422. It unwraps to a *domain.Error with code
// Invalid, so domain.ErrorCode, ErrorMessage and ErrorFields still work on it.
type requestError struct {
	code problemCode
	err  *domain.Error
}

func (e *requestError) Error() string { return string(e.code) + ": " + e.err.Message }
func (e *requestError) Unwrap() error { return e.err }

// newRequestError returns a *requestError of the given request code. The
// message must be safe to show: never a value taken from the request.
func newRequestError(code problemCode, message string, fields ...domain.FieldError) error {
	return &requestError{code: code, err: &domain.Error{Code: domain.Invalid, Message: message, Fields: fields}}
}

// malformed returns a 400 error: the request cannot be parsed.
func malformed(message string, fields ...domain.FieldError) error {
	return newRequestError(codeMalformed, message, fields...)
}

// retryAfterError carries how long a throttled client should wait. Any error
// with a RetryAfter method in its chain is honoured, so packages that must
// not import http (auth's throttle) can provide their own.
type retryAfterError struct {
	err   error
	after time.Duration
}

func (e *retryAfterError) Error() string             { return e.err.Error() }
func (e *retryAfterError) Unwrap() error             { return e.err }
func (e *retryAfterError) RetryAfter() time.Duration { return e.after }

// setRetryAfter sets Retry-After, rounded up to whole seconds, when err
// has a RetryAfter method in its chain.
func setRetryAfter(c *gin.Context, err error) {
	var ra interface{ RetryAfter() time.Duration }
	if errors.As(err, &ra) && ra.RetryAfter() > 0 {
		secs := int64((ra.RetryAfter() + time.Second - 1) / time.Second)
		c.Header("Retry-After", strconv.FormatInt(secs, 10))
	}
}

// withRetryAfter annotates err (normally a domain.TooManyRequests error) so
// that its 429 response carries Retry-After, rounded up to whole seconds.
func withRetryAfter(err error, after time.Duration) error {
	return &retryAfterError{err: err, after: after}
}

// defaultRetryAfter is the Retry-After of a 503 whose error does not say
// how long to wait.
const defaultRetryAfter = 2 * time.Second

// storageFullMessage is the detail of every 507.
const storageFullMessage = "the server's storage is full, so nothing can be saved; the change was not made. " +
	"Retry once an operator has freed space"

// classify refines errors whose cause decides the answer, whatever layer
// returned them (R-OPS-4): full storage anywhere in the chain is
// StorageFull (507), and a request that ran out of its time limit, a
// SQLite file that stayed locked (datadir.StoreBusy), or a
// read of the views that failed (projections.ErrUnreadable), is
// Unavailable (503). The original error stays the cause, for the log.
func classify(c *gin.Context, err error) error {
	code := domain.ErrorCode(err)
	var de *domain.Error
	switch {
	case errors.Is(err, eventstore.ErrTooLarge) && errors.As(err, &de):
		// The event store's size limit (issue 18): the request is too
		// large, like a body over the HTTP limit, and the message names
		// the limit.
		return &requestError{code: codeTooLarge, err: de}
	case code != domain.StorageFull && datadir.StorageFull(err):
		return &domain.Error{Code: domain.StorageFull, Message: storageFullMessage, Cause: err}
	case code == domain.Internal && errors.Is(err, context.DeadlineExceeded) && c.Request.Context().Err() != nil:
		return &domain.Error{Code: domain.Unavailable, Message: "the server could not answer within its time limit; retry shortly", Cause: err}
	case code == domain.Internal && datadir.StoreBusy(err):
		// A SQLite file another process kept locked past the busy
		// timeout: a passing failure, retried, not an internal error.
		return ledger.StoreBusy(err)
	case code == domain.Internal && errors.Is(err, projections.ErrUnreadable):
		// A read of the views (views.db) that failed: 503, as the ledger
		// answers one, never the "none" or 404 an empty answer would
		// give (R-OPS-4); the cause is logged, not shown.
		return ledger.ViewsUnavailable(err)
	}
	return err
}

// problemCodeOf classifies err: the request code of a *requestError in its
// chain, else its domain code (internal when unclassified).
func problemCodeOf(err error) problemCode {
	var re *requestError
	if errors.As(err, &re) {
		return re.code
	}
	return problemCode(domain.ErrorCode(err))
}

// problem is an RFC 9457 problem details object. Errors is present only when
// the error carries field errors: never null, never an empty list.
// RequestID is an extension member so a user can quote it to support.
type problem struct {
	Type      string              `json:"type"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Detail    string              `json:"detail"`
	Instance  string              `json:"instance,omitempty"`
	Errors    []domain.FieldError `json:"errors,omitempty"`
	RequestID string              `json:"request_id,omitempty"`
}

// problemContentType is the media type of every error response.
const problemContentType = "application/problem+json"

// internalDetail replaces the message of every 500; the real error is logged.
const internalDetail = "an internal error occurred; quote the request id if you report it"

// writeError writes err as a problem+json response and aborts the chain.
// The status comes from statusOf; the detail is the error's user-safe
// message, except for internal errors, which are logged with the request's
// logger and answered with a generic detail. 401 responses carry
// WWW-Authenticate: Bearer, and 429 and 409 responses carry Retry-After
// when err knows it. If the response was already started, err is only logged.
func writeError(c *gin.Context, err error) {
	if err == nil {
		err = errors.New("writeError called with a nil error")
	}
	err = withRefusals(c, classify(c, err))
	code := problemCodeOf(err)
	status := statusOf(code)
	log := zerolog.Ctx(c.Request.Context())

	if c.Writer.Written() {
		log.Error().Err(err).Int("status", status).Msg("error after the response was started")
		c.Abort()
		return
	}

	p := problem{
		Type:      problemTypeBase + string(code),
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    domain.ErrorMessage(err),
		Instance:  c.Request.URL.Path,
		Errors:    domain.ErrorFields(err),
		RequestID: correlationID(c),
	}
	switch {
	case status == http.StatusInternalServerError:
		// Never show an internal error's text; it may hold anything.
		log.Error().Err(err).Msg("internal error")
		p.Type = problemTypeBase + string(domain.Internal)
		p.Detail = internalDetail
		p.Errors = nil
	case status == http.StatusServiceUnavailable:
		log.Warn().Err(err).Msg("unavailable")
		setRetryAfter(c, err)
		if c.Writer.Header().Get("Retry-After") == "" {
			setRetryAfter(c, withRetryAfter(err, defaultRetryAfter))
		}
	case status == http.StatusInsufficientStorage:
		// Logged once per episode, not once per request: a full disk
		// refuses every write until it is freed.
		storageOf(c).refused(*log, err)
	case status == http.StatusUnauthorized:
		c.Header("WWW-Authenticate", "Bearer")
	case status == http.StatusTooManyRequests, status == http.StatusConflict:
		// A 409 says when to retry only while the first request with its
		// Idempotency-Key is still being processed.
		setRetryAfter(c, err)
	}
	if status >= http.StatusInternalServerError {
		// A replay that fails (the store unavailable or full while the
		// resource is read again) is no stored result: the retry will
		// replay once the failure has passed.
		c.Writer.Header().Del(idempotentReplayedHeader)
	}
	if len(p.Errors) == 0 {
		p.Errors = nil
	}
	body, merr := json.Marshal(p)
	if merr != nil { // cannot happen: problem holds only strings and ints
		log.Error().Err(merr).Msg("encoding a problem")
		c.AbortWithStatus(http.StatusInternalServerError)
		return
	}
	c.Data(status, problemContentType, body)
	c.Abort()
}
