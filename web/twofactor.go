package web

import (
	"html/template"
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/referral-ledger/ledger/auth"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

// The second factor's pages (issue 17): the sign-in's second page, setting
// up an authenticator app (a QR code drawn on the server as inline SVG,
// and the key as text), the recovery codes shown once, and the org lead's
// page to require a second factor and reset one.
func init() {
	addSection(section{
		Mount: func(p *Pages, a *gin.RouterGroup) {
			a.GET("/two-factor", p.twoFactorPage)
			a.POST("/two-factor", p.confirmTwoFactor)
			a.POST("/two-factor/new", p.newTwoFactor)
			a.GET("/organisations/:id/second-factor", p.orgTwoFactorPage)
			a.POST("/organisations/:id/second-factor", p.setOrgTwoFactor)
			a.POST("/organisations/:id/users/:user_id/second-factor/reset", p.resetTwoFactor)
		},
		Flashes: map[string]string{
			"two-factor-reset":        "The user's second factor has been reset. They have been emailed, and will set up an authenticator app at their next sign-in.",
			"two-factor-reset-unused": "The user's second factor has been reset, and they have been emailed. Neither their role nor the organisation requires one, so they can sign in with their password alone, and set up an authenticator app again if they want to.",
			"two-factor-required":     "Every user of the organisation now needs a second factor to sign in.",
			"two-factor-not-required": "The organisation no longer requires a second factor of every user. Network roles still need one.",
		},
	})
}

// twoFactorPaths are the pages a user who must set up a second factor may
// use before they have: setting it up, signing out, changing password,
// staying signed in while they do.
var twoFactorPaths = map[string]bool{"/two-factor": true, "/two-factor/new": true, "/sign-out": true, "/password": true, sessionPath: true}

type signInCodeView struct {
	layout
	Challenge string
	Next      string
}

// signInCodePage is the sign-in's second page: the code from the app.
func (p *Pages) signInCodePage(c *gin.Context, status int, v signInCodeView) {
	p.render(c, status, "signin-code", v)
}

// signInCode completes a sign-in with the app's code or a recovery code,
// through the accounts service, throttled as passwords are (R-AUTH-5).
func (p *Pages) signInCode(c *gin.Context) {
	v := signInCodeView{layout: layout{Title: "Enter the code from your authenticator app"},
		Challenge: c.PostForm("challenge"), Next: safeNext(c.PostForm("next"))}
	code := strings.TrimSpace(c.PostForm("code"))
	if code == "" || len(code) > 64 || v.Challenge == "" || len(v.Challenge) > 256 {
		v.Title = "Error: " + v.Title
		v.Errors = []fieldError{{Field: "code", Message: "Enter the 6-digit code from your authenticator app, or a recovery code"}}
		p.signInCodePage(c, http.StatusUnprocessableEntity, v)
		return
	}
	res, err := p.Accounts.CompleteLogin(c.Request.Context(), v.Challenge, code, c.ClientIP())
	if err != nil {
		if domain.ErrorCode(err) == domain.Unauthorized && strings.Contains(domain.ErrorMessage(err), "expired") {
			sv := signInView{layout: layout{Title: "Error: Sign in"}, Next: v.Next, IdleLimit: p.idleLimit()}
			sv.Errors = []fieldError{{Field: "username", Message: "Your sign-in timed out or was already used. Sign in again"}}
			p.render(c, http.StatusUnauthorized, "signin", sv)
			return
		}
		v.Title = "Error: " + v.Title
		msg := "The code is not right. Enter the code your app shows now; each code works once"
		status := http.StatusUnauthorized
		if retry := retryAfter(err); retry != "" {
			c.Header("Retry-After", retry)
			status = http.StatusTooManyRequests
			msg = throttledMessage(err)
		} else if domain.ErrorCode(err) != domain.Unauthorized {
			p.fail(c, err)
			return
		}
		v.Errors = []fieldError{{Field: "code", Message: msg}}
		p.signInCodePage(c, status, v)
		return
	}
	p.setCookie(c, p.cookie.session, res.Token, 0)
	if res.PasswordChangeDue {
		c.Redirect(http.StatusSeeOther, "/password")
		return
	}
	c.Redirect(http.StatusSeeOther, v.Next)
}

type twoFactorView struct {
	layout
	Status ledger.MFAStatus
	Enrol  bool
	QR     template.HTML
	Secret string // in groups of four, for typing
	Codes  []string
}

// enrolView fills v with a set-up: a new secret with restart, else the one
// waiting, if any.
func (p *Pages) enrolView(c *gin.Context, v *twoFactorView, restart bool) error {
	u := currentUser(c)
	e, err := p.Accounts.StartMFAEnrolment(c.Request.Context(), u, restart)
	if err != nil {
		return err
	}
	svg, err := auth.QRCodeSVG(e.URL, "QR code to add the referral ledger to your authenticator app")
	if err != nil {
		return err
	}
	v.Enrol = true
	v.QR = template.HTML(svg) // drawn by auth from the otpauth URL alone, escaped there
	var groups []string
	for s := e.Secret; len(s) > 0; {
		n := min(4, len(s))
		groups = append(groups, s[:n])
		s = s[n:]
	}
	v.Secret = strings.Join(groups, " ")
	return nil
}

// twoFactorPage shows the user's second factor, or sets one up when they
// have none.
func (p *Pages) twoFactorPage(c *gin.Context) {
	u := currentUser(c)
	st, err := p.Accounts.MFAStatus(u)
	if err != nil {
		p.fail(c, err)
		return
	}
	v := twoFactorView{layout: p.base(c, "Second factor", ""), Status: st}
	if !st.Enrolled {
		v.Title = "Set up an authenticator app"
		if err := p.enrolView(c, &v, false); err != nil {
			p.fail(c, err)
			return
		}
	}
	p.render(c, http.StatusOK, "two-factor", v)
}

// newTwoFactor starts setting up another app, with a new secret.
func (p *Pages) newTwoFactor(c *gin.Context) {
	u := currentUser(c)
	st, err := p.Accounts.MFAStatus(u)
	if err != nil {
		p.fail(c, err)
		return
	}
	v := twoFactorView{layout: p.base(c, "Set up an authenticator app", ""), Status: st}
	if err := p.enrolView(c, &v, true); err != nil {
		p.fail(c, err)
		return
	}
	p.render(c, http.StatusOK, "two-factor", v)
}

// confirmTwoFactor completes the set-up with the app's code and shows the
// recovery codes, this once. Replacing an app in use needs the password,
// or a code of the app in use (or a recovery code), as well (issue 17),
// counted as sign-in attempts are (R-AUTH-5).
func (p *Pages) confirmTwoFactor(c *gin.Context) {
	u := currentUser(c)
	proof := ledger.Reauthentication{Password: c.PostForm("current-password"),
		Code: strings.TrimSpace(c.PostForm("current-code")), Addr: c.ClientIP()}
	var codes []string
	var err error
	if len(proof.Password) > 1024 || len(proof.Code) > 64 {
		err = domain.InvalidFields(domain.FieldError{Field: "current_password", Message: "is too long"})
	} else {
		codes, err = p.Accounts.ConfirmMFAEnrolment(p.request(c, nil), u, c.PostForm("code"), proof)
	}
	if err == nil {
		st, _ := p.Accounts.MFAStatus(u)
		v := twoFactorView{layout: p.base(c, "Your authenticator app is set up", ""), Status: st, Codes: codes}
		v.Menu = nil // the menu was drawn before the enrolment: the next page has it
		p.render(c, http.StatusOK, "two-factor", v)
		return
	}
	code := domain.ErrorCode(err)
	if code != domain.Invalid && code != domain.Conflict && code != domain.TooManyRequests {
		p.fail(c, err)
		return
	}
	st, serr := p.Accounts.MFAStatus(u)
	if serr != nil {
		p.fail(c, serr)
		return
	}
	v := twoFactorView{layout: p.base(c, "Error: Set up an authenticator app", ""), Status: st}
	status := http.StatusUnprocessableEntity
	switch {
	case code == domain.TooManyRequests:
		status = http.StatusTooManyRequests
		if retry := retryAfter(err); retry != "" {
			c.Header("Retry-After", retry)
		}
		v.Errors = []fieldError{{Field: "current-password", Message: throttledMessage(err)}}
	case code == domain.Conflict:
		v.Errors = []fieldError{{Field: "code", Message: "The QR code has expired or was replaced. Scan the new one below and enter its code"}}
	case slices.ContainsFunc(domain.ErrorFields(err), func(f domain.FieldError) bool { return f.Field == "current_password" }):
		msg := "Enter your password, or a code from the app you use now, to replace it"
		if proof.Password != "" || proof.Code != "" {
			msg = "The password, or the code from the app you use now, is not right"
		}
		v.Errors = []fieldError{{Field: "current-password", Message: msg}}
	default:
		v.Errors = []fieldError{{Field: "code", Message: "Enter the 6-digit code your authenticator app shows now"}}
	}
	if err := p.enrolView(c, &v, code == domain.Conflict); err != nil {
		p.fail(c, err)
		return
	}
	p.render(c, status, "two-factor", v)
}

type orgTwoFactorView struct {
	orgView
	Users []twoFactorRow
	Next  string // the cursor of the next page of users, "" on the last
}

// twoFactorRow is one account on the org lead's second-factor page.
type twoFactorRow struct {
	domain.User
	// CanReset: it has a second factor the viewer may reset (an account
	// with a network role is the coordinator's alone; one's own is
	// replaced, not reset).
	CanReset bool
}

// orgTwoFactorPage shows the org lead whether the organisation requires a
// second factor and which users have one, with a reset for each, a page of
// users at a time as the users page lists them.
func (p *Pages) orgTwoFactorPage(c *gin.Context) {
	v, err := p.managedOrgBase(c, "Second factor", "users", "second-factor")
	if err != nil {
		p.fail(c, err)
		return
	}
	if err := p.settleHead(c.Request.Context()); err != nil {
		p.fail(c, err)
		return
	}
	page, err := p.Accounts.OrganisationUsers(p.request(c, nil), currentUser(c).Actor(), v.Org.ID, c.Query("next"), usersPerPage)
	if err != nil {
		p.fail(c, err)
		return
	}
	ov := orgTwoFactorView{orgView: v, Next: page.Next}
	for _, a := range page.Users {
		if !a.Closed {
			network := slices.ContainsFunc(a.Roles, domain.Role.Network)
			// Not one's own: that is replaced with the password (issue 17).
			own := a.ID == currentUser(c).ID
			ov.Users = append(ov.Users, twoFactorRow{User: a.User, CanReset: a.MFAEnrolled && !own && (v.Coordinator || !network)})
		}
	}
	p.render(c, http.StatusOK, "org-two-factor", ov)
}

// setOrgTwoFactor records whether the organisation requires a second
// factor of every user.
func (p *Pages) setOrgTwoFactor(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		p.fail(c, domain.Errorf(domain.NotFound, "no such organisation"))
		return
	}
	choice := c.PostForm("required")
	if choice != "yes" && choice != "no" {
		if _, err := p.managedOrgBase(c, "Second factor", "users", "second-factor"); err != nil {
			p.fail(c, err) // those who may not ask are refused as for any choice
			return
		}
		// One of the form's two radios is always chosen; as the API
		// refuses a required that is not a boolean, anything else changes
		// nothing, least of all switching the requirement off.
		p.renderError(c, http.StatusUnprocessableEntity, "Check what you entered",
			"The form did not say whether to require a second factor. Nothing was changed. Go back to the second factor page and try again.")
		return
	}
	required := choice == "yes"
	w, err := p.Accounts.RequireMFA(p.request(c, nil), currentUser(c).Actor(), id, required)
	if err != nil {
		p.fail(c, err)
		return
	}
	flash := "two-factor-not-required"
	if required {
		flash = "two-factor-required"
	}
	p.done(c, w.Position, flash, "/organisations/"+id.String()+"/second-factor")
}

// resetTwoFactor removes a user's second factor, as DELETE
// /v1/organisations/{id}/users/{user_id}/mfa does.
func (p *Pages) resetTwoFactor(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		p.fail(c, domain.Errorf(domain.NotFound, "no such organisation"))
		return
	}
	userID, err := userPathID(c)
	if err != nil {
		p.fail(c, err)
		return
	}
	if err := p.Accounts.ResetMFA(p.request(c, nil), currentUser(c).Actor(), id, userID); err != nil {
		p.fail(c, err)
		return
	}
	// They are asked to set up an app at their next sign-in only if their
	// role or the organisation requires a second factor of them.
	flash := "two-factor-reset"
	if o, err := p.Service.Organisation(c.Request.Context(), id); err == nil {
		if u, ok := o.Users[userID]; ok && !p.Accounts.MFARequired(u) {
			flash = "two-factor-reset-unused"
		}
	}
	p.flash(c, flash)
	c.Redirect(http.StatusSeeOther, "/organisations/"+id.String()+"/second-factor")
}
