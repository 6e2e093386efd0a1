package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/referral-ledger/ledger/domain"
)

// cookieNames are the names of the pages' cookies. Over https the session
// cookie takes the __Host- prefix, which browsers only accept Secure, on
// this host alone and for every path: no subdomain can set or shadow it.
type cookieNames struct {
	session, flash string
	secure         bool
}

func cookieNamesFor(publicURL string) cookieNames {
	if u, err := url.Parse(publicURL); err == nil && u.Scheme == "https" {
		return cookieNames{session: "__Host-ledger_session", flash: "__Host-ledger_flash", secure: true}
	}
	return cookieNames{session: "ledger_session", flash: "ledger_flash"}
}

// setCookie sets a cookie for the whole site: HttpOnly, SameSite=Lax (a
// link from an email still arrives signed in; another site's form does
// not), Secure over https. maxAge 0 makes it last until the browser
// closes; negative deletes it. The session itself expires as a bearer
// token does, idle and absolute, in the session store.
func (p *Pages) setCookie(c *gin.Context, name, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: p.cookie.secure, SameSite: http.SameSiteLaxMode})
}

const ctxUser = "web.user"

// authenticate resolves the session cookie to an open account on every
// request, through the accounts service that resolves bearer tokens, so a
// closed account or an expired session ends here exactly as in the API.
// Without a session a page asks to sign in first, and comes back after. A
// user whose password someone else set may only change it or sign out
// (R-AUTH-6), as in the API.
func (p *Pages) authenticate(c *gin.Context) {
	token := ""
	if ck, err := c.Request.Cookie(p.cookie.session); err == nil {
		token = ck.Value
	}
	if token == "" || len(token) > 256 {
		p.toSignIn(c)
		return
	}
	// The head read at authentication serves the page's reads, as in the
	// API: cached states answer while it shows nothing newer.
	u, ctx, err := p.Accounts.AuthenticateRequest(c.Request.Context(), token)
	if err != nil {
		if domain.ErrorCode(err) == domain.Unauthorized {
			p.setCookie(c, p.cookie.session, "", -1)
			p.toSignInEnded(c, true)
			return
		}
		p.fail(c, err)
		c.Abort()
		return
	}
	c.Request = c.Request.WithContext(ctx)
	c.Set(ctxUser, u)
	if u.PasswordChangeRequired && c.FullPath() != "/password" && c.FullPath() != "/sign-out" && c.FullPath() != sessionPath {
		c.Redirect(http.StatusSeeOther, "/password")
		c.Abort()
		return
	}
	// A user who must have a second factor and has none sets one up
	// first (issue 17), as the API refuses them everything else.
	if !twoFactorPaths[c.FullPath()] && p.Accounts.MFAEnrolmentDue(u) {
		c.Redirect(http.StatusSeeOther, "/two-factor")
		c.Abort()
		return
	}
	c.Next()
}

// signedInUser is authenticate for a page that is the same for everyone
// (an address nothing serves): a session cookie that opens a session makes
// the page the signed-in user's, with their navigation and way on, instead
// of asking them to sign in; without one, or with one that no longer opens
// a session, the page is drawn for someone not signed in. It is not a use
// of the session, which it neither keeps alive nor ends.
func (p *Pages) signedInUser(c *gin.Context) {
	ck, err := c.Request.Cookie(p.cookie.session)
	if err != nil || ck.Value == "" || len(ck.Value) > 256 {
		return
	}
	if u, err := p.Accounts.SessionUser(c.Request.Context(), ck.Value); err == nil {
		c.Set(ctxUser, u)
	}
}

// toSignIn sends the browser to the sign-in page, which brings it back to
// the page it asked for: an email's link opens the referral after sign-in.
//
// A form sent without a session (it ended while the user typed, or they
// signed out elsewhere) is not acted on: the sign-in page says so, and
// that nothing was saved, and comes back to the page the form was on.
func (p *Pages) toSignIn(c *gin.Context) { p.toSignInEnded(c, false) }

// toSignInEnded is toSignIn for a browser whose session cookie no longer
// opens a session when ended is true: a page asked for then (a link
// followed after the session timed out, with no script to warn first)
// comes to a sign-in page that says the session ended, and why.
func (p *Pages) toSignInEnded(c *gin.Context, ended bool) {
	if c.FullPath() == sessionPath { // the timeout warning's script asked
		sessionEnded(c)
		return
	}
	target := "/sign-in"
	if c.Request.Method == http.MethodGet {
		q := url.Values{}
		if ended {
			q.Set("ended", "idle")
		}
		if c.Request.URL.Path != "/" {
			q.Set("next", safeNext(c.Request.URL.RequestURI()))
		}
		if len(q) > 0 {
			target += "?" + q.Encode()
		}
	} else if c.Request.Method != http.MethodGet && c.FullPath() != "/sign-out" {
		q := url.Values{"ended": {"1"}}
		if ref, err := url.Parse(c.Request.Referer()); err == nil && ref.Host == c.Request.Host && ref.Path != "" {
			if next := safeNext(ref.RequestURI()); next != "/" {
				q.Set("next", next)
			}
		}
		target += "?" + q.Encode()
	}
	c.Redirect(http.StatusSeeOther, target)
	c.Abort()
}

// userFrom returns the signed-in user authenticate found.
func userFrom(c *gin.Context) (domain.User, bool) {
	v, ok := c.Get(ctxUser)
	if !ok {
		return domain.User{}, false
	}
	u, ok := v.(domain.User)
	return u, ok
}

func currentUser(c *gin.Context) domain.User {
	u, _ := userFrom(c)
	return u
}

// flashes are the confirmations an action leaves for the page after it:
// the cookie carries only the key, never anything a user typed.
var flashes = map[string]string{
	"signed-in":      "You are signed in.",
	"password":       "Your password has been changed.",
	"made":           "Referral made. The receiving organisation has been told.",
	"acknowledged":   "Referral acknowledged.",
	"assigned":       "Referral assigned.",
	"note":           "Note added.",
	"urgency":        "Urgency review recorded: the referral is no longer treated as urgent.",
	"closed":         "Referral closed.",
	"already-made":   "This referral was already made: your form was sent twice, and only one referral was made.",
	"not-found-find": "",
}

// flash leaves a confirmation for the next page, and with the form's
// one-time key (formOnce), for a second sending of the form.
func (p *Pages) flash(c *gin.Context, key string) {
	c.Set(ctxFlash, key)
	p.setCookie(c, p.cookie.flash, key, 60)
}

// takeFlash returns the confirmation left by the last action, once.
func takeFlash(c *gin.Context) string {
	for _, ck := range c.Request.Cookies() {
		if strings.HasSuffix(ck.Name, "ledger_flash") && ck.Value != "" {
			http.SetCookie(c.Writer, &http.Cookie{Name: ck.Name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
				Secure: strings.HasPrefix(ck.Name, "__Host-"), SameSite: http.SameSiteLaxMode})
			return flashText(ck.Value)
		}
	}
	return ""
}
