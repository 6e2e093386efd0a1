package web

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/referral-ledger/ledger/auth"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

type signInView struct {
	layout
	Username string
	Next     string
	Ended    bool // a form was sent after the session ended, and not acted on
	// Idle: the timeout warning's time ran out and the page came here.
	Idle bool
	// IdleLimit is the idle timeout in words ("30 minutes"), told before
	// signing in: without JavaScript no warning comes before it ends the
	// session (WCAG 2.2.1).
	IdleLimit string
}

// signInPage shows the sign-in form; next is the page to go back to.
func (p *Pages) signInPage(c *gin.Context) {
	p.render(c, http.StatusOK, "signin", signInView{layout: p.base(c, "Sign in", ""), Next: safeNext(c.Query("next")),
		Ended: c.Query("ended") == "1", Idle: c.Query("ended") == "idle", IdleLimit: p.idleLimit()})
}

// signIn checks the password through the accounts service, with the API's
// throttling and hashing limits (R-AUTH-3, R-AUTH-5), and starts a session
// held in a cookie. A password someone else set, or one past its age,
// must be changed first (R-AUTH-6).
func (p *Pages) signIn(c *gin.Context) {
	username := strings.TrimSpace(c.PostForm("username"))
	password := c.PostForm("password")
	v := signInView{layout: p.base(c, "Sign in", ""), Username: username, Next: safeNext(c.PostForm("next")), IdleLimit: p.idleLimit()}
	if username == "" {
		v.Errors = append(v.Errors, fieldError{Field: "username", Message: "Enter your username"})
	}
	if password == "" {
		v.Errors = append(v.Errors, fieldError{Field: "password", Message: "Enter your password"})
	}
	if len(username) > 256 || len(password) > 1024 {
		v.Errors = append(v.Errors, fieldError{Field: "username", Message: "Enter a username and password of the right length"})
	}
	if len(v.Errors) > 0 {
		v.Title = "Error: " + v.Title
		p.render(c, http.StatusUnprocessableEntity, "signin", v)
		return
	}
	res, err := p.Accounts.Login(c.Request.Context(), username, password, c.ClientIP())
	if err != nil {
		v.Title = "Error: Sign in"
		v.Errors = []fieldError{{Field: "username", Message: sentence(signInMessage(err))}}
		status := http.StatusUnauthorized
		switch retry := retryAfter(err); {
		case retry != "":
			c.Header("Retry-After", retry)
			status = http.StatusTooManyRequests
			v.Errors[0].Message = throttledMessage(err)
		case busy(err):
			// Too many passwords are being checked at once: POST
			// /v1/sessions answers 503 with Retry-After (R-AUTH-5).
			c.Header("Retry-After", "1")
			status = http.StatusServiceUnavailable
			v.Errors[0].Message = "Too many people are signing in at this moment. Try again in a moment."
		case domain.ErrorCode(err) != domain.Unauthorized:
			// The service could not check the password or open the
			// session (storage full, the store unreachable): the API's
			// answer, logged, not a wrong username or password.
			p.fail(c, err)
			return
		}
		p.render(c, status, "signin", v)
		return
	}
	if res.Challenge != "" {
		p.signInCodePage(c, http.StatusOK, signInCodeView{layout: layout{Title: "Enter the code from your authenticator app"},
			Challenge: res.Challenge, Next: v.Next})
		return
	}
	p.setCookie(c, p.cookie.session, res.Token, 0)
	if res.PasswordChangeDue {
		c.Redirect(http.StatusSeeOther, "/password")
		return
	}
	c.Redirect(http.StatusSeeOther, v.Next)
}

// signOut ends the session, here and for the store.
func (p *Pages) signOut(c *gin.Context) {
	if ck, err := c.Request.Cookie(p.cookie.session); err == nil {
		if err := p.Accounts.Logout(ck.Value); err != nil {
			p.fail(c, err)
			return
		}
	}
	p.setCookie(c, p.cookie.session, "", -1)
	v := signInView{layout: layout{Title: "You have signed out", Flash: "You have signed out."}, Next: "/", IdleLimit: p.idleLimit()}
	p.render(c, http.StatusOK, "signin", v)
}

// busy reports whether err refuses a sign-in for want of a free
// password-hashing slot (auth.BusyError): nothing was checked.
func busy(err error) bool {
	var b auth.BusyError
	return errors.As(err, &b)
}

// signInMessage is what a failed sign-in says: the ledger's own message,
// which never tells whether the username exists.
func signInMessage(err error) string {
	msg := domain.ErrorMessage(err)
	if domain.ErrorCode(err) == domain.Unauthorized {
		return "The username or password is not right"
	}
	return msg
}

// retryAfter is the Retry-After of a throttled attempt, in seconds; "" if
// err is not one.
func retryAfter(err error) string {
	if secs, ok := retrySeconds(err); ok {
		return strconv.Itoa(secs)
	}
	return ""
}

// retrySeconds is how long a throttled attempt must wait, in whole
// seconds rounded up, as Retry-After says; false if err is not one.
func retrySeconds(err error) (int, bool) {
	var r *ledger.RetryError
	if errors.As(err, &r) {
		return int(math.Ceil(r.After.Seconds())), true
	}
	return 0, false
}

// throttledMessage is what a sign-in the throttle refused says (R-AUTH-5):
// that too many attempts failed (or, when none did, that too many are
// being checked at this moment), whether by a wrong password or a wrong
// code from the authenticator app (both count), and when to try again,
// worked out from the same figure as the Retry-After header. It names
// neither the account nor the address, so it reads the same whether or
// not the username exists (R-AUTH-3).
func throttledMessage(err error) string {
	msg := "Too many attempts to sign in have failed, with a wrong password or a wrong code from the authenticator app."
	if ledger.ThrottledInFlight(err) {
		// Nothing failed: others are signing in at this very moment.
		msg = "Too many people are signing in at this moment."
	}
	secs, ok := retrySeconds(err)
	if !ok || secs <= 0 {
		return msg + " Try again later."
	}
	return msg + " Try again in " + waitText(secs) + "."
}

// waitText is a wait of secs seconds in words: seconds under a minute,
// else minutes rounded up, so trying at that time is never too soon.
func waitText(secs int) string {
	if secs < 60 {
		return itoa(secs) + " " + pluralWord(secs, "second", "seconds")
	}
	m := (secs + 59) / 60
	return itoa(m) + " " + pluralWord(m, "minute", "minutes")
}
