package http

// The behaviour tests of the HTTP API (api_*_test.go) run the real Gin
// router of a whole node on a real SQLite file, through a real HTTP
// connection: no mocks. newTestAPI builds the node with cmd/ledger's
// constructor (node.Build), with an injected clock so that deadlines,
// throttling, session expiry and password age are tested by moving time,
// not waiting.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/auth"
	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/config"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
	"github.com/referral-ledger/ledger/internal/openapicheck"
	"github.com/referral-ledger/ledger/keystore"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/node"
	"github.com/referral-ledger/ledger/session"
	"github.com/referral-ledger/ledger/statistics"
)

// Known passwords. All satisfy the network policy (R-AUTH-2). Accounts
// are opened with testInitialPassword, which someone else set, so the
// user changes it to testUserPassword at first sign-in (R-AUTH-6).
const (
	testAdminPassword   = "Quartz#Harbour-71"
	testUserPassword    = "Tr1cky-Walrus#Ledger"
	testInitialPassword = "Set-By-Lead#Quokka7"
)

// testMessageLimit is the messages one user may pass on about one client
// an hour, the configured default (R-LOCK-8).
const testMessageLimit = 20

// testStart is where the injected clock starts unless a test says
// otherwise: Monday 14 December 2026, 09:00 in London (GMT).
var testStart = time.Date(2026, time.December, 14, 9, 0, 0, 0, time.UTC)

// testClock is the node's clock, moved by the test.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t.UTC()
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// lockedLog is the node's log sink; the server writes to it from many
// goroutines while the test reads it.
type lockedLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// apiConfig is what the options of newTestAPI change.
type apiConfig struct {
	start    time.Time
	sessions session.Config
	throttle auth.ThrottleConfig
	hashes   int // password hashes at once; 0 for one per CPU
	policy   auth.PasswordPolicy
	dir      string             // the data directory; "" for a new one
	kek      keystore.MasterKey // the key store's master key; zero for a new one
	stats    statistics.Rule    // the statistics' disclosure control
	hasher   auth.Hasher        // the password hasher: cheap unless a test asks for the production one

	wrapStore      func(eventstore.Store) eventstore.Store // what the node uses instead of the store (faults)
	wrapSessions   func(ledger.Sessions) ledger.Sessions   // likewise for the sessions
	wrapMFA        func(session.MFAStore) session.MFAStore // likewise for the second factors' store
	requestTimeout time.Duration                           // http.request_timeout; 0 for none
	workers        Workers                                 // the background jobs /readyz reports
	// mfaRoles is auth.mfa_required_roles: none by default, so tests
	// whose subject is not the second factor sign in with a password
	// alone; withMFARoles sets them (issue 17).
	mfaRoles  []string
	configure func(*config.Config) // other settings, applied last
	web       bool                 // serve the web pages too, as ledger serve does
}

// withWebPages serves the people's pages beside the API, as ledger serve
// does; their session cookie takes an API token.
func withWebPages() apiOption { return func(c *apiConfig) { c.web = true } }

// withMFARoles requires a second factor of the holders of roles
// (auth.mfa_required_roles); the production default is the network roles.
func withMFARoles(roles ...string) apiOption {
	return func(c *apiConfig) { c.mfaRoles = roles }
}

// withWorkers makes /readyz report workers' failures.
func withWorkers(w Workers) apiOption { return func(c *apiConfig) { c.workers = w } }

// withFaults makes the node use the event store and sessions through
// wrappers that inject faults (R-OPS-4); nil leaves one as it is.
func withFaults(store func(eventstore.Store) eventstore.Store, sessions func(ledger.Sessions) ledger.Sessions) apiOption {
	return func(c *apiConfig) { c.wrapStore, c.wrapSessions = store, sessions }
}

// withMFAStore makes the accounts keep second factors through
// wrap(store), to order what concurrent requests do there.
func withMFAStore(wrap func(session.MFAStore) session.MFAStore) apiOption {
	return func(c *apiConfig) { c.wrapMFA = wrap }
}

// withRequestTimeout bounds every request to d (http.request_timeout).
func withRequestTimeout(d time.Duration) apiOption {
	return func(c *apiConfig) { c.requestTimeout = d }
}

type apiOption func(*apiConfig)

// startingAt starts the injected clock at t.
func startingAt(t time.Time) apiOption { return func(c *apiConfig) { c.start = t } }

// onDataDir starts the node on an existing data directory under its master
// key, as a restart does: give it the Dir and MasterKey of a node that was
// Closed first.
func onDataDir(dir string, kek keystore.MasterKey) apiOption {
	return func(c *apiConfig) { c.dir, c.kek = dir, kek }
}

// withThrottle limits password attempts with cfg instead of the default.
func withThrottle(cfg auth.ThrottleConfig) apiOption {
	return func(c *apiConfig) { c.throttle = cfg }
}

// withHashLimit runs at most n password hashes at once (R-AUTH-5).
func withHashLimit(n int) apiOption { return func(c *apiConfig) { c.hashes = n } }

// withSessions uses the session timeouts of cfg instead of the default.
func withSessions(cfg session.Config) apiOption {
	return func(c *apiConfig) { c.sessions = cfg }
}

// withDisclosure applies rule to the statistics instead of the default.
func withDisclosure(rule statistics.Rule) apiOption {
	return func(c *apiConfig) { c.stats = rule }
}

// fastHashing is argon2id at its cheapest, the harness's default: tests
// sign in many accounts, and production parameters under the race
// detector would spend most of the suite's time hashing. The hash is
// still argon2id, salted and checked the same way.
var fastHashing = auth.Hasher{Memory: 64, Time: 1}

// withFastHashing hashes passwords with the cheapest argon2id parameters
// (the default; kept for tests that say so explicitly).
func withFastHashing() apiOption {
	return func(c *apiConfig) { c.hasher = fastHashing }
}

// withProductionHashing hashes passwords with the production argon2id
// parameters, for tests about the cost of hashing (R-AUTH-5).
func withProductionHashing() apiOption {
	return func(c *apiConfig) { c.hasher = auth.Hasher{} }
}

// testAPI is one running node and a client for it.
type testAPI struct {
	URL      string
	Server   *Server
	Store    *sqlite.Store
	Clock    *testClock
	Calendar *calendar.Calendar
	Logs     *lockedLog
	Admin    testUser
	Hasher   *auth.LimitedHasher // the node's password hashing, to watch its load

	Dir       string             // the data directory: events.db, keys.db, …
	MasterKey keystore.MasterKey // the key store's master key, to restart on Dir
	KeyStore  keystore.Store     // the node's key store, as the ledger uses it

	client *http.Client
	close  func()
}

// testUser is a signed-in account.
type testUser struct {
	ID       string
	Username string
	Password string
	OrgID    string
	Token    string
}

// newTestAPI starts a node on a fresh data directory, bootstraps the
// coordinator "admin" with testAdminPassword and signs it in. Everything
// is stopped and closed when tb ends.
func newTestAPI(tb testing.TB, opts ...apiOption) *testAPI {
	tb.Helper()
	cfg := apiConfig{
		start: testStart,
		// Sessions outlive the clock jumps tests make (days, months), so a
		// test re-signs-in only when it means to.
		sessions: session.Config{IdleTimeout: 2 * 365 * 24 * time.Hour, AbsoluteTimeout: 2 * 365 * 24 * time.Hour},
		throttle: auth.ThrottleConfig{AccountFailures: 5, AddressFailures: 20, Window: 15 * time.Minute},
		policy:   auth.PolicyNetwork,
		stats:    statistics.DefaultRule(),
		hasher:   fastHashing,
	}
	for _, o := range opts {
		o(&cfg)
	}
	dir, kek := cfg.dir, cfg.kek
	if dir == "" {
		dir = tb.TempDir()
	}
	if kek.IsZero() {
		kek = keystore.GenerateMasterKey()
	}
	clock := &testClock{t: cfg.start.UTC()}
	// The node is built as cmd/ledger builds it (node.Build), from a
	// configuration holding the harness's settings; the options inject
	// what a configuration cannot: the clock, cheap hashing, the master
	// key and faults.
	conf := config.Default()
	conf.DataDir = dir
	conf.Auth.PasswordPolicy = config.PasswordPolicy(cfg.policy)
	conf.Auth.SessionIdleTimeout, conf.Auth.SessionAbsoluteTimeout = cfg.sessions.IdleTimeout, cfg.sessions.AbsoluteTimeout
	conf.Auth.MaxFailedLoginsPerAccount = cfg.throttle.AccountFailures
	conf.Auth.MaxFailedLoginsPerAddress = cfg.throttle.AddressFailures
	conf.Auth.FailedLoginWindow = cfg.throttle.Window
	conf.Auth.MaxConcurrentPasswordHashes = cfg.hashes
	conf.Auth.MFARequiredRoles = append([]string{}, cfg.mfaRoles...)
	conf.Statistics.DisclosureControl, conf.Statistics.SuppressMax = cfg.stats.Enabled, cfg.stats.SuppressMax
	conf.Statistics.RoundTo, conf.Statistics.IncludeCurrentMonth = cfg.stats.RoundTo, cfg.stats.IncludeCurrentMonth
	conf.Messages.RateLimit, conf.Messages.RateWindow = testMessageLimit, time.Hour
	conf.Projections.ReadYourWritesTimeout = 5 * time.Second
	conf.HTTP.RequestTimeout = cfg.requestTimeout
	conf.Notify.Enabled = false // no notices: the notifier has tests of its own
	if cfg.configure != nil {
		cfg.configure(&conf)
	}
	logs := &lockedLog{}
	log := zerolog.New(logs)
	n, err := node.Build(conf, log, node.WithClock(clock.Now), node.WithHasher(cfg.hasher), node.WithMasterKey(kek),
		node.WithStoreWrapper(cfg.wrapStore), node.WithSessionsWrapper(cfg.wrapSessions),
		node.WithMFAStoreWrapper(cfg.wrapMFA))
	if err != nil {
		tb.Fatalf("node.Build: %v", err)
	}
	store := n.Store.(*sqlite.Store)
	options := ConfigOptions(conf)
	options.WebInterface = cfg.web
	srv, err := New(Deps{
		Service: n.Service, Accounts: n.Accounts, Orgs: n.Orgs, Clients: n.Clients, Runner: n.Runner, Keys: n.ClientKeys,
		Locks: n.Locks, Idempotency: n.Idempotency, Calendar: n.Calendar, Timescales: n.Timescales, Referrals: n.Referrals,
		Statistics: n.Statistics, Disclosure: n.Disclosure, KnownClients: n.KnownClients, Audit: n.Audit,
		Logger: log, Registry: prometheus.NewRegistry(), Workers: cfg.workers, Options: options,
	})
	if err != nil {
		n.Close()
		tb.Fatalf("http.New: %v", err)
	}
	runner, accounts := n.Runner, n.Accounts

	ctx, stop := context.WithCancel(context.Background())
	runnerDone := make(chan error, 1)
	go func() { runnerDone <- runner.Run(ctx) }()
	// Every answer is checked against the served OpenAPI document (issue
	// 16): a status, header or body it does not describe fails the test.
	checker, err := openapicheck.New(openAPIDocument)
	if err != nil {
		n.Close()
		tb.Fatal(err)
	}
	tb.Cleanup(func() { checker.Report(tb) })
	hs := httptest.NewServer(checker.Handler(srv.Handler()))
	// The HTTP server stops (waiting for requests in flight), then the
	// projections, then the stores: when the test ends, or when it Closes
	// the node to restart on its data directory.
	shutdown := sync.OnceFunc(func() {
		hs.Close()
		stop()
		if err := <-runnerDone; err != nil && err != context.Canceled {
			tb.Errorf("projections runner: %v", err)
		}
		_ = n.Close()
	})
	tb.Cleanup(shutdown)

	api := &testAPI{URL: hs.URL, Server: srv, Store: store, Clock: clock, Calendar: n.Calendar, Logs: logs, Hasher: n.Hasher,
		Dir: dir, MasterKey: kek, KeyStore: n.Keys,
		client: &http.Client{Timeout: time.Minute}, close: shutdown}
	if _, _, err := accounts.Bootstrap(context.Background(), testAdminPassword, ""); err != nil {
		tb.Fatalf("bootstrap: %v", err)
	}
	// The views take in the bootstrap's events before the first sign-in,
	// which a test's short request timeout would otherwise race on a busy
	// machine (answered 503 "still catching up").
	head, err := store.Head(context.Background())
	if err != nil {
		tb.Fatalf("head: %v", err)
	}
	caughtUp, cancelWait := context.WithTimeout(context.Background(), time.Minute)
	defer cancelWait()
	if err := runner.WaitFor(caughtUp, head); err != nil {
		tb.Fatalf("views catching up with the bootstrap: %v", err)
	}
	api.Admin = api.signInUser(tb, ledger.BootstrapUsername, testAdminPassword)
	return api
}

// Close stops the node and closes its stores, as a process exit would; the
// data directory stays for a node started with onDataDir. It may be
// repeated, and runs anyway when the test ends.
func (a *testAPI) Close() { a.close() }

// response is an answer from the API.
type response struct {
	Status int
	Header http.Header
	Body   []byte
	JSON   map[string]any // the body when it is a JSON object, else nil
}

// str returns the string at a path of object keys ("user", "id"), "" if
// absent or not a string.
func (r *response) str(path ...string) string {
	s, _ := r.get(path...).(string)
	return s
}

// get returns the value at a path of object keys, nil if absent.
func (r *response) get(path ...string) any {
	var v any = r.JSON
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// decodeInto decodes the body of r into v.
func decodeInto(tb testing.TB, r *response, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		tb.Fatalf("decoding %s: %v", r.Body, err)
	}
}

// apiProblem is an RFC 9457 body as the tests read it.
type apiProblem struct {
	Type      string              `json:"type"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Detail    string              `json:"detail"`
	Instance  string              `json:"instance"`
	Errors    []domain.FieldError `json:"errors"`
	RequestID string              `json:"request_id"`
}

// hasField reports whether the problem names field among its errors.
func (p apiProblem) hasField(field string) bool {
	for _, f := range p.Errors {
		if f.Field == field {
			return true
		}
	}
	return false
}

// problem checks that r is a problem+json of status and returns it.
func (r *response) problem(tb testing.TB, status int) apiProblem {
	tb.Helper()
	if r.Status != status {
		tb.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		tb.Fatalf("Content-Type %q, want application/problem+json; body %s", ct, r.Body)
	}
	var p apiProblem
	if err := json.Unmarshal(r.Body, &p); err != nil {
		tb.Fatalf("problem body %s: %v", r.Body, err)
	}
	if p.Type == "" || p.Title == "" || p.Status != status || p.Detail == "" {
		tb.Fatalf("problem lacks type, title, status or detail: %s", r.Body)
	}
	return p
}

// invalid checks that r is a 422 problem naming field in its errors.
func (r *response) invalid(tb testing.TB, field string) apiProblem {
	tb.Helper()
	p := r.problem(tb, http.StatusUnprocessableEntity)
	if !p.hasField(field) {
		tb.Fatalf("422 does not name field %q: %s", field, r.Body)
	}
	for _, f := range p.Errors {
		if f.Field == "" || f.Message == "" {
			tb.Fatalf("field error without field or message: %s", r.Body)
		}
	}
	return p
}

// withoutRequest returns the body with the members that differ between
// two requests for the same thing (instance, request_id) removed, for
// byte comparison.
func (r *response) withoutRequest(tb testing.TB) string {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		tb.Fatalf("body %s: %v", r.Body, err)
	}
	delete(m, "instance")
	delete(m, "request_id")
	b, err := json.Marshal(m)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// rawBody is a request body sent exactly as given, with its content type.
type rawBody struct {
	contentType string
	data        []byte
}

// jsonText is a request body of hand-written JSON (or something that is
// meant not to be).
func jsonText(s string) rawBody { return rawBody{contentType: "application/json", data: []byte(s)} }

// do sends a request; body is nil (no body), a rawBody, or anything
// json.Marshal takes. token "" sends no Authorization. headers are name,
// value pairs. Every response must carry Cache-Control: no-store.
func (a *testAPI) do(tb testing.TB, method, path, token string, body any, headers ...string) *response {
	tb.Helper()
	req, err := a.newRequest(method, path, token, body, headers...)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	res, err := a.send(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		tb.Errorf("%s %s: Cache-Control %q, want no-store", method, path, cc)
	}
	return res
}

// doAsync is do for other goroutines: it reports failures as an error
// instead of ending the test.
func (a *testAPI) doAsync(method, path, token string, body any, headers ...string) (*response, error) {
	req, err := a.newRequest(method, path, token, body, headers...)
	if err != nil {
		return nil, err
	}
	return a.send(req)
}

func (a *testAPI) newRequest(method, path, token string, body any, headers ...string) (*http.Request, error) {
	var r io.Reader
	contentType := ""
	switch b := body.(type) {
	case nil:
	case rawBody:
		r, contentType = bytes.NewReader(b.data), b.contentType
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		r, contentType = bytes.NewReader(data), "application/json"
	}
	req, err := http.NewRequest(method, a.URL+path, r)
	if err != nil {
		return nil, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if len(headers)%2 != 0 {
		return nil, fmt.Errorf("headers must be name, value pairs")
	}
	given := map[string]bool{}
	for i := 0; i < len(headers); i += 2 {
		// A name given twice is sent twice (e.g. two If-Match lines).
		if name := http.CanonicalHeaderKey(headers[i]); given[name] {
			req.Header.Add(name, headers[i+1])
		} else {
			given[name] = true
			req.Header.Set(name, headers[i+1])
		}
	}
	return req, nil
}

func (a *testAPI) send(req *http.Request) (*response, error) {
	res, err := a.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	out := &response{Status: res.StatusCode, Header: res.Header, Body: data}
	if ct := res.Header.Get("Content-Type"); strings.Contains(ct, "json") && len(data) > 0 && data[0] == '{' {
		if err := json.Unmarshal(data, &out.JSON); err != nil {
			return nil, fmt.Errorf("decoding %s: %w", data, err)
		}
	}
	return out, nil
}

// want fails the test unless r has status.
func want(tb testing.TB, r *response, status int) *response {
	tb.Helper()
	if r.Status != status {
		tb.Fatalf("status %d, want %d; body %s", r.Status, status, r.Body)
	}
	return r
}

// signIn signs in and returns the session token.
func (a *testAPI) signIn(tb testing.TB, username, password string) string {
	tb.Helper()
	return a.signInUser(tb, username, password).Token
}

// signInUser signs in and returns who that is.
func (a *testAPI) signInUser(tb testing.TB, username, password string) testUser {
	tb.Helper()
	r := want(tb, a.do(tb, http.MethodPost, "/v1/sessions", "", map[string]string{"username": username, "password": password}), http.StatusCreated)
	u := testUser{ID: r.str("user", "id"), Username: r.str("user", "username"), Password: password,
		OrgID: r.str("user", "organisation_id"), Token: r.str("token")}
	if u.Token == "" || u.ID == "" || u.OrgID == "" {
		tb.Fatalf("session without token or user: %s", r.Body)
	}
	return u
}

// registerOrg registers an organisation as the coordinator and returns its
// id.
func (a *testAPI) registerOrg(tb testing.TB, name string) string {
	tb.Helper()
	r := want(tb, a.do(tb, http.MethodPost, "/v1/organisations", a.Admin.Token, map[string]any{
		"name": name, "admin_email": "intake@" + strings.ToLower(strings.ReplaceAll(name, " ", "-")) + ".example",
		"description": "A member of the test network.",
		"services":    []map[string]string{{"name": "Advice", "description": "General advice."}},
	}), http.StatusCreated)
	id := r.str("id")
	if id == "" {
		tb.Fatalf("organisation without id: %s", r.Body)
	}
	return id
}

// addUser opens an account in org as the coordinator, with
// testInitialPassword, and signs it in for the first time (firstSignIn).
func (a *testAPI) addUser(tb testing.TB, org, username string, roles ...domain.Role) testUser {
	tb.Helper()
	want(tb, a.do(tb, http.MethodPost, "/v1/organisations/"+org+"/users", a.Admin.Token, map[string]any{
		"username": username, "display_name": "Test " + username, "email": username + "@example.org",
		"roles": roles, "password": testInitialPassword,
	}), http.StatusCreated)
	return a.firstSignIn(tb, username, testInitialPassword)
}

// firstSignIn signs in a new account with the password someone else set,
// changes it to testUserPassword as it must (R-AUTH-6) and signs in again.
func (a *testAPI) firstSignIn(tb testing.TB, username, initial string) testUser {
	tb.Helper()
	token := a.signIn(tb, username, initial)
	want(tb, a.do(tb, http.MethodPut, "/v1/users/me/password", token, map[string]string{
		"current_password": initial, "new_password": testUserPassword}), http.StatusNoContent)
	return a.signInUser(tb, username, testUserPassword)
}

// validReferral is a valid body for POST /v1/referrals; tests change it
// to make it invalid.
func validReferral(toOrg, clientName string) map[string]any {
	return map[string]any{
		"to_organisation_id": toOrg,
		"urgent":             false,
		"client": map[string]any{
			"name": clientName, "date_of_birth": "1980-02-29", "phone": "+44 20 7946 0000",
			"email": "client@example.org", "address": "1 Test Street, London",
		},
		"reason":               "Needs help with housing.",
		"consent":              map[string]any{"method": "written", "confirmed": true},
		"privacy_notice_given": true,
	}
}

// makeReferral makes a referral to toOrg and returns its id.
func (a *testAPI) makeReferral(tb testing.TB, token, toOrg, clientName string) string {
	tb.Helper()
	return a.makeReferralWith(tb, token, validReferral(toOrg, clientName))
}

// makeReferralWith makes a referral from body and returns its id.
func (a *testAPI) makeReferralWith(tb testing.TB, token string, body map[string]any) string {
	tb.Helper()
	r := want(tb, a.do(tb, http.MethodPost, "/v1/referrals", token, body), http.StatusCreated)
	id := r.str("id")
	if id == "" {
		tb.Fatalf("referral without id: %s", r.Body)
	}
	return id
}

// head returns the store's last global position.
func (a *testAPI) head(tb testing.TB) eventstore.Position {
	tb.Helper()
	a.flushReads(tb)
	pos, err := a.Store.Head(context.Background())
	if err != nil {
		tb.Fatalf("head: %v", err)
	}
	return pos
}

// flushReads writes the access records of reads the node has queued
// (issue 14: unlocked reads are logged in batches), so what the store holds
// is what the requests so far wrote.
func (a *testAPI) flushReads(tb testing.TB) {
	tb.Helper()
	if err := a.Server.Service.FlushAccessLog(context.Background()); err != nil {
		tb.Fatalf("flushing the access log: %v", err)
	}
}

// countEvents returns how many events of type the store holds.
func (a *testAPI) countEvents(tb testing.TB, eventType string) int {
	tb.Helper()
	a.flushReads(tb)
	n := 0
	for after := eventstore.Start; ; {
		page, err := a.Store.ReadAll(context.Background(), after, 500)
		if err != nil {
			tb.Fatalf("read all: %v", err)
		}
		for _, ev := range page {
			if ev.Type == eventType {
				n++
			}
		}
		if len(page) < 500 {
			return n
		}
		after = page[len(page)-1].Position
	}
}

// network is a small referral network: the coordinator, organisations A,
// B and C with a user for each role the tests need, an auditor in the
// coordinator's own organisation, and one referral from A to B.
type network struct {
	*testAPI
	CoordinatorOrg   string
	OrgA, OrgB, OrgC string

	AdviserA, LeadA                         testUser
	AdviserB, LeadB, HelpdeskB, TeamManager testUser
	AdviserC                                testUser
	Auditor                                 testUser

	Referral string // A → B, made by AdviserA
}

// newNetwork builds the network on a new node.
func newNetwork(tb testing.TB, opts ...apiOption) *network {
	tb.Helper()
	n := &network{testAPI: newTestAPI(tb, opts...)}
	n.CoordinatorOrg = n.Admin.OrgID
	n.OrgA = n.registerOrg(tb, "Alpha Advice")
	n.OrgB = n.registerOrg(tb, "Beta Housing")
	n.OrgC = n.registerOrg(tb, "Gamma Debt")
	n.AdviserA = n.addUser(tb, n.OrgA, "adviser.a", domain.RoleAdviser)
	n.LeadA = n.addUser(tb, n.OrgA, "lead.a", domain.RoleOrgLead)
	n.AdviserB = n.addUser(tb, n.OrgB, "adviser.b", domain.RoleAdviser)
	n.LeadB = n.addUser(tb, n.OrgB, "lead.b", domain.RoleOrgLead)
	n.HelpdeskB = n.addUser(tb, n.OrgB, "helpdesk.b", domain.RoleHelpdesk)
	n.TeamManager = n.addUser(tb, n.OrgB, "manager.b", domain.RoleTeamManager)
	n.AdviserC = n.addUser(tb, n.OrgC, "adviser.c", domain.RoleAdviser)
	n.Auditor = n.addUser(tb, n.CoordinatorOrg, "auditor", domain.RoleAuditor)
	n.Referral = n.makeReferral(tb, n.AdviserA.Token, n.OrgB, "Client Zero")
	return n
}
