package http

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/internal/fulldisk"
	"github.com/referral-ledger/ledger/keystore"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/worker"
)

// faultMode is what a faultStore does to the calls it wraps.
type faultMode int32

const (
	faultNone           faultMode = iota
	faultStall                    // every call blocks until released or its ctx ends
	faultStallAfterHead           // Head answers; every other call stalls
	faultFail                     // appends fail with the store's err (by default a full disk)
)

// sqliteError is an error as modernc.org/sqlite reports one: a result
// code behind a Code method.
type sqliteError struct{ code int }

func (e sqliteError) Error() string { return fmt.Sprintf("database or disk is full (%d)", e.code) }
func (e sqliteError) Code() int     { return e.code }

// errDiskFull is what the SQLite event store returns when its disk is
// full: SQLITE_FULL (13), wrapped as the store wraps every failure.
var errDiskFull = fmt.Errorf("sqlite: commit batch to /data/events.db: %w: %w", eventstore.ErrUnavailable, sqliteError{code: 13})

// faultStore wraps the node's event store and injects faults (R-OPS-4).
type faultStore struct {
	eventstore.Store
	mode    atomic.Int32
	err     error // what appends fail with in faultFail; set before the mode
	release chan struct{}
}

func newFaultStore(s eventstore.Store) *faultStore {
	return &faultStore{Store: s, err: errDiskFull, release: make(chan struct{})}
}

func (f *faultStore) set(m faultMode) { f.mode.Store(int32(m)) }

// stall blocks a call in a stall mode until released or ctx ends.
func (f *faultStore) stall(ctx context.Context, head bool) error {
	switch faultMode(f.mode.Load()) {
	case faultStall:
	case faultStallAfterHead:
		if head {
			return nil
		}
	default:
		return nil
	}
	select {
	case <-f.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (f *faultStore) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if err := f.stall(ctx, false); err != nil {
		return eventstore.AppendResult{}, err
	}
	if faultMode(f.mode.Load()) == faultFail {
		return eventstore.AppendResult{}, f.err
	}
	return f.Store.Append(ctx, stream, expected, events...)
}

func (f *faultStore) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.RecordedEvent, error) {
	if err := f.stall(ctx, false); err != nil {
		return nil, err
	}
	return f.Store.ReadStream(ctx, stream, from, limit)
}

func (f *faultStore) ReadAll(ctx context.Context, after eventstore.Position, limit int) ([]eventstore.RecordedEvent, error) {
	if err := f.stall(ctx, false); err != nil {
		return nil, err
	}
	return f.Store.ReadAll(ctx, after, limit)
}

func (f *faultStore) Head(ctx context.Context) (eventstore.Position, error) {
	if err := f.stall(ctx, true); err != nil {
		return 0, err
	}
	return f.Store.Head(ctx)
}

// faultSessions fails session writes as a full disk does while full is set.
type faultSessions struct {
	ledger.Sessions
	full *atomic.Bool
}

func (f faultSessions) Create(userID, organisationID, credential string, now time.Time) (string, time.Time, error) {
	if f.full.Load() {
		return "", time.Time{}, fmt.Errorf("sessions: create in /data/sessions.db: %w", sqliteError{code: 13})
	}
	return f.Sessions.Create(userID, organisationID, credential, now)
}

// routeRequest is one request to a route, with every path parameter a new
// id and a JSON body where the method takes one.
func routeRequest(method, path string) (string, any, []string) {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") || strings.HasPrefix(p, "*") {
			parts[i] = uuid.NewString()
		}
	}
	var body any
	var headers []string
	if method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
		body = map[string]any{}
		headers = []string{"Idempotency-Key", uuid.NewString()}
	}
	return strings.Join(parts, "/"), body, headers
}

// TestStalledStoreAnswersEveryEndpointWithin503: R-OPS-4. While the event
// store stalls, no request waits without a bound: every endpoint answers
// within http.request_timeout, and an endpoint that needed the store
// answers 503 problem+json with Retry-After. The bound is the client's
// context, not a timed assertion.
func TestStalledStoreAnswersEveryEndpointWithin503(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode faultMode
		// all503 says every route but the operational ones must be 503.
		all503 bool
	}{
		{"StallEverything", faultStall, true},
		{"StallAfterSignIn", faultStallAfterHead, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var fs *faultStore
			api := newTestAPI(t, withRequestTimeout(300*time.Millisecond),
				withFaults(func(s eventstore.Store) eventstore.Store { fs = newFaultStore(s); return fs }, nil))
			fs.set(tc.mode)
			defer close(fs.release)

			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			var wg sync.WaitGroup
			for _, rt := range api.Server.Routes() {
				wg.Go(func() {
					path, body, headers := routeRequest(rt.Method, rt.Path)
					req, err := api.newRequest(rt.Method, path, api.Admin.Token, body, headers...)
					if err != nil {
						t.Error(err)
						return
					}
					if rt.Path == "/v1/sessions" && rt.Method == http.MethodPost {
						req, _ = api.newRequest(rt.Method, path, "", map[string]string{"username": "admin", "password": testAdminPassword})
					}
					if rt.Path == "/v1/sessions/second-factor" {
						req, _ = api.newRequest(rt.Method, path, "", map[string]string{"challenge": "a-challenge", "code": "123456"})
					}
					res, err := api.send(req.WithContext(ctx))
					if err != nil {
						t.Errorf("%s %s: no answer: %v", rt.Method, rt.Path, err)
						return
					}
					operational := rt.Path == "/healthz" || rt.Path == "/metrics" || rt.Path == "/v1/openapi.json"
					if operational {
						return
					}
					if tc.all503 && res.Status != http.StatusServiceUnavailable {
						t.Errorf("%s %s: status %d, want 503; body %s", rt.Method, rt.Path, res.Status, res.Body)
					}
					if res.Status == http.StatusServiceUnavailable && res.Header.Get("Retry-After") == "" {
						t.Errorf("%s %s: 503 without Retry-After", rt.Method, rt.Path)
					}
					if res.Status == http.StatusServiceUnavailable && rt.Path != "/readyz" &&
						res.Header.Get("Content-Type") != "application/problem+json" {
						t.Errorf("%s %s: 503 is not problem+json: %s", rt.Method, rt.Path, res.Body)
					}
					if res.Status == http.StatusInternalServerError {
						t.Errorf("%s %s: 500: %s", rt.Method, rt.Path, res.Body)
					}
				})
			}
			wg.Wait()
		})
	}
}

// TestFullStorageAnswers507: R-OPS-4. A full disk (SQLITE_FULL, code 13)
// answers every write, sign-in included, with 507 problem+json saying
// storage is full, not 500 or a vague 503; the cause (which file, which
// error) is logged once per episode, not once per request; /readyz
// answers 503 naming it for a while after each refusal; a write that
// succeeds ends the episode.
func TestFullStorageAnswers507(t *testing.T) {
	var fs *faultStore
	sessionsFull := &atomic.Bool{}
	api := newTestAPI(t, withFaults(
		func(s eventstore.Store) eventstore.Store { fs = newFaultStore(s); return fs },
		func(s ledger.Sessions) ledger.Sessions { return faultSessions{Sessions: s, full: sessionsFull} }))
	org := api.registerOrg(t, "Full Disk Advice")

	fs.set(faultFail)
	sessionsFull.Store(true)
	for i := range 3 {
		p := api.do(t, http.MethodPost, "/v1/referrals", api.Admin.Token, validReferral(org, "Client Full")).
			problem(t, http.StatusInsufficientStorage)
		if !strings.HasSuffix(p.Type, "/insufficient_storage") || !strings.Contains(p.Detail, "storage is full") {
			t.Fatalf("referral %d: problem %+v", i, p)
		}
		api.do(t, http.MethodPatch, "/v1/organisations/"+org, api.Admin.Token, map[string]any{"description": "Changed."}).
			problem(t, http.StatusInsufficientStorage)
		api.do(t, http.MethodPost, "/v1/sessions", "", map[string]string{"username": "admin", "password": testAdminPassword}).
			problem(t, http.StatusInsufficientStorage)
	}
	// Readiness says so, so that a load balancer sends the node no more
	// work for a while; with none to end the episode, it comes back after
	// the hold, and a write refused again starts another.
	ready := func() *response { return api.do(t, http.MethodGet, "/readyz", "", nil) }
	if r := ready(); r.Status != http.StatusServiceUnavailable || r.str("cause") != "storage_full" || r.Header.Get("Retry-After") == "" {
		t.Errorf("/readyz while storage is full: %d %s", r.Status, r.Body)
	}
	api.Clock.Advance(storageFullHold)
	want(t, ready(), http.StatusOK)
	api.do(t, http.MethodPost, "/v1/referrals", api.Admin.Token, validReferral(org, "Client Full")).
		problem(t, http.StatusInsufficientStorage)
	if r := ready(); r.str("cause") != "storage_full" {
		t.Errorf("/readyz after another refusal: %d %s", r.Status, r.Body)
	}
	logs := api.Logs.String()
	for _, file := range []string{"/data/events.db", "/data/sessions.db"} {
		if got := countLines(logs, "storage is full", file); got != 1 {
			t.Errorf("the cause in %s was logged %d times in one episode, want once:\n%s", file, got, logs)
		}
	}
	if !strings.Contains(logs, "database or disk is full (13)") {
		t.Errorf("the log does not carry the store's error:\n%s", logs)
	}

	// Freed: the next write succeeds and ends the episode; a new
	// episode logs its cause again.
	fs.set(faultNone)
	sessionsFull.Store(false)
	api.makeReferral(t, api.Admin.Token, org, "Client After")
	if !strings.Contains(api.Logs.String(), "storage accepts writes again") {
		t.Errorf("the end of the episode was not logged")
	}
	want(t, ready(), http.StatusOK)
	fs.set(faultFail)
	api.do(t, http.MethodPost, "/v1/referrals", api.Admin.Token, validReferral(org, "Client Again")).
		problem(t, http.StatusInsufficientStorage)
	if got := countLines(api.Logs.String(), "storage is full", "/data/events.db"); got != 2 {
		t.Errorf("a second episode logged its cause %d times in all, want 2", got)
	}
}

// countLines counts the log lines holding every one of subs.
func countLines(logs string, subs ...string) int {
	n := 0
	for line := range strings.SplitSeq(logs, "\n") {
		all := true
		for _, s := range subs {
			all = all && strings.Contains(line, s)
		}
		if all {
			n++
		}
	}
	return n
}

// TestStoreErrorKeepsItsCause: R-OPS-4. An unavailable store answers 503
// with Retry-After, and the log names the store's own error.
func TestStoreErrorKeepsItsCause(t *testing.T) {
	var fs *faultStore
	api := newTestAPI(t, withFaults(func(s eventstore.Store) eventstore.Store { fs = newFaultStore(s); return fs }, nil))
	org := api.registerOrg(t, "Cause Advice")
	// A full disk is 507; any other unavailability is 503 with its cause.
	fs.err = fmt.Errorf("sqlite: commit batch: %w: %w", eventstore.ErrUnavailable, errors.New("disk I/O error (10)"))
	fs.set(faultFail)
	r := api.do(t, http.MethodPost, "/v1/referrals", api.Admin.Token, validReferral(org, "Client Cause"))
	r.problem(t, http.StatusServiceUnavailable)
	if r.Header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	if !strings.Contains(api.Logs.String(), "disk I/O error (10)") {
		t.Errorf("the log lost the store's error:\n%s", api.Logs.String())
	}
}

// TestReadyzNamesAFailingWorker: R-OPS-4. While a background job cannot
// run, /readyz answers 503 naming it, with Retry-After; once it runs
// again, ready.
func TestReadyzNamesAFailingWorker(t *testing.T) {
	health := worker.NewHealth()
	api := newTestAPI(t, withWorkers(health))
	broken := &atomic.Bool{}
	broken.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		health.Run(ctx, zerolog.Nop(), "email notices", worker.Backoff{Min: time.Millisecond, Max: 10 * time.Millisecond},
			func(ctx context.Context, healthy func()) error {
				if broken.Load() {
					return errDiskFull
				}
				healthy()
				<-ctx.Done()
				return nil
			})
	}()
	defer func() {
		cancel()
		<-done
	}()

	r := api.waitReadyz(t, http.StatusServiceUnavailable)
	if !slices.Contains(anyStrings(r.get("failing")), "email notices") || !strings.Contains(r.str("reason"), "email notices") {
		t.Errorf("/readyz does not name the failing job: %s", r.Body)
	}
	if r.Header.Get("Retry-After") == "" {
		t.Error("/readyz 503 without Retry-After")
	}
	broken.Store(false)
	api.waitReadyz(t, http.StatusOK)
}

// waitReadyz polls /readyz until it answers status, within a bound.
func (a *testAPI) waitReadyz(tb testing.TB, status int) *response {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		r := a.do(tb, http.MethodGet, "/readyz", "", nil)
		if r.Status == status {
			return r
		}
		select {
		case <-ctx.Done():
			tb.Fatalf("/readyz never answered %d; last %d %s", status, r.Status, r.Body)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func anyStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		s, _ := e.(string)
		out = append(out, s)
	}
	return out
}

// TestFullDiskAnswers507: R-OPS-4, on a real filesystem. The whole data
// directory sits on a small tmpfs that is then filled: writes answer 507
// problem+json (never 500), and once space is freed
// writes succeed again without a restart. Skipped when not root.
func TestFullDiskAnswers507(t *testing.T) {
	disk := fulldisk.Mount(t, "32m")
	api := newTestAPI(t, onDataDir(disk.Dir, keystore.GenerateMasterKey()))
	org := api.registerOrg(t, "Tmpfs Advice")
	first := api.makeReferral(t, api.Admin.Token, org, "Client Before")

	disk.Fill(t)
	refused := false
	// SQLite reuses space it already holds, so a few writes may still fit;
	// sooner or later one needs a new page.
	for i := 0; i < 500 && !refused; i++ {
		r := api.do(t, http.MethodPost, "/v1/referrals", api.Admin.Token, validReferral(org, fmt.Sprintf("Client %d", i)))
		switch r.Status {
		case http.StatusCreated:
		case http.StatusInsufficientStorage:
			p := r.problem(t, http.StatusInsufficientStorage)
			if !strings.Contains(p.Detail, "storage is full") {
				t.Errorf("507 detail %q", p.Detail)
			}
			refused = true
		default:
			t.Fatalf("write on a full disk: status %d, want 201 or 507; body %s", r.Status, r.Body)
		}
	}
	if !refused {
		t.Fatal("no write was refused on a full disk")
	}
	if !strings.Contains(api.Logs.String(), "storage is full") {
		t.Errorf("the cause was not logged")
	}
	// Signing in writes a session: refused alike, sooner or later.
	signInRefused := false
	for i := 0; i < 50 && !signInRefused; i++ {
		r := api.do(t, http.MethodPost, "/v1/sessions", "", map[string]string{"username": "admin", "password": testAdminPassword})
		switch r.Status {
		case http.StatusCreated:
		case http.StatusInsufficientStorage:
			r.problem(t, http.StatusInsufficientStorage)
			signInRefused = true
		default:
			t.Fatalf("sign-in on a full disk: status %d, want 201 or 507; body %s", r.Status, r.Body)
		}
	}
	if !signInRefused {
		t.Error("no sign-in was refused on a full disk")
	}
	// Reading a referral records the access, so it is a write too.
	api.do(t, http.MethodGet, "/v1/referrals/"+first, api.Admin.Token, nil).problem(t, http.StatusInsufficientStorage)

	disk.Free(t)
	api.makeReferral(t, api.Admin.Token, org, "Client After")
	want(t, api.do(t, http.MethodGet, "/v1/referrals/"+first, api.Admin.Token, nil), http.StatusOK)
}

// TestReadsWhileStorageFullAreRecordedFirst_OPS4_LOCK9: while storage is
// full, a read is answered only once its access record is stored, on the
// API and on the web pages alike; a read whose record cannot be kept is
// refused with 507 and shows nothing of the client. Once a write succeeds
// again, reads are answered as before.
func TestReadsWhileStorageFullAreRecordedFirst_OPS4_LOCK9(t *testing.T) {
	var fs *faultStore
	api := newTestAPI(t, withWebPages(), withFaults(func(s eventstore.Store) eventstore.Store { fs = newFaultStore(s); return fs }, nil))
	org := api.registerOrg(t, "Recorded Advice")
	id := api.makeReferral(t, api.Admin.Token, org, "Client Recorded")
	page := func() *response {
		t.Helper()
		req, err := api.newRequest(http.MethodGet, "/referrals/"+id, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.AddCookie(&http.Cookie{Name: "ledger_session", Value: api.Admin.Token})
		r, err := api.send(req)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := page(); r.Status != http.StatusOK || !strings.Contains(string(r.Body), "Client Recorded") {
		t.Fatalf("the referral's page before the disk filled: %d", r.Status)
	}

	fs.set(faultFail)
	api.do(t, http.MethodPost, "/v1/referrals", api.Admin.Token, validReferral(org, "Client Full")).
		problem(t, http.StatusInsufficientStorage)
	r := api.do(t, http.MethodGet, "/v1/referrals/"+id, api.Admin.Token, nil)
	r.problem(t, http.StatusInsufficientStorage)
	if strings.Contains(string(r.Body), "Client Recorded") {
		t.Fatal("an API read whose access record could not be stored showed the client")
	}
	if r := page(); r.Status != http.StatusInsufficientStorage || strings.Contains(string(r.Body), "Client Recorded") {
		t.Fatalf("a page read whose access record could not be stored: %d, want 507 without the client", r.Status)
	}

	fs.set(faultNone)
	api.makeReferral(t, api.Admin.Token, org, "Client After")
	want(t, api.do(t, http.MethodGet, "/v1/referrals/"+id, api.Admin.Token, nil), http.StatusOK)
	if r := page(); r.Status != http.StatusOK {
		t.Fatalf("the referral's page once storage accepts writes again: %d", r.Status)
	}
}
