package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/referral-ledger/ledger/auth"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

type passwordView struct {
	layout
	Required bool   // someone else set the password: nothing else until it changes
	Due      bool   // the password is older than the policy allows: a prompt, not a requirement
	Rules    string // the password policy in force, in words, for the hint
}

// passwordPrompt is the view's reason to change the password now, if any:
// required when someone else set it (R-AUTH-6), due when it is older
// than the policy allows (R-AUTH-2), which nothing else waits for.
func (p *Pages) passwordPrompt(v *passwordView, u domain.User) {
	v.Required = u.PasswordChangeRequired
	v.Due = !v.Required && p.Accounts.PasswordChangeDue(u)
}

// passwordRules says what the password policy in force asks of a new
// password (R-AUTH-2), so the hint tells people before they type.
func (p *Pages) passwordRules() string {
	if pol, ok := p.Accounts.Policy().(auth.PasswordPolicy); ok && pol.String() == auth.PolicyModern.String() {
		return "Use at least 12 characters. A long password not used anywhere else, such as three or four random words, is best."
	}
	return "Use at least 8 characters, with an upper-case letter, a lower-case letter, a digit and another character such as # * @ or $. Do not use a password you use anywhere else."
}

// passwordPage shows the change-password form; it is the only page open to
// a user whose password someone else set (R-AUTH-6).
func (p *Pages) passwordPage(c *gin.Context) {
	u := currentUser(c)
	v := passwordView{layout: p.base(c, "Change your password", "password"), Rules: p.passwordRules()}
	p.passwordPrompt(&v, u)
	p.render(c, http.StatusOK, "password", v)
}

// changePassword replaces the password through the accounts service, with
// the network's password policy. Every other session of the user ends, as
// in the API, and so does this one: the user signs in again with the new
// password, which the browser may then offer to save.
func (p *Pages) changePassword(c *gin.Context) {
	u := currentUser(c)
	current, next, confirm := c.PostForm("current-password"), c.PostForm("new-password"), c.PostForm("confirm-password")
	v := passwordView{layout: p.base(c, "Change your password", "password"), Rules: p.passwordRules()}
	p.passwordPrompt(&v, u)
	if current == "" {
		v.Errors = append(v.Errors, fieldError{Field: "current-password", Message: "Enter your current password"})
	}
	if next == "" {
		v.Errors = append(v.Errors, fieldError{Field: "new-password", Message: "Enter a new password"})
	} else if !auth.SamePassword(next, confirm) {
		v.Errors = append(v.Errors, fieldError{Field: "confirm-password", Message: "Enter the same new password twice"})
	}
	if len(current) > 1024 || len(next) > 1024 {
		v.Errors = append(v.Errors, fieldError{Field: "new-password", Message: "Enter a shorter password"})
	}
	if len(v.Errors) == 0 {
		err := p.Accounts.ChangePassword(p.request(c, nil), u, "", current, next, c.ClientIP())
		if err == nil {
			p.setCookie(c, p.cookie.session, "", -1)
			sv := signInView{layout: layout{Title: "Sign in", Flash: "Your password has been changed. Sign in with your new password."},
				Username: u.Username, Next: "/", IdleLimit: p.idleLimit()}
			p.render(c, http.StatusOK, "signin", sv)
			return
		}
		status := http.StatusUnprocessableEntity
		switch retry := retryAfter(err); {
		case retry != "":
			// As PUT /v1/users/me/password answers (R-AUTH-5): 429 with
			// Retry-After, and when to try again in words.
			c.Header("Retry-After", retry)
			status = http.StatusTooManyRequests
			v.Errors = []fieldError{{Field: "current-password", Message: passwordThrottledMessage(err)}}
		case domain.ErrorCode(err) != domain.Invalid:
			// The session ended meanwhile, or the service cannot check a
			// password now: the API's answer, not a field to correct.
			p.fail(c, err)
			return
		default:
			v.Errors = fieldErrors(err, map[string]string{"current_password": "current-password", "new_password": "new-password"})
		}
		v.Title = "Error: " + v.Title
		p.render(c, status, "password", v)
		return
	}
	v.Title = "Error: " + v.Title
	p.render(c, http.StatusUnprocessableEntity, "password", v)
}

// passwordThrottledMessage is what a password change the throttle refused
// says (R-AUTH-5): that too many attempts with a wrong password failed
// (signing in and changing the password count together), or, when none
// did, that too many are being checked at this moment, and when to try
// again, from the figure Retry-After gives.
func passwordThrottledMessage(err error) string {
	msg := "Too many attempts with a wrong password have failed, here or when signing in."
	if ledger.ThrottledInFlight(err) {
		msg = "Too many attempts with your password are being checked at this moment."
	}
	secs, ok := retrySeconds(err)
	if !ok || secs <= 0 {
		return msg + " Try again later."
	}
	return msg + " Try again in " + waitText(secs) + "."
}
