package http

import (
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/domain"
)

// ctxKey keys the values this package keeps in a gin.Context; an unexported
// type so nothing else can collide with or forge them.
type ctxKey int

const (
	ctxRequestID ctxKey = iota // string, set by requestID
	ctxUserID                  // uuid.UUID, set by auth through setUserID
	ctxBodyLimit               // int64, set by bodyLimit
)

// requestIDHeader carries the correlation id in and out.
const requestIDHeader = "X-Request-Id"

// maxBodyBytes is the default limit on a request body.
const maxBodyBytes int64 = 1 << 20

// newEngine returns a Gin engine with the middleware every route shares, in
// the order that matters: the request id first so everything can log it;
// the logger and metrics outside recoverer so a panic is logged and counted
// as the 500 it becomes. It answers unknown paths with 404 and unknown
// methods with 405 (with Allow), both as problems, and trusts no proxy
// headers for the client address until the caller says otherwise.
func newEngine(logger zerolog.Logger, m *metrics, maxBody int64) *gin.Engine {
	if maxBody <= 0 {
		maxBody = maxBodyBytes
	}
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.RedirectTrailingSlash = false // a redirect would not be a problem+json
	r.RedirectFixedPath = false
	r.ContextWithFallback = true
	_ = r.SetTrustedProxies(nil) // cannot fail for nil
	r.Use(
		requestID(),
		requestLogger(logger),
		m.middleware(),
		recoverer(),
		securityHeaders(),
		noStore(),
		bodyLimit(maxBody),
	)
	r.NoRoute(noRoute)
	r.NoMethod(noMethod)
	return r
}

// requestID takes a well-formed incoming X-Request-Id (a UUID) or makes a new
// one, echoes it in the response and keeps it for correlationID. Anything
// else in the header is ignored, since it would end up in logs and events.
func requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := ""
		if in := c.GetHeader(requestIDHeader); len(in) == 36 {
			if u, err := uuid.Parse(in); err == nil {
				id = u.String()
			}
		}
		if id == "" {
			id = uuid.NewString()
		}
		c.Set(ctxRequestID, id)
		c.Header(requestIDHeader, id)
		c.Next()
	}
}

// correlationID returns the request's id, used as the correlation id of the
// events it causes (R-LEDGER-3); "" if requestID did not run.
func correlationID(c *gin.Context) string {
	v, _ := c.Get(ctxRequestID)
	id, _ := v.(string)
	return id
}

// setUserID records the signed-in user for the rest of the request: handlers,
// the request log line and the request's logger.
func setUserID(c *gin.Context, id uuid.UUID) {
	c.Set(ctxUserID, id)
	zerolog.Ctx(c.Request.Context()).UpdateContext(func(l zerolog.Context) zerolog.Context {
		return l.Str("user_id", id.String())
	})
}

// userIDFrom returns the signed-in user set by setUserID, or false.
func userIDFrom(c *gin.Context) (uuid.UUID, bool) {
	v, _ := c.Get(ctxUserID)
	id, ok := v.(uuid.UUID)
	return id, ok
}

// requestLogger puts a child of logger carrying the request id into the
// request's context (zerolog.Ctx finds it) and logs one line per request.
// The line names the route template, never the raw URL, so it holds no ids
// or query values.
func requestLogger(logger zerolog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		l := logger.With().Str("request_id", correlationID(c)).Logger()
		c.Request = c.Request.WithContext(l.WithContext(c.Request.Context()))

		c.Next()

		status := c.Writer.Status()
		ev := zerolog.Ctx(c.Request.Context()).Info()
		if status >= http.StatusInternalServerError {
			ev = zerolog.Ctx(c.Request.Context()).Error()
		}
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		ev.Str("method", methodLabel(c.Request.Method)).
			Str("route", route).
			Int("status", status).
			Dur("latency", time.Since(start)).
			Int("bytes", c.Writer.Size()).
			Msg("request")
	}
}

// recoverer turns a panic into a 500 problem. It logs the stack and, for
// runtime errors only, the panic message; other panic values may hold
// request data and are logged by type alone.
func recoverer() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler { // net/http's signal to abort quietly
				panic(v)
			}
			var what string
			if re, ok := v.(runtime.Error); ok {
				what = re.Error()
			} else {
				what = fmt.Sprintf("panic of type %T", v)
			}
			zerolog.Ctx(c.Request.Context()).Error().
				Str("panic", what).
				Bytes("stack", debug.Stack()).
				Msg("recovered from a panic")
			writeError(c, errors.New("panic"))
		}()
		c.Next()
	}
}

// noStore forbids caching of every response: they hold personal data.
func noStore() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("Cache-Control", "no-store")
		c.Next()
	}
}

// securityHeaders sets the headers a JSON API wants on every response.
func securityHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("Referrer-Policy", "no-referrer")
		c.Next()
	}
}

// bodyLimit caps request bodies at n bytes: a declared longer body is
// refused with 413 at once, and reading past n fails, which decodeJSON turns
// into 413 too. The body of a method that takes none (GET, HEAD, DELETE) is
// never read, so it is ignored whatever its size, as a small one is: no
// GET or DELETE of the API answers 413.
func bodyLimit(n int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Set(ctxBodyLimit, n)
		if c.Request.ContentLength > n && takesBody(c.Request.Method) {
			writeError(c, tooLarge(n))
			return
		}
		if c.Request.Body != nil {
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, n)
		}
		c.Next()
	}
}

// takesBody reports whether the API reads the body of a request with
// method: POST, PUT and PATCH, and a method it does not know, whose 405
// may as well come after a 413.
func takesBody(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodDelete:
		return false
	}
	return true
}

// bodyLimitOf returns the body limit bodyLimit set for this request, or
// the default.
func bodyLimitOf(c *gin.Context) int64 {
	if n, ok := c.Value(ctxBodyLimit).(int64); ok && n > 0 {
		return n
	}
	return maxBodyBytes
}

// tooLarge is the 413 error for a body over limit bytes.
func tooLarge(limit int64) error {
	return newRequestError(codeTooLarge, "the request body is larger than the limit of "+strconv.FormatInt(limit, 10)+" bytes")
}

// noRoute answers a path the API does not have.
func noRoute(c *gin.Context) {
	writeError(c, domain.Errorf(domain.NotFound, "no such resource"))
}

// noMethod answers a method the path does not support; Gin has already set
// the Allow header.
func noMethod(c *gin.Context) {
	allow := c.Writer.Header().Get("Allow")
	writeError(c, newRequestError(codeMethodNotAllowed, "the method is not allowed here; allowed: "+allow))
}

// methodLabel returns m if it is a standard method and "other" otherwise, so
// a client cannot fill logs or metrics with made-up method names.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "other"
}
