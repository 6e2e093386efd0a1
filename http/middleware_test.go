package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
)

// syncBuffer is a log sink safe for the race detector.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testEngine is newEngine with a fresh registry, logging into the returned
// buffer.
func testEngine(tb testing.TB) (*gin.Engine, *syncBuffer, *prometheus.Registry) {
	tb.Helper()
	gin.SetMode(gin.TestMode)
	logs := &syncBuffer{}
	reg := prometheus.NewRegistry()
	m, err := newMetrics(reg)
	if err != nil {
		tb.Fatal(err)
	}
	return newEngine(zerolog.New(logs), m, 0), logs, reg
}

// sendRequest serves one request; headers are name, value pairs.
func sendRequest(tb testing.TB, h http.Handler, method, target, body string, headers ...string) *httptest.ResponseRecorder {
	tb.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, r)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// problemOf decodes a problem+json response, failing if it is not one.
func problemOf(tb testing.TB, rec *httptest.ResponseRecorder) problem {
	tb.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != problemContentType {
		tb.Fatalf("Content-Type = %q, want %q; body %s", ct, problemContentType, rec.Body)
	}
	var p problem
	dec := json.NewDecoder(bytes.NewReader(rec.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		tb.Fatalf("decoding problem %s: %v", rec.Body, err)
	}
	if p.Status != rec.Code {
		tb.Fatalf("problem status %d, response status %d", p.Status, rec.Code)
	}
	return p
}

func TestRequestID(t *testing.T) {
	valid := uuid.NewString()
	tests := []struct {
		name     string
		incoming string
		want     string // "" means a fresh UUID
	}{
		{"Absent", "", ""},
		{"ValidUUID", valid, valid},
		{"UpperCaseUUIDNormalised", strings.ToUpper(valid), valid},
		{"NotAUUID", "client-chosen-text", ""},
		{"UUIDInBraces", "{" + valid + "}", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _, _ := testEngine(t)
			var seen string
			r.GET("/x", func(c *gin.Context) { seen = correlationID(c); c.Status(http.StatusNoContent) })
			var headers []string
			if tt.incoming != "" {
				headers = []string{requestIDHeader, tt.incoming}
			}
			rec := sendRequest(t, r, http.MethodGet, "/x", "", headers...)
			got := rec.Header().Get(requestIDHeader)
			if got != seen {
				t.Errorf("echoed %q, correlationID %q", got, seen)
			}
			if tt.want != "" && got != tt.want {
				t.Errorf("request id = %q, want %q", got, tt.want)
			}
			if tt.want == "" {
				if _, err := uuid.Parse(got); err != nil || got == tt.incoming {
					t.Errorf("request id = %q, want a fresh UUID", got)
				}
			}
		})
	}
}

func TestRequestLogger(t *testing.T) {
	r, logs, _ := testEngine(t)
	user := uuid.New()
	r.GET("/v1/referrals/:id", func(c *gin.Context) {
		setUserID(c, user)
		zerolog.Ctx(c.Request.Context()).Info().Msg("inside")
		c.Status(http.StatusOK)
	})
	id := uuid.NewString()
	rec := sendRequest(t, r, http.MethodGet, "/v1/referrals/"+id+"?q=secret", "")

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 log lines, got %q", lines)
	}
	var inside, line map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &inside); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &line); err != nil {
		t.Fatal(err)
	}
	reqID := rec.Header().Get(requestIDHeader)
	if inside["request_id"] != reqID || inside["user_id"] != user.String() {
		t.Errorf("handler's logger lacks request or user id: %v", inside)
	}
	want := map[string]any{"method": "GET", "route": "/v1/referrals/:id", "status": float64(200),
		"user_id": user.String(), "request_id": reqID, "message": "request"}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("log %s = %v, want %v", k, line[k], v)
		}
	}
	if _, ok := line["latency"]; !ok {
		t.Error("log line has no latency")
	}
	if strings.Contains(logs.String(), id) || strings.Contains(logs.String(), "secret") {
		t.Errorf("log holds the raw URL: %s", logs)
	}
}

func TestRecoverer(t *testing.T) {
	tests := []struct {
		name      string
		panicWith any
		wantInLog string
	}{
		{"RuntimeError", nil, "integer divide by zero"},
		{"ValueWithClientData", "Jane Doe 1970-01-01", "panic of type string"},
		{"Error", fmt.Errorf("client %s", "Jane Doe 1970-01-01"), "panic of type *errors.errorString"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, logs, _ := testEngine(t)
			r.GET("/boom", func(c *gin.Context) {
				if tt.panicWith == nil {
					n := len(c.Query("n"))
					_ = 1 / n
				}
				panic(tt.panicWith)
			})
			rec := sendRequest(t, r, http.MethodGet, "/boom", "")
			p := problemOf(t, rec)
			if rec.Code != http.StatusInternalServerError || p.Detail != internalDetail {
				t.Errorf("got %d %+v", rec.Code, p)
			}
			if strings.Contains(rec.Body.String(), "Jane") || strings.Contains(logs.String(), "Jane") {
				t.Errorf("panic value leaked: body %s logs %s", rec.Body, logs)
			}
			if !strings.Contains(logs.String(), tt.wantInLog) || !strings.Contains(logs.String(), "stack") {
				t.Errorf("log lacks %q or the stack: %s", tt.wantInLog, logs)
			}
			if !strings.Contains(logs.String(), `"status":500`) {
				t.Errorf("request line does not record the 500: %s", logs)
			}
		})
	}
}

func TestCommonHeaders(t *testing.T) {
	r, _, _ := testEngine(t)
	r.GET("/ok", func(c *gin.Context) { c.Status(http.StatusNoContent) })
	r.GET("/fail", func(c *gin.Context) { writeError(c, errors.New("x")) })
	for _, path := range []string{"/ok", "/fail", "/nowhere"} {
		t.Run(strings.TrimPrefix(path, "/"), func(t *testing.T) {
			rec := sendRequest(t, r, http.MethodGet, path, "")
			for h, want := range map[string]string{
				"Cache-Control":          "no-store",
				"X-Content-Type-Options": "nosniff",
				"X-Frame-Options":        "DENY",
			} {
				if got := rec.Header().Get(h); got != want {
					t.Errorf("%s = %q, want %q", h, got, want)
				}
			}
		})
	}
}

func TestNoRouteNoMethod(t *testing.T) {
	r, _, _ := testEngine(t)
	r.GET("/v1/things/:id", func(c *gin.Context) { c.Status(http.StatusOK) })
	r.DELETE("/v1/things/:id", func(c *gin.Context) { c.Status(http.StatusNoContent) })
	tests := []struct {
		name, method, path string
		status             int
		code               string
		allow              string
	}{
		{"UnknownPath", http.MethodGet, "/v1/nothing?x=1", http.StatusNotFound, "not_found", ""},
		{"TrailingSlashIsNotRedirected", http.MethodGet, "/v1/things/1/", http.StatusNotFound, "not_found", ""},
		{"UnknownMethod", http.MethodPost, "/v1/things/1", http.StatusMethodNotAllowed, "method_not_allowed", "GET, DELETE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := sendRequest(t, r, tt.method, tt.path, "")
			p := problemOf(t, rec)
			if rec.Code != tt.status || p.Type != problemTypeBase+tt.code {
				t.Errorf("got %d %s", rec.Code, p.Type)
			}
			if got := rec.Header().Get("Allow"); got != tt.allow {
				t.Errorf("Allow = %q, want %q", got, tt.allow)
			}
			if strings.Contains(p.Instance, "?") {
				t.Errorf("instance %q holds the query", p.Instance)
			}
		})
	}
}

func TestBodyLimit(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		chunked bool
		status  int
	}{
		{"UnderLimit", `{"a":"1234"}`, false, http.StatusOK},
		{"DeclaredOverLimit", `{"a":"123456789012345678901234567890"}`, false, http.StatusRequestEntityTooLarge},
		{"ChunkedOverLimit", `{"a":"123456789012345678901234567890"}`, true, http.StatusRequestEntityTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gin.SetMode(gin.TestMode)
			r := gin.New()
			r.Use(bodyLimit(16))
			r.POST("/x", func(c *gin.Context) {
				var v struct {
					A string `json:"a"`
				}
				if err := decodeJSON(c, &v); err != nil {
					writeError(c, err)
					return
				}
				c.Status(http.StatusOK)
			})
			req := httptest.NewRequest(http.MethodPost, "/x", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			if tt.chunked {
				req.ContentLength = -1
			}
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if tt.status == http.StatusRequestEntityTooLarge {
				if p := problemOf(t, rec); !strings.Contains(p.Detail, "16 bytes") {
					t.Errorf("detail %q does not name the limit", p.Detail)
				}
			}
		})
	}
}

func TestUserID(t *testing.T) {
	gin.SetMode(gin.TestMode)
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest(http.MethodGet, "/", nil)
	if _, ok := userIDFrom(c); ok {
		t.Fatal("user id before setUserID")
	}
	id := uuid.New()
	setUserID(c, id)
	if got, ok := userIDFrom(c); !ok || got != id {
		t.Fatalf("userIDFrom = %v, %v", got, ok)
	}
}
