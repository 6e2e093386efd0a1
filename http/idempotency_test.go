package http

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/idempotency"
	idemsqlite "github.com/referral-ledger/ledger/idempotency/sqlite"
)

// openTestIdempotencyStore opens a store in a fresh file, closed at the end.
func openTestIdempotencyStore(tb testing.TB) (idempotency.Store, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "idempotency.db")
	s, err := idemsqlite.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s, path
}

// idemFixture is an engine with one idempotent creating route. The handler
// echoes the name it was sent (client data) and behaves as the body says.
type idemFixture struct {
	engine  *gin.Engine
	calls   atomic.Int32
	entered chan struct{} // receives when a "block" request is in the handler
	release chan struct{} // closed to let it finish
}

func newIdemFixture(tb testing.TB, store idempotency.Store) *idemFixture {
	tb.Helper()
	f := &idemFixture{entered: make(chan struct{}, 1), release: make(chan struct{})}
	f.engine, _, _ = testEngine(tb)
	fakeAuth := func(c *gin.Context) {
		if u := c.GetHeader("X-Test-User"); u != "" {
			setUserID(c, uuid.MustParse(u))
		}
	}
	f.engine.POST("/v1/things", fakeAuth, idempotent(store, nil), func(c *gin.Context) {
		f.calls.Add(1)
		var req struct {
			Name  string `json:"name"`
			Then  string `json:"then"`
			Extra string `json:"extra"`
		}
		if err := decodeJSON(c, &req); err != nil {
			writeError(c, err)
			return
		}
		switch req.Then {
		case "fail":
			var v validator
			v.add("then", "fails")
			writeError(c, v.err())
			return
		case "panic":
			panic("handler panic")
		case "block":
			f.entered <- struct{}{}
			<-f.release
		}
		id := uuid.NewString()
		c.Header("Location", "/v1/things/"+id)
		c.Header("ETag", `"1"`)
		c.JSON(http.StatusCreated, gin.H{"id": id, "name": req.Name})
	})
	return f
}

func (f *idemFixture) post(tb testing.TB, user, key, body string) *httptest.ResponseRecorder {
	tb.Helper()
	headers := []string{"Content-Type", "application/json", "X-Test-User", user}
	if key != "-" {
		headers = append(headers, idempotencyKeyHeader, key)
	}
	return sendRequest(tb, f.engine, http.MethodPost, "/v1/things", body, headers...)
}

func TestIdempotent(t *testing.T) {
	alice, bob := uuid.NewString(), uuid.NewString()
	body := `{"name":"` + clientData + `"}`
	type step struct {
		user, key, body string
		status          int
		replayed        bool
		sameAsFirst     bool // same body and Location as the first response
	}
	tests := []struct {
		name  string
		steps []step
		calls int32
	}{
		{"NoKeyRunsEveryTime", []step{
			{alice, "-", body, 201, false, false},
			{alice, "-", body, 201, false, false},
		}, 2},
		{"SameKeySameBodyReplays", []step{
			{alice, "k1", body, 201, false, true},
			{alice, "k1", body, 201, true, true},
			{alice, "k1", body, 201, true, true},
		}, 1},
		{"SameKeyDifferentBodyIs422", []step{
			{alice, "k1", body, 201, false, true},
			{alice, "k1", `{"name":"someone else"}`, 422, false, false},
		}, 1},
		// The same JSON written otherwise (spacing, the order of its
		// keys) is the same body; a value that differs is not.
		{"SameKeyBodyWrittenOtherwiseReplays", []step{
			{alice, "k1", `{"name":"` + clientData + `","then":"ok"}`, 201, false, true},
			{alice, "k1", "{ \"then\" : \"ok\",\n \"name\":\"" + clientData + "\" }\n", 201, true, true},
		}, 1},
		{"SameKeyBodyDifferingInOneValueIs422", []step{
			{alice, "k1", body, 201, false, true},
			{alice, "k1", `{"name":"` + clientData + `x"}`, 422, false, false},
		}, 1},
		{"KeysBelongToTheirUser", []step{
			{alice, "k1", body, 201, false, true},
			{bob, "k1", body, 201, false, false},
		}, 2},
		{"FailureReleasesTheKey", []step{
			{alice, "k1", `{"then":"fail"}`, 422, false, false},
			{alice, "k1", `{"then":"fail"}`, 422, false, false},
			{alice, "k1", body, 201, false, false},
		}, 3},
		{"MalformedBodyReleasesTheKey", []step{
			{alice, "k1", `{"name":`, 400, false, false},
			{alice, "k1", body, 201, false, false},
		}, 2},
		{"PanicReleasesTheKey", []step{
			{alice, "k1", `{"then":"panic"}`, 500, false, false},
			{alice, "k1", `{"then":"panic"}`, 500, false, false},
		}, 2},
		{"EmptyKeyIs400", []step{{alice, "", body, 400, false, false}}, 0},
		{"LongKeyIs400", []step{{alice, strings.Repeat("k", 256), body, 400, false, false}}, 0},
		{"LongestKeyIsFine", []step{{alice, strings.Repeat("k", 255), body, 201, false, false}}, 1},
		{"NonASCIIKeyIs400", []step{{alice, "clé", body, 400, false, false}}, 0},
		{"ControlCharacterKeyIs400", []step{{alice, "k\x7f", body, 400, false, false}}, 0},
		{"NoSignedInUserIs500", []step{{"", "k1", body, 500, false, false}}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, _ := openTestIdempotencyStore(t)
			f := newIdemFixture(t, store)
			var first *httptest.ResponseRecorder
			for i, s := range tt.steps {
				rec := f.postAs(t, s.user, s.key, s.body)
				if rec.Code != s.status {
					t.Fatalf("step %d: status %d, want %d: %s", i, rec.Code, s.status, rec.Body)
				}
				if got := rec.Header().Get("Idempotent-Replayed") == "true"; got != s.replayed {
					t.Errorf("step %d: replayed = %v, want %v", i, got, s.replayed)
				}
				if i == 0 {
					first = rec
					continue
				}
				same := rec.Body.String() == first.Body.String() && rec.Header().Get("Location") == first.Header().Get("Location")
				if same != s.sameAsFirst {
					t.Errorf("step %d: same as first = %v, want %v\nfirst %s\nnow   %s", i, same, s.sameAsFirst, first.Body, rec.Body)
				}
				if s.replayed && (rec.Header().Get("ETag") != `"1"` || rec.Header().Get("Content-Type") != first.Header().Get("Content-Type")) {
					t.Errorf("step %d: headers not replayed: %v", i, rec.Header())
				}
			}
			if got := f.calls.Load(); got != tt.calls {
				t.Errorf("handler ran %d times, want %d", got, tt.calls)
			}
		})
	}
}

// postAs is post that sends no user header for user "".
func (f *idemFixture) postAs(tb testing.TB, user, key, body string) *httptest.ResponseRecorder {
	tb.Helper()
	if user != "" {
		return f.post(tb, user, key, body)
	}
	return sendRequest(tb, f.engine, http.MethodPost, "/v1/things", body,
		"Content-Type", "application/json", idempotencyKeyHeader, key)
}

func TestIdempotentInFlightIs409(t *testing.T) {
	store, _ := openTestIdempotencyStore(t)
	f := newIdemFixture(t, store)
	alice := uuid.NewString()
	body := `{"then":"block"}`

	var first *httptest.ResponseRecorder
	var wg sync.WaitGroup
	wg.Go(func() { first = f.post(t, alice, "k1", body) })
	<-f.entered

	second := f.post(t, alice, "k1", body)
	if second.Code != http.StatusConflict {
		t.Errorf("while in flight: status %d: %s", second.Code, second.Body)
	}
	if p := problemOf(t, second); p.Type != problemTypeBase+"conflict" {
		t.Errorf("problem %+v", p)
	}
	// It says when to send the request again (R-OPS-1: a client retries).
	if ra := second.Header().Get("Retry-After"); ra != "1" {
		t.Errorf("while in flight: Retry-After %q, want 1", ra)
	}

	close(f.release)
	wg.Wait()
	if first.Code != http.StatusCreated {
		t.Fatalf("first: %d %s", first.Code, first.Body)
	}
	third := f.post(t, alice, "k1", body)
	if third.Code != http.StatusCreated || third.Body.String() != first.Body.String() {
		t.Errorf("after completion: %d %s", third.Code, third.Body)
	}
}

// TestIdempotentResponseSealedAtRest: the stored response holds client
// data, so it must not be readable from the data directory (R-PRIV-1).
func TestIdempotentResponseSealedAtRest(t *testing.T) {
	store, path := openTestIdempotencyStore(t)
	f := newIdemFixture(t, store)
	rec := f.post(t, uuid.NewString(), "k1", `{"name":"`+clientData+`"}`)
	if rec.Code != http.StatusCreated || !strings.Contains(rec.Body.String(), clientData) {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	files, _ := filepath.Glob(path + "*")
	if len(files) == 0 {
		t.Fatal("no database files")
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(clientData)) {
			t.Errorf("%s holds the response in plaintext", filepath.Base(file))
		}
	}
}

func TestSealResponse(t *testing.T) {
	req := requestBytes("POST", "/v1/referrals", []byte(`{"a":1}`))
	sealed, err := sealResponse(req, "u1", "k1", []byte("secret body"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, scope, key string
		req              []byte
		ok               bool
	}{
		{"SameRequest", "u1", "k1", req, true},
		{"OtherBody", "u1", "k1", requestBytes("POST", "/v1/referrals", []byte(`{"a":2}`)), false},
		{"OtherRoute", "u1", "k1", requestBytes("POST", "/v1/organisations", []byte(`{"a":1}`)), false},
		{"OtherScope", "u2", "k1", req, false},
		{"OtherKey", "u1", "k2", req, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := openResponse(tt.req, tt.scope, tt.key, sealed)
			if ok := err == nil && string(got) == "secret body"; ok != tt.ok {
				t.Errorf("opened = %v (%q, %v), want %v", ok, got, err, tt.ok)
			}
		})
	}
}
