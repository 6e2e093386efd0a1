// Package web serves the people's pages (R-UI-1, R-UI-2) on the API's
// router: server-rendered HTML from embedded templates, plain forms that
// post and redirect, no JavaScript needed. Every page calls the same
// ledger service and read models as the JSON API's handlers, with the
// signed-in user as the actor, so the same access rules and access log
// apply; nothing here reaches the store another way.
package web

import (
	"context"
	"embed"
	"errors"
	"github.com/referral-ledger/ledger/audit"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/projections"
	"github.com/referral-ledger/ledger/statistics"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Deps is what the pages serve from: the same parts the API uses.
type Deps struct {
	Service    *ledger.Service
	Accounts   *ledger.Accounts
	Orgs       *projections.Organisations
	Clients    *projections.Clients
	Referrals  *projections.Referrals
	Locks      *projections.Locks
	Runner     *projections.Runner
	Calendar   *calendar.Calendar
	Timescales domain.Timescales
	// Statistics and Disclosure are the anonymised statistics and their
	// disclosure control, as GET /v1/statistics publishes them.
	Statistics *projections.Statistics
	Disclosure statistics.Rule
	// FormKeys keeps the one-time keys of the forms (formOnce) as the API
	// keeps Idempotency-Keys: a form sent twice is acted on once.
	FormKeys FormKeys
	// PublicURL is where people reach the service (http.public_url): an
	// https one makes the session cookie Secure and __Host- prefixed.
	PublicURL string
	// ReadYourWritesTimeout bounds the wait for the read models to show a
	// write before the page after it is drawn.
	ReadYourWritesTimeout time.Duration
	// Keys destroys a client's key when the coordinator carries out an
	// erasure request.
	Keys ledger.Shredder
	// Retention is how long after a client's last referral closed their
	// data is shredded (privacy.retention), for the retention page.
	Retention time.Duration
	// KnownClients is the known clients index (R-REF-14), which the
	// make-a-referral form consults.
	KnownClients *projections.KnownClients
	// Audit proves a case against a signed checkpoint for auditors
	// (R-AUD-3); optional.
	Audit *audit.Checkpointer
	// SessionIdleTimeout is auth.session_idle_timeout, which the pages
	// warn of before it ends a session (0 for the default, 30 minutes).
	SessionIdleTimeout time.Duration
	// SubjectAccessJSON encodes a subject access export as GET
	// /v1/clients/{id}/subject-access answers it: the API's encoder, so
	// the pages' download is the API's document, not a likeness of it
	// (R-PRIV-6, R-UI-2). Required.
	SubjectAccessJSON func(ledger.SubjectAccessExport) ([]byte, error)
}

// Pages is the web interface.
type Pages struct {
	Deps
	views  *views
	cookie cookieNames
	cop    *http.CrossOriginProtection
}

// Mount adds the pages to r, outside /v1, and returns the handler of the
// page for a path nothing serves, or a method a page does not take, for
// the router to use outside /v1.
// Errors: a template that does not parse; no SubjectAccessJSON.
func Mount(r *gin.Engine, d Deps) (gin.HandlerFunc, error) {
	if d.SubjectAccessJSON == nil {
		return nil, errors.New("web: no subject access encoder (Deps.SubjectAccessJSON)")
	}
	v, err := parseViews()
	if err != nil {
		return nil, err
	}
	if d.ReadYourWritesTimeout <= 0 {
		d.ReadYourWritesTimeout = 5 * time.Second
	}
	p := &Pages{Deps: d, views: v, cookie: cookieNamesFor(d.PublicURL), cop: http.NewCrossOriginProtection()}
	p.cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusForbidden) // replaced by forbidCrossOrigin's page
	}))
	g := r.Group("", pageHeaders, p.crossOrigin)
	g.GET("/static/*file", serveStatic)
	g.GET("/sign-in", p.signInPage)
	g.POST("/sign-in", p.signIn)
	g.POST("/sign-in/code", p.signInCode)
	g.GET(sessionPath, p.sessionLeft)

	a := g.Group("", p.authenticate, p.formOnce)
	a.GET("/", p.home)
	a.POST("/sign-out", p.signOut)
	a.POST(sessionPath, p.keepAlive)
	a.GET("/password", p.passwordPage)
	a.POST("/password", p.changePassword)
	for _, sec := range sections {
		sec.Mount(p, a)
	}
	return func(c *gin.Context) {
		pageHeaders(c)
		p.signedInUser(c)
		if c.Writer.Status() == http.StatusMethodNotAllowed {
			p.methodNotAllowed(c)
			return
		}
		msg := "If you typed the web address, check it is correct. If you followed a link, sign in and search by the referral's reference."
		if _, ok := userFrom(c); ok {
			msg = "If you typed the web address, check it is correct. If you followed a link, search by the referral's reference."
		}
		p.renderError(c, http.StatusNotFound, "Page not found", msg)
	}, nil
}

// methodNotAllowed answers a page's address asked for by a method it does
// not take, with a page, as the API answers its own with a problem
// document: most often a form's address opened as a page (it stays in the
// address bar when the form comes back with an error, and is then
// reloaded, bookmarked or opened in a new tab), which is not acted on.
func (p *Pages) methodNotAllowed(c *gin.Context) {
	if c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead {
		p.renderError(c, http.StatusMethodNotAllowed, "This page cannot be opened",
			"This web address is where one of the service's forms is sent, not a page to open. Nothing was sent or changed. Go back to the page the form was on to fill it in again.")
		return
	}
	p.renderError(c, http.StatusMethodNotAllowed, "This form cannot be sent here",
		"Nothing was changed. Go back to the page you were on and try again.")
}

// The advisers' casework: their organisation's incoming and outgoing
// referrals, making one, acting on one, and the directory.
func init() {
	addSection(section{
		Nav: []navEntry{
			{Key: "incoming", Label: "Incoming", Path: "/incoming", Order: 10, For: caseworker},
			{Key: "outgoing", Label: "Outgoing", Path: "/outgoing", Order: 20, For: caseworker},
			{Key: "make", Label: "Make a referral", Path: "/make-a-referral", Order: 30, For: caseworker},
			{Key: "directory", Label: "Directory", Path: "/directory", Order: 90, For: everyone},
		},
		Mount: func(p *Pages, a *gin.RouterGroup) {
			a.GET("/incoming", p.incomingPage)
			a.GET("/outgoing", p.outgoingPage)
			a.GET("/find", p.findPage)
			a.POST("/find", p.findPage)
			a.GET("/directory", p.directoryPage)
			a.GET("/make-a-referral", p.requireRole(mayRefer), p.makeReferralPage)
			a.POST("/make-a-referral", p.makeReferral)
			a.GET("/referrals/:id", p.referralPage)
			a.POST("/referrals/:id/acknowledge", p.acknowledge)
			a.POST("/referrals/:id/assign", p.assign)
			a.POST("/referrals/:id/notes", p.addNote)
			a.POST("/referrals/:id/urgency-review", p.reviewUrgency)
			a.POST("/referrals/:id/close", p.closeReferral)
		},
	})
}

// mayRefer is who may make a referral, as POST /v1/referrals allows
// (those who work cases): anyone else is refused the form before typing a
// client's details into it, not after.
func mayRefer(u domain.User) bool { return u.Actor().Caseworker() }

// home sends the user to the first page of their navigation: an
// adviser's Incoming, a coordinator's or auditor's own first page.
func (p *Pages) home(c *gin.Context) {
	if m := menuFor(currentUser(c), ""); len(m) > 0 {
		c.Redirect(http.StatusSeeOther, m[0].Path)
		return
	}
	c.Redirect(http.StatusSeeOther, "/directory")
}

// contentSecurityPolicy allows the page's own stylesheet, script and
// images and nothing else: no inline script or style, no other origin, and
// forms that post only here.
const contentSecurityPolicy = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// pageHeaders replaces the API's headers where pages differ: their CSP,
// and a referrer policy that keeps the Origin header on same-site posts,
// which the cross-site check reads.
func pageHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("Referrer-Policy", "same-origin")
	c.Next()
}

// crossOrigin refuses a state-changing request another site's page sent
// (Go's CrossOriginProtection: Sec-Fetch-Site, else Origin against Host),
// so no form elsewhere can act with the user's cookie.
func (p *Pages) crossOrigin(c *gin.Context) {
	if err := p.cop.Check(c.Request); err != nil {
		p.renderError(c, http.StatusForbidden, "This form was sent from another website",
			"For your safety the referral ledger only accepts forms sent from its own pages. Nothing was changed.")
		c.Abort()
		return
	}
	c.Next()
}

// request returns the context for a ledger command or read: the request
// id as correlation and causation ids, the route for the access log, and
// the revision the user's form was drawn from, when given.
func (p *Pages) request(c *gin.Context, ifMatch *uint64) context.Context {
	id := c.Writer.Header().Get("X-Request-Id")
	return ledger.WithRequest(c.Request.Context(), ledger.Request{CorrelationID: id, CausationID: id,
		Endpoint: c.Request.Method + " " + c.FullPath(), Match: ledger.At(ifMatch)})
}

// settle waits (bounded) until the read models show a write at pos, so
// the page after an action shows it.
func (p *Pages) settle(ctx context.Context, pos eventstore.Position) error {
	if pos == eventstore.Start {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, p.ReadYourWritesTimeout)
	defer cancel()
	return p.Runner.WaitFor(ctx, pos)
}

// done ends a successful action: it waits (bounded) until the read models
// show the write at pos, leaves the confirmation flash for the next page and
// sends the browser to next (303, so a reload does not post again).
func (p *Pages) done(c *gin.Context, pos eventstore.Position, flash, next string) {
	if err := p.settle(c.Request.Context(), pos); err != nil {
		p.fail(c, err)
		return
	}
	p.flash(c, flash)
	c.Redirect(http.StatusSeeOther, next)
}

// settleHead waits (bounded) until the read models show every write so
// far, before a list is drawn.
func (p *Pages) settleHead(ctx context.Context) error {
	head, err := p.Service.Store().Head(ctx)
	if err != nil {
		return domain.Errorf(domain.Unavailable, "the ledger store is unavailable; try again shortly")
	}
	return p.settle(ctx, head)
}

// lockVisible is the case-lock rule for lists (R-LOCK-2), as the API's
// lists apply it: a locked case is listed only to those its lock lets in.
func (p *Pages) lockVisible(actor domain.Actor, now time.Time) func(client uuid.UUID) bool {
	return func(client uuid.UUID) bool {
		_, ok := domain.LockAccess(p.Locks.LockOf(client), actor, now)
		return ok
	}
}

// safeNext returns path when it is a page of this site to return to after
// signing in, else "/" (the user's first page): never another site. A
// control character anywhere refuses it: browsers drop tabs and line
// breaks from a Location, so "/\t/evil.example" would lead to
// //evil.example.
func safeNext(path string) string {
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") || strings.HasPrefix(path, "/\\") ||
		strings.HasPrefix(path, "/v1/") || strings.ContainsFunc(path, isControl) || len(path) > 200 {
		return "/"
	}
	return path
}

// isControl is an ASCII control character (C0 or DEL), which no path of a
// page holds unescaped.
func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
