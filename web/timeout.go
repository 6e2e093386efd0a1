package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/session"
)

// sessionPath is where the timeout warning (static/app.js) asks how long
// the session has left (GET, which is not a use of it, so asking never
// keeps an idle session alive) and keeps it alive when the user chooses
// to stay signed in (POST, which is a use, checked as every page is).
const sessionPath = "/session"

// maxTimeoutWarning is how long before a session ends the pages warn of it
// (WCAG 2.2.1 Timing Adjustable, R-UI-2): the two minutes of the GOV.UK
// timeout warning, or half the idle timeout when that is shorter.
const maxTimeoutWarning = 2 * time.Minute

// sessionTiming is what a signed-in page tells its script about the
// session: the idle timeout and the warning's lead, in whole seconds.
type sessionTiming struct {
	SessionTimeout, SessionWarning int
}

func (p *Pages) sessionTiming() sessionTiming {
	idle := p.SessionIdleTimeout
	if idle <= 0 {
		idle = session.DefaultConfig().IdleTimeout
	}
	lead := min(maxTimeoutWarning, idle/2)
	return sessionTiming{SessionTimeout: int(max(idle/time.Second, 1)), SessionWarning: int(max(lead/time.Second, 1))}
}

// sessionStatus is the answer of sessionPath: whether the session is
// live and how long it has left unless used, and nothing else.
type sessionStatus struct {
	SignedIn         bool    `json:"signed_in"`
	RemainingSeconds float64 `json:"remaining_seconds"`
}

// sessionLeft answers GET sessionPath: how long the session of the cookie
// has left, without counting as a use of it, so several tabs can tell
// whether another kept the session alive before they warn or sign out.
func (p *Pages) sessionLeft(c *gin.Context) {
	token := ""
	if ck, err := c.Request.Cookie(p.cookie.session); err == nil {
		token = ck.Value
	}
	p.answerSessionLeft(c, token)
}

// keepAlive answers POST sessionPath, reached through authenticate: the
// request itself is the use that puts the session's end off.
func (p *Pages) keepAlive(c *gin.Context) {
	ck, err := c.Request.Cookie(p.cookie.session)
	if err != nil {
		sessionEnded(c)
		return
	}
	p.answerSessionLeft(c, ck.Value)
}

func (p *Pages) answerSessionLeft(c *gin.Context, token string) {
	c.Header("Cache-Control", "no-store")
	if token == "" || len(token) > 256 {
		sessionEnded(c)
		return
	}
	ends, err := p.Accounts.SessionEnds(c.Request.Context(), token)
	switch {
	case domain.ErrorCode(err) == domain.Unauthorized:
		sessionEnded(c)
		return
	case err != nil:
		c.AbortWithStatusJSON(http.StatusServiceUnavailable, sessionStatus{SignedIn: true})
		return
	}
	left := max(ends.Sub(p.Service.Now()), 0)
	c.JSON(http.StatusOK, sessionStatus{SignedIn: true, RemainingSeconds: float64(left.Milliseconds()) / 1000})
}

// sessionEnded answers sessionPath for a session that is over.
func sessionEnded(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.AbortWithStatusJSON(http.StatusUnauthorized, sessionStatus{})
}

// idleLimit is the idle timeout in words, as the sign-in page tells it:
// "30 minutes", "1 hour", "1 hour 30 minutes".
func (p *Pages) idleLimit() string {
	idle := p.SessionIdleTimeout
	if idle <= 0 {
		idle = session.DefaultConfig().IdleTimeout
	}
	minutes := int((idle + time.Minute - 1) / time.Minute)
	h, m := minutes/60, minutes%60
	var parts []string
	if h > 0 {
		parts = append(parts, unitCount(h, "hour"))
	}
	if m > 0 || h == 0 {
		parts = append(parts, unitCount(m, "minute"))
	}
	return strings.Join(parts, " ")
}

func unitCount(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}
