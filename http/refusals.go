package http

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

// ctxRefused holds the field errors of a request's body that its handler
// could not see (refuseBody).
const ctxRefused = "ledger.refused"

// decodeBody is decodeJSON for a handler that goes on to check the body's
// fields itself. A body whose only faults are field errors (a value of the
// wrong JSON type or out of range, an unknown or duplicate key) is not
// answered at once: its errors become the request's refusals
// (refuseBody), the handler runs on the rest of the body, and the 422 it
// comes to names them with every other field at fault. Anything else
// decodeJSON refuses (no body, 413, 415, a syntax error) is returned.
func decodeBody(c *gin.Context, dst any) error {
	err := decodeJSON(c, dst)
	var re *requestError
	var de *domain.Error
	if err == nil || errors.As(err, &re) || !errors.As(err, &de) || de.Code != domain.Invalid || len(de.Fields) == 0 {
		return err
	}
	refuseBody(c, de.Fields)
	return nil
}

// refuseBody records fields as the request's refusals: the checks of who
// may act answer first, as for any body; then the request is refused with
// 422 naming these and whatever else its handler finds at fault
// (writeError), and nothing is written (ledger.WithRefused). Should a
// handler reach a successful answer all the same, the answer is that 422
// (refusalGuard).
func refuseBody(c *gin.Context, fields []domain.FieldError) {
	c.Set(ctxRefused, fields)
	c.Request = c.Request.WithContext(ledger.WithRefused(c.Request.Context(), fields))
	if _, guarded := c.Writer.(*refusalGuard); !guarded {
		c.Writer = &refusalGuard{ResponseWriter: c.Writer, c: c}
	}
}

// refuseField adds a field the body left out, or gave a value the route
// never takes, to the request's refusals (refuseBody), unless a refusal
// names it already (a value of the wrong type), and returns ctx carrying
// them. The handler
// then runs its command on a stand-in value: the checks of who may act
// answer first (403, or 404 where existence would leak, R-AUTH-4,
// R-LOCK-12), then one 422 names this field with every other at fault,
// and nothing is written (ledger.WithRefused).
func refuseField(c *gin.Context, ctx context.Context, field, message string) context.Context {
	refused := refusalsOf(c)
	for _, f := range refused {
		if f.Field == field && !notAcceptedError(f) {
			return ctx
		}
	}
	fields := append(slices.Clip(refused), domain.FieldError{Field: field, Message: message})
	refuseBody(c, fields)
	return ledger.WithRefused(ctx, fields)
}

// refusalsOf returns the request's refusals, if any.
func refusalsOf(c *gin.Context) []domain.FieldError {
	v, _ := c.Get(ctxRefused)
	fields, _ := v.([]domain.FieldError)
	return fields
}

// withRefusals returns err, a 422, with the request's refusals named
// first and err's own field errors after them, except those at or under
// a field refused (the zero value left for a value of the wrong type is
// not also "required") or on the object a refused field is a member of
// (an allow entry whose user_id was a number is not also "naming
// neither a user nor a team"), each once. Other errors are returned as
// they are.
func withRefusals(c *gin.Context, err error) error {
	refused := refusalsOf(c)
	var de *domain.Error
	if len(refused) == 0 || problemCodeOf(err) != problemCode(domain.Invalid) || !errors.As(err, &de) {
		return err
	}
	fields := append([]domain.FieldError(nil), refused...)
	for _, f := range de.Fields {
		if len(fields) >= maxFieldErrors {
			break
		}
		if !coveredBy(f, fields) {
			fields = append(fields, f)
		}
	}
	out := domain.InvalidFields(fields...)
	out.Cause = de.Cause
	return out
}

// coveredBy reports whether f is one of fields, or names a field at or
// under a refused one, or the object a refused one is a member of: that
// object was sent with the member, which the handler could not see. A
// key the request does not take is refused on the object that holds it
// (notAccepted), which covers that object alone, not its members.
func coveredBy(f domain.FieldError, fields []domain.FieldError) bool {
	for _, g := range fields {
		if notAcceptedError(g) {
			// It names the object holding a key the request does
			// not take, not the key: the object's own members are
			// still checked.
			if f.Field == g.Field {
				return true
			}
			continue
		}
		if f == g || f.Field == g.Field ||
			strings.HasPrefix(f.Field, g.Field+".") || strings.HasPrefix(f.Field, g.Field+"[") {
			return true
		}
		if i := strings.LastIndexByte(g.Field, '.'); i > 0 && f.Field == g.Field[:i] {
			return true
		}
	}
	return false
}

// refusalGuard stands in for the response writer of a request with
// refusals: an answer other than an error is replaced by the 422 naming
// them. Every write goes through the ledger, which refuses it
// (ledger.Refused); this keeps a handler that writes nothing (a search)
// from answering on what was left of the body.
type refusalGuard struct {
	gin.ResponseWriter
	c     *gin.Context
	state guardState
}

type guardState int

const (
	guardWatching guardState = iota // nothing answered yet
	guardRefusing                   // writing the 422
	guardRefused                    // the 422 is written: the handler's answer is dropped
)

func (w *refusalGuard) WriteHeader(code int) {
	switch {
	case w.state == guardRefused:
	case w.state == guardWatching && code < 400:
		w.refuse()
	default:
		w.ResponseWriter.WriteHeader(code)
	}
}

func (w *refusalGuard) WriteHeaderNow() {
	switch {
	case w.state == guardRefused:
	case w.state == guardWatching && !w.Written() && w.Status() < 400:
		w.refuse()
	default:
		w.ResponseWriter.WriteHeaderNow()
	}
}

func (w *refusalGuard) Write(b []byte) (int, error) {
	if w.state == guardWatching && !w.Written() && w.Status() < 400 {
		w.refuse()
	}
	if w.state == guardRefused {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

func (w *refusalGuard) WriteString(s string) (int, error) {
	if w.state == guardWatching && !w.Written() && w.Status() < 400 {
		w.refuse()
	}
	if w.state == guardRefused {
		return len(s), nil
	}
	return w.ResponseWriter.WriteString(s)
}

// refuse writes the 422 instead of the handler's answer, without the
// headers that described that answer.
func (w *refusalGuard) refuse() {
	w.state = guardRefusing
	h := w.Header()
	for _, k := range []string{"Location", "ETag", "Content-Type", "Content-Location"} {
		h.Del(k)
	}
	writeError(w.c, domain.InvalidFields(refusalsOf(w.c)...))
	w.state = guardRefused
}
