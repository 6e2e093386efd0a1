// Package openapicheck holds the API's answers to its OpenAPI document in
// the tests (issue 16, point 1). Its Handler wraps a node's HTTP handler and
// validates, with kin-openapi's openapi3filter, every answer to a request
// for a documented path: the status must be documented for the operation,
// the body must match the schema of its status and content type, the
// headers must match their declared schemas, and Location, ETag,
// Idempotent-Replayed and Retry-After must be declared where they are sent.
//
// A request the document calls invalid is no failure when the server
// refused it too (the tests send bad requests on purpose); when the server
// accepted it (2xx), the document is stricter than the server and that is a
// failure. A request for a /v1 path the document does not describe fails
// unless the server answered 404 or 405.
//
// The test harnesses (the http package's newTestAPI and cmd/ledger's
// startNode) install it, so every test through them is checked; failures
// are collected and reported once per node by Report.
package openapicheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// DeclaredHeaders are the response headers that, when sent, the answer's
// response object in the document must declare.
var DeclaredHeaders = []string{"Location", "ETag", "Idempotent-Replayed", "Retry-After"}

// Checker validates answers against one document and collects failures.
type Checker struct {
	doc    *openapi3.T
	router routers.Router

	mu       sync.Mutex
	failures []string
	seen     map[string]bool
	checked  int
}

// parsed caches documents by their text: a suite builds many nodes.
var parsed sync.Map // string -> *parsedDoc

type parsedDoc struct {
	once   sync.Once
	doc    *openapi3.T
	router routers.Router
	err    error
}

// New returns a checker with no failures for the document, which is parsed
// and validated once per process.
func New(document []byte) (*Checker, error) {
	v, _ := parsed.LoadOrStore(string(document), &parsedDoc{})
	p := v.(*parsedDoc)
	p.once.Do(func() { p.doc, p.router, p.err = parse(document) })
	if p.err != nil {
		return nil, p.err
	}
	return &Checker{doc: p.doc, router: p.router, seen: map[string]bool{}}, nil
}

// parse loads and validates the document and builds a router over its paths.
func parse(document []byte) (*openapi3.T, routers.Router, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(document)
	if err != nil {
		return nil, nil, fmt.Errorf("openapicheck: loading the document: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, nil, fmt.Errorf("openapicheck: the document is not valid OpenAPI: %w", err)
	}
	// Paths are matched whatever host the test server listens on.
	doc.Servers = nil
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, nil, fmt.Errorf("openapicheck: %w", err)
	}
	return doc, router, nil
}

// Handler returns next wrapped so that every exchange is checked.
func (c *Checker) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body []byte
		if r.Body != nil {
			body, _ = io.ReadAll(r.Body)
			_ = r.Body.Close()
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		rec := &recorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r)
		c.check(r, body, rec)
	})
}

// Failures returns the failures so far, each once, in order.
func (c *Checker) Failures() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.failures...)
}

// Checked is how many answers were validated.
func (c *Checker) Checked() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.checked
}

// Reporter is what Report needs of a testing.TB.
type Reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

// Report fails tb once for every failure collected.
func (c *Checker) Report(tb Reporter) {
	tb.Helper()
	for _, f := range c.Failures() {
		tb.Errorf("openapi: the answer does not match http/openapi.json (document the answer, or fix the server): %s", f)
	}
}

func (c *Checker) fail(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.seen[msg] {
		c.seen[msg] = true
		c.failures = append(c.failures, msg)
	}
}

func (c *Checker) check(r *http.Request, reqBody []byte, rec *recorder) {
	status := rec.status
	route, params, err := c.router.FindRoute(requestForRouting(r, reqBody))
	if err != nil {
		if strings.HasPrefix(r.URL.Path, "/v1/") && status != http.StatusNotFound && status != http.StatusMethodNotAllowed {
			c.fail("%s %s answered %d but the path or method is not documented", r.Method, r.URL.Path, status)
		}
		return
	}
	c.mu.Lock()
	c.checked++
	c.mu.Unlock()
	op := operationName(route)
	ctx := context.Background()
	reqInput := &openapi3filter.RequestValidationInput{
		Request:    requestForRouting(r, reqBody),
		PathParams: params,
		Route:      route,
		Options: &openapi3filter.Options{
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
			MultiError:         true,
		},
	}
	if err := openapi3filter.ValidateRequest(ctx, reqInput); err != nil && status >= 200 && status < 300 {
		c.fail("%s: the server accepted (%d) a request the document calls invalid: %s", op, status, oneLine(err))
	}
	respInput := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: reqInput,
		Status:                 status,
		Header:                 rec.Header(),
		Body:                   io.NopCloser(bytes.NewReader(rec.body.Bytes())),
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true,
			MultiError:            true,
		},
	}
	if status == http.StatusNotModified || r.Method == http.MethodHead {
		respInput.Options.ExcludeResponseBody = true
	}
	if err := openapi3filter.ValidateResponse(ctx, respInput); err != nil {
		c.fail("%s answered %d: %s", op, status, oneLine(err))
	}
	c.checkDeclaredHeaders(op, route, status, rec.Header())
}

// checkDeclaredHeaders fails for each of DeclaredHeaders sent but not
// declared on the response object of status.
func (c *Checker) checkDeclaredHeaders(op string, route *routers.Route, status int, h http.Header) {
	resp := route.Operation.Responses.Status(status)
	if resp == nil {
		resp = route.Operation.Responses.Default()
	}
	if resp == nil || resp.Value == nil {
		return // the status is reported already
	}
	var missing []string
	for _, name := range DeclaredHeaders {
		if h.Get(name) == "" {
			continue
		}
		if _, ok := resp.Value.Headers[name]; !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		c.fail("%s answered %d with header %s, which the response does not declare", op, status, strings.Join(missing, ", "))
	}
}

func operationName(route *routers.Route) string {
	name := route.Method + " " + route.Path
	if route.Operation != nil && route.Operation.OperationID != "" {
		name += " (" + route.Operation.OperationID + ")"
	}
	return name
}

// requestForRouting is a copy of r with its body restored.
func requestForRouting(r *http.Request, body []byte) *http.Request {
	c := r.Clone(context.Background())
	if c.Method == http.MethodHead {
		c.Method = http.MethodGet // a HEAD is checked as its GET, less the body
	}
	c.Body = io.NopCloser(bytes.NewReader(body))
	c.ContentLength = int64(len(body))
	return c
}

// oneLine flattens a (multi-)error to one line.
func oneLine(err error) string {
	var multi openapi3.MultiError
	var parts []string
	if errors.As(err, &multi) {
		for _, e := range multi {
			parts = append(parts, oneLine(e))
		}
	} else {
		parts = []string{err.Error()}
	}
	s := strings.Join(parts, "; ")
	return strings.Join(strings.Fields(withoutSchemas(s)), " ")
}

// withoutSchemas drops the schema and value dumps kin-openapi appends to a
// schema error ("\nSchema:\n  {...}\n\nValue:\n  0\n"): a failure names the
// place and the reason.
func withoutSchemas(s string) string {
	var b strings.Builder
	skipping := false
	for _, line := range strings.Split(s, "\n") {
		switch {
		case line == "Schema:" || line == "Value:":
			skipping = true
			continue
		case skipping && (line == "" || strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")):
			continue
		}
		skipping = false
		b.WriteString(line)
		b.WriteString("\n")
	}
	return b.String()
}

// recorder passes the answer on while keeping a copy.
type recorder struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
	body        bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wroteHeader {
		r.WriteHeader(http.StatusOK)
	}
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Flush passes flushes on.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
