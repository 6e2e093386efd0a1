package http

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/audit"
	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/idempotency"
	"github.com/referral-ledger/ledger/internal/headreq"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/projections"
	"github.com/referral-ledger/ledger/statistics"
	"github.com/referral-ledger/ledger/web"
)

// Deps is what the API serves from. Every field is required but Workers.
type Deps struct {
	Service     *ledger.Service
	Accounts    *ledger.Accounts
	Orgs        *projections.Organisations
	Clients     *projections.Clients
	Referrals   *projections.Referrals // the inbox, outbox and overdue views
	Runner      *projections.Runner
	Keys        *ledger.ClientKeys
	Locks       *projections.Locks
	Idempotency idempotency.Store
	Calendar    *calendar.Calendar
	Timescales  domain.Timescales
	Statistics  *projections.Statistics // the anonymised statistics (R-STAT-1)
	Disclosure  statistics.Rule         // their disclosure control (R-STAT-3)
	Logger      zerolog.Logger
	Registry    *prometheus.Registry
	Options     Options
	Workers     Workers // optional: the node's background jobs, for /readyz

	// KnownClients is the known clients index (R-REF-14).
	KnownClients *projections.KnownClients
	// Audit serves signed checkpoints and proofs (R-AUD-1..3); optional.
	Audit *audit.Checkpointer
}

// Workers says which of the node's background jobs (email notices,
// retention) cannot run now.
type Workers interface {
	Failing() []string
}

// Options tune the server.
type Options struct {
	TrustedProxies        []string      // proxies whose X-Forwarded-For is believed
	MaxBodyBytes          int64         // the largest request body accepted
	ReadYourWritesTimeout time.Duration // how long a write waits for the views to show it
	MaxProjectionLag      uint64        // /readyz fails while the views lag more than this
	RequestTimeout        time.Duration // every request answers within this (503 past it); 0 for no limit
	PublicURL             string        // where people reach the service: an https one makes browser cookies Secure
	WebInterface          bool          // serve the people's pages (package web) outside /v1
	Retention             time.Duration // client data is shredded this long after the last referral closed (R-PRIV-5)
	SessionIdleTimeout    time.Duration // auth.session_idle_timeout, which the pages warn of before it ends a session
}

// Server is the HTTP API.
type Server struct {
	Deps
	engine   *gin.Engine
	degraded degradation
	storage  *storageEpisodes // full storage, for the 507s and /readyz
}

// New builds the router. Errors: a trusted proxy that is not an IP or CIDR,
// a disclosure rule that cannot be applied, or metrics already registered
// on the registry.
func New(d Deps) (*Server, error) {
	gin.SetMode(gin.ReleaseMode)
	if err := d.Disclosure.Validate(); err != nil {
		return nil, err
	}
	m, err := newMetrics(d.Registry)
	if err != nil {
		return nil, err
	}
	s := &Server{Deps: d, engine: newEngine(d.Logger, m, d.Options.MaxBodyBytes), storage: newStorageEpisodes(d.Service.Now)}
	if err := s.engine.SetTrustedProxies(d.Options.TrustedProxies); err != nil {
		return nil, err
	}
	if len(d.Options.TrustedProxies) == 0 {
		// Believe no forwarding header: throttling keys on the real peer.
		s.engine.ForwardedByClientIP = false
	}
	// From a trusted proxy believe X-Forwarded-For alone, not also a
	// client's X-Real-IP passed on beside it: throttling keys on the
	// address the proxy saw (R-AUTH-3).
	s.engine.RemoteIPHeaders = []string{"X-Forwarded-For"}
	s.engine.Use(requestTimeout(d.Options.RequestTimeout), s.storage.track)
	s.routes(m)
	s.engine.NoMethod(func(c *gin.Context) { allowHEAD(c); noMethod(c) })
	if d.Options.WebInterface {
		noPage, err := web.Mount(s.engine, web.Deps{Service: d.Service, Accounts: d.Accounts, Orgs: d.Orgs,
			Clients: d.Clients, Referrals: d.Referrals, Locks: d.Locks, Runner: d.Runner, Calendar: d.Calendar,
			Timescales: d.Timescales, Statistics: d.Statistics, Disclosure: d.Disclosure, FormKeys: formKeys{d.Idempotency},
			PublicURL: d.Options.PublicURL, ReadYourWritesTimeout: d.Options.ReadYourWritesTimeout, Keys: d.Keys,
			Retention: d.Options.Retention, KnownClients: d.KnownClients, Audit: d.Audit,
			SessionIdleTimeout: d.Options.SessionIdleTimeout, SubjectAccessJSON: s.subjectAccessJSON})
		if err != nil {
			return nil, err
		}
		// A person who mistypes a page, or opens a form's address, gets a
		// page; the API keeps its problem documents.
		s.engine.NoRoute(func(c *gin.Context) {
			if p := c.Request.URL.Path; p == "/v1" || strings.HasPrefix(p, "/v1/") {
				noRoute(c)
				return
			}
			noPage(c)
		})
		s.engine.NoMethod(func(c *gin.Context) {
			allowHEAD(c)
			switch p := c.Request.URL.Path; {
			case p == "/v1", strings.HasPrefix(p, "/v1/"), p == "/healthz", p == "/readyz", p == "/metrics":
				noMethod(c)
			default:
				noPage(c)
			}
		})
	}
	return s, nil
}

// Handler returns the server as an http.Handler.
func (s *Server) Handler() http.Handler { return headAsGet{s.engine} }

// headAsGet answers a HEAD request as the GET of the same target would be
// answered, status and headers alike, without the body (RFC 9110, 9.3.2:
// every general-purpose server supports HEAD). The GET runs with every
// check it makes, so a HEAD is let in or refused as the GET is, and a
// reader kept out learns nothing more by it (R-LOCK-12). The request is
// marked (headreq) so that it leaves nothing behind that only an answer
// given should: no read recorded in a case's access log (R-LOCK-9), no
// checkpoint signed on demand (R-AUD-3), no subject access export made
// (R-PRIV-6).
type headAsGet struct{ h http.Handler }

func (h headAsGet) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodHead {
		h.h.ServeHTTP(w, r)
		return
	}
	get := r.Clone(headreq.With(r.Context()))
	get.Method = http.MethodGet
	h.h.ServeHTTP(bodiless{w}, get)
}

// allowHEAD adds HEAD beside GET to the Allow header Gin set for a 405:
// Handler answers HEAD wherever there is a GET (headAsGet), and a 405
// names every method the resource supports (RFC 9110, 15.5.6).
func allowHEAD(c *gin.Context) {
	h := c.Writer.Header()
	methods := strings.Split(h.Get("Allow"), ", ")
	if i := slices.Index(methods, http.MethodGet); i >= 0 && !slices.Contains(methods, http.MethodHead) {
		h.Set("Allow", strings.Join(slices.Insert(methods, i+1, http.MethodHead), ", "))
	}
}

// bodiless is a ResponseWriter that keeps the status and headers and drops
// the body.
type bodiless struct{ http.ResponseWriter }

func (b bodiless) Write(p []byte) (int, error) { return len(p), nil }

// Routes lists the routes served, for the OpenAPI check.
func (s *Server) Routes() gin.RoutesInfo { return s.engine.Routes() }

func (s *Server) routes(m *metrics) {
	r := s.engine
	idem := idempotent(s.Idempotency, s.renderReplay)
	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", s.readyz)
	r.GET("/metrics", m.handler())
	v1 := r.Group("/v1")
	v1.GET("/openapi.json", serveOpenAPI)
	v1.POST("/sessions", s.createSession)
	v1.POST("/sessions/second-factor", s.completeSession)

	a := v1.Group("", s.authenticate)
	a.DELETE("/sessions/current", s.deleteSession)
	a.PUT("/users/me/password", s.changePassword)
	a.GET("/users/me/mfa", s.mfaStatus)
	a.POST("/users/me/mfa/totp", idem, s.startTOTP)
	a.POST("/users/me/mfa/totp/confirmation", s.confirmTOTP)
	a.DELETE("/organisations/:id/users/:user_id/mfa", s.resetMFA)
	a.PUT("/organisations/:id/mfa-requirement", s.setMFARequirement)

	a.POST("/organisations", idem, s.registerOrganisation)
	a.GET("/organisations/:id", s.getOrganisation)
	a.PATCH("/organisations/:id", s.updateOrganisation)
	a.PUT("/organisations/:id/intake", s.setIntake)
	a.GET("/organisations/:id/users", s.listUsers)
	a.POST("/organisations/:id/users", idem, s.addUser)
	a.DELETE("/organisations/:id/users/:user_id", s.closeAccount)
	a.PATCH("/organisations/:id/users/:user_id", s.updateUser)
	a.PUT("/organisations/:id/users/:user_id/password", s.setUserPassword)
	a.GET("/directory", s.directory)
	a.GET("/statistics", s.statistics)

	a.POST("/referrals", idem, s.makeReferral)
	a.GET("/referrals", s.findReferrals)
	a.GET("/referrals/:id", s.getReferral)
	a.POST("/referrals/:id/acknowledgement", s.acknowledge)
	a.POST("/referrals/:id/assignment", s.assign)
	a.POST("/referrals/:id/urgency-review", s.urgencyReview)
	a.POST("/referrals/:id/notes", idem, s.addNote)
	a.POST("/referrals/:id/closure", s.closeReferral)
	a.POST("/referrals/:id/decline", s.declineReferral)
	a.POST("/referrals/:id/forward", idem, s.forwardReferral)
	a.POST("/referrals/:id/withdrawal", s.withdrawReferral)
	a.POST("/referrals/:id/reopening", s.reopenReferral)
	a.GET("/referrals/:id/history", s.history)
	a.GET("/referrals/:id/bundle", s.bundle)
	a.GET("/ledger/checkpoint", s.checkpoint)
	a.GET("/ledger/proofs/consistency", s.consistency)

	a.GET("/inbox", s.inbox)
	a.GET("/outbox", s.outbox)
	a.GET("/overdue", s.overdue)

	a.POST("/clients/:id/erasure-requests", idem, s.requestErasure)
	a.GET("/erasure-requests", s.erasureRequests)
	a.GET("/erasure-requests/:id", s.erasureRequest)
	a.POST("/erasure-requests/:id/decision", s.decideErasure)
	a.GET("/clients/:id/subject-access", s.subjectAccess)
	a.POST("/clients/search", s.searchClients)
	a.GET("/clients/:id/access-log", s.accessLog)

	a.POST("/clients/:id/lock-requests", idem, s.requestLock)
	a.POST("/lock-requests/:id/decision", s.decideLock)
	a.POST("/lock-requests/:id/withdrawal", s.withdrawLockRequest)
	a.POST("/clients/:id/temporary-access", idem, s.grantTemporaryAccess)
	a.DELETE("/clients/:id/temporary-access/:user_id", s.endTemporaryAccess)
	a.POST("/clients/:id/lock-reviews", idem, s.reviewLock)
	a.POST("/clients/:id/unlock-requests", idem, s.requestUnlock)
	a.POST("/clients/:id/serious-case-review-completion", s.completeSeriousCaseReview)
	a.GET("/locked-cases", s.lockedCases)
	a.GET("/lock-requests", s.lockRequests)
	a.GET("/lock-requests/:id", s.lockRequest)
	a.POST("/clients/:id/messages", idem, s.sendMessage)
	a.GET("/clients/:id/messages", s.messages)
}

// readyz is ready when the store answers, the views are caught up within
// the configured lag, every background job runs and no write was refused
// for full storage lately (storageFullHold); otherwise 503 names what is
// wrong (R-OPS-4). "degraded" (still 200) when the node was started
// without something, see SetDegraded.
func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	lag, err := s.Runner.Lag(ctx)
	var failing []string
	if s.Runner.Err() != nil {
		failing = append(failing, "projections")
	}
	if s.Workers != nil {
		failing = append(failing, s.Workers.Failing()...)
	}
	var body gin.H
	switch {
	case errors.Is(err, eventstore.ErrAccessDenied):
		body = gin.H{"status": "unavailable", "cause": "event_store_access_denied",
			"reason": "the event store refuses the ledger's access (its user can no longer read the whole log); an operator must grant it again"}
	case err != nil:
		body = gin.H{"status": "unavailable", "reason": "the event store is unreachable"}
	case len(failing) > 0:
		body = gin.H{"status": "unavailable", "failing": failing,
			"reason": "background work cannot run and is being retried: " + strings.Join(failing, ", ")}
	case s.storage.refusedWithin(storageFullHold):
		body = gin.H{"status": "unavailable", "cause": "storage_full",
			"reason": "storage is full: writes are refused with 507 until space is freed"}
	case lag > s.Options.MaxProjectionLag:
		body = gin.H{"status": "catching_up", "lag": lag}
	default:
		if degraded := s.Degraded(); len(degraded) > 0 {
			c.JSON(http.StatusOK, gin.H{"status": "degraded", "lag": lag, "degraded": degraded})
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": "ready", "lag": lag})
		return
	}
	c.Header("Retry-After", strconv.Itoa(int(defaultRetryAfter/time.Second)))
	c.JSON(http.StatusServiceUnavailable, body)
}

// settle waits (bounded) until the views show a write at pos, so the
// client's next read sees what it just did.
func (s *Server) settle(c *gin.Context, pos eventstore.Position) error {
	if pos == eventstore.Start {
		return nil
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.Options.ReadYourWritesTimeout)
	defer cancel()
	return s.Runner.WaitFor(ctx, pos)
}

// settleHead waits (bounded) until the views have applied everything in
// the store, so a list reflects every write acknowledged so far.
func (s *Server) settleHead(c *gin.Context) error {
	head, err := s.Service.Store().Head(c.Request.Context())
	if err != nil {
		return &domain.Error{Code: domain.Unavailable, Message: "the ledger store is unavailable; retry shortly", Cause: err}
	}
	return s.settle(c, head)
}

// requestIDs returns the request's context carrying its id as the
// correlation and causation ids of whatever the ledger records for it
// (R-LEDGER-3), for a request that is no command, such as a read that
// has a checkpoint signed.
func requestIDs(c *gin.Context) context.Context {
	return ledger.WithRequest(c.Request.Context(), ledgerRequest(c))
}

// ledgerRequest is what the ledger records of the request c: its id as
// correlation and causation ids, and its route.
func ledgerRequest(c *gin.Context) ledger.Request {
	return ledger.Request{CorrelationID: correlationID(c), CausationID: correlationID(c),
		Endpoint: c.Request.Method + " " + c.FullPath()}
}

// request returns the context for a ledger command: correlation and
// causation ids from the request id, and If-Match when given.
func (s *Server) request(c *gin.Context) (context.Context, error) {
	req := ledgerRequest(c)
	if hs := c.Request.Header.Values("If-Match"); len(hs) > 0 {
		m, err := parseIfMatch(hs)
		if err != nil {
			return nil, err
		}
		req.Match = m
	}
	// While storage is full the request's context records reads first
	// (storageEpisodes.track).
	return ledger.WithRequest(c.Request.Context(), req), nil
}
