package http

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/projections"
	"github.com/referral-ledger/ledger/statistics"
)

// Deps is what the API serves from. Every field is required.
type Deps struct {
	Service     *ledger.Service
	Accounts    *ledger.Accounts
	Orgs        *projections.Organisations
	Clients     *projections.Clients
	Referrals   *projections.Referrals // the inbox, outbox and overdue views
	Runner      *projections.Runner
	Keys        *ledger.ClientKeys
	Locks       *projections.Locks
	Idempotency IdempotencyStore
	Calendar    *calendar.Calendar
	Timescales  domain.Timescales
	Statistics  *projections.Statistics // the anonymised statistics (R-STAT-1)
	Disclosure  statistics.Rule         // their disclosure control (R-STAT-3)
	Logger      zerolog.Logger
	Registry    *prometheus.Registry
	Options     Options
}

// Options tune the server.
type Options struct {
	TrustedProxies        []string      // proxies whose X-Forwarded-For is believed
	MaxBodyBytes          int64         // the largest request body accepted
	ReadYourWritesTimeout time.Duration // how long a write waits for the views to show it
	MaxProjectionLag      uint64        // /readyz fails while the views lag more than this
}

// Server is the HTTP API.
type Server struct {
	Deps
	engine   *gin.Engine
	degraded degradation
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
	s := &Server{Deps: d, engine: newEngine(d.Logger, m, d.Options.MaxBodyBytes)}
	if err := s.engine.SetTrustedProxies(d.Options.TrustedProxies); err != nil {
		return nil, err
	}
	if len(d.Options.TrustedProxies) == 0 {
		// Believe no forwarding header: throttling keys on the real peer.
		s.engine.ForwardedByClientIP = false
	}
	s.routes(m)
	return s, nil
}

// Handler returns the server as an http.Handler.
func (s *Server) Handler() http.Handler { return s.engine }

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

	a := v1.Group("", s.authenticate)
	a.DELETE("/sessions/current", s.deleteSession)
	a.PUT("/users/me/password", s.changePassword)

	a.POST("/organisations", idem, s.registerOrganisation)
	a.GET("/organisations/:id", s.getOrganisation)
	a.PATCH("/organisations/:id", s.updateOrganisation)
	a.PUT("/organisations/:id/intake", s.setIntake)
	a.POST("/organisations/:id/users", idem, s.addUser)
	a.DELETE("/organisations/:id/users/:user_id", s.closeAccount)
	a.PATCH("/organisations/:id/users/:user_id", s.updateUser)
	a.GET("/directory", s.directory)
	a.GET("/statistics", s.statistics)

	a.POST("/referrals", idem, s.makeReferral)
	a.GET("/referrals/:id", s.getReferral)
	a.POST("/referrals/:id/acknowledgement", s.acknowledge)
	a.POST("/referrals/:id/assignment", s.assign)
	a.POST("/referrals/:id/urgency-review", s.urgencyReview)
	a.POST("/referrals/:id/notes", idem, s.addNote)
	a.POST("/referrals/:id/closure", s.closeReferral)
	a.GET("/referrals/:id/history", s.history)

	a.GET("/inbox", s.inbox)
	a.GET("/outbox", s.outbox)
	a.GET("/overdue", s.overdue)

	a.POST("/clients/:id/erasure-requests", idem, s.requestErasure)
	a.POST("/erasure-requests/:id/decision", s.decideErasure)
	a.GET("/clients/:id/subject-access", s.subjectAccess)
	a.GET("/clients/:id/access-log", s.accessLog)

	a.POST("/clients/:id/lock-requests", idem, s.requestLock)
	a.POST("/lock-requests/:id/decision", s.decideLock)
	a.POST("/clients/:id/temporary-access", idem, s.grantTemporaryAccess)
	a.DELETE("/clients/:id/temporary-access/:user_id", s.endTemporaryAccess)
	a.POST("/clients/:id/lock-reviews", idem, s.reviewLock)
	a.POST("/clients/:id/unlock-requests", idem, s.requestUnlock)
	a.POST("/clients/:id/serious-case-review-completion", s.completeSeriousCaseReview)
	a.GET("/locked-cases", s.lockedCases)
	a.POST("/clients/:id/messages", s.sendMessage)
	a.GET("/clients/:id/messages", s.messages)
}

// readyz is ready when the store answers and the views are caught up
// within the configured lag; "degraded" (still 200) when the node was
// started without something, see SetDegraded.
func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	lag, err := s.Runner.Lag(ctx)
	switch {
	case err != nil:
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "reason": "the event store is unreachable"})
	case s.Runner.Err() != nil:
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "reason": "a projection has stopped"})
	case lag > s.Options.MaxProjectionLag:
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "catching_up", "lag": lag})
	default:
		if degraded := s.Degraded(); len(degraded) > 0 {
			c.JSON(http.StatusOK, gin.H{"status": "degraded", "lag": lag, "degraded": degraded})
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": "ready", "lag": lag})
	}
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
		return &domain.Error{Code: domain.Unavailable, Message: "the ledger store is unavailable; retry shortly"}
	}
	return s.settle(c, head)
}

// request returns the context for a ledger command: correlation and
// causation ids from the request id, and If-Match when given.
func (s *Server) request(c *gin.Context) (context.Context, error) {
	req := ledger.Request{CorrelationID: correlationID(c), CausationID: correlationID(c),
		Endpoint: c.Request.Method + " " + c.FullPath()}
	if h := c.GetHeader("If-Match"); h != "" {
		rev, err := parseETag(h)
		if err != nil {
			return nil, err
		}
		req.IfMatch = &rev
	}
	return ledger.WithRequest(c.Request.Context(), req), nil
}
