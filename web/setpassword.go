package web

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/referral-ledger/ledger/domain"
)

// The page on which the organisation's lead, or the coordinator, sets a
// new one-time password for a user who forgot theirs, and the
// confirmation after it (R-AUTH-6, R-AUTH-7). They sit among the org
// lead's user pages, which the coordinator uses for any organisation.
func init() {
	addSection(section{
		Mount: func(p *Pages, a *gin.RouterGroup) {
			a.GET("/organisations/:id/users/:user_id/password", p.setPasswordPage)
			a.POST("/organisations/:id/users/:user_id/password", p.setPassword)
			a.GET("/organisations/:id/users/:user_id/password/set", p.passwordSetPage)
		},
		Flashes: map[string]string{
			"password-set": "A new one-time password has been set. Give it to them in person or by phone, never by email: they must change it when they next sign in.",
		},
	})
}

// setPasswordView is the form to set a one-time password, or its
// confirmation.
type setPasswordView struct {
	userFormView
}

// setPasswordFields maps the ledger's field to the form's input.
var setPasswordFields = map[string]string{"password": "password"}

// setPasswordView reads the account of the path for the form, through the
// ledger's access check: the organisation's lead, or the coordinator, who
// alone may for an account holding a network role (R-AUTH-7). A user's
// own account is not set here: they change their password knowing it.
// Errors: NotFound, Forbidden.
func (p *Pages) setPasswordView(c *gin.Context, page string) (setPasswordView, error) {
	fv, err := p.accountView(c, "Set a new one-time password", page)
	if err != nil {
		return setPasswordView{}, err
	}
	if err := domain.CheckSetPasswordRoles(fv.Account.Roles, currentUser(c).Actor()); err != nil {
		return setPasswordView{}, err
	}
	fv.Title = "Set a new one-time password for " + fv.Account.DisplayName + " – " + fv.Org.Name
	fv.Rules = p.passwordRules()
	return setPasswordView{userFormView: fv}, nil
}

// Own reports whether the account shown is the signed-in user's, who
// changes their password knowing it rather than setting a one-time one.
func (v userFormView) Own() bool { return v.User != nil && v.User.ID == v.Account.ID }

// setPasswordPage shows the form; a closed account says so instead, and
// the user's own account leads to changing their password.
func (p *Pages) setPasswordPage(c *gin.Context) {
	v, err := p.setPasswordView(c, "set-password")
	if err != nil {
		p.fail(c, err)
		return
	}
	if v.Own() {
		c.Redirect(http.StatusSeeOther, "/password")
		return
	}
	p.render(c, http.StatusOK, "orglead", v)
}

// setPassword sets the one-time password through the ledger, exactly as
// PUT /v1/organisations/{id}/users/{user_id}/password does: checked
// against the policy, recorded as its hash, the user's sessions ended and
// a change required at their next sign-in (R-AUTH-6). A refused password
// is named beside the field and never sent back.
func (p *Pages) setPassword(c *gin.Context) {
	v, err := p.setPasswordView(c, "set-password")
	if err != nil {
		p.fail(c, err)
		return
	}
	password := c.PostForm("password")
	if password == "" {
		v.Errors = []fieldError{{Field: "password", Message: "Enter a one-time password"}}
	} else {
		w, err := p.Accounts.SetPassword(p.request(c, nil), currentUser(c).Actor(), v.Org.ID, v.Account.ID, password)
		if err == nil {
			p.done(c, w.Position, "password-set", "/organisations/"+v.Org.ID.String()+"/users/"+v.Account.ID.String()+"/password/set")
			return
		}
		if domain.ErrorCode(err) != domain.Invalid {
			p.fail(c, err)
			return
		}
		v.Errors = fieldErrors(err, setPasswordFields)
	}
	v.Title = "Error: " + v.Title
	p.render(c, http.StatusUnprocessableEntity, "orglead", v)
}

// passwordSetPage confirms, once, right after it, that the password was
// set, and says what to do with it; any other time it is the user's page.
func (p *Pages) passwordSetPage(c *gin.Context) {
	v, err := p.setPasswordView(c, "password-set")
	if err != nil {
		p.fail(c, err)
		return
	}
	// A form sent twice is confirmed once, saying so (formOnce).
	if v.Flash != flashes["password-set"] && v.Flash != flashText(againFlash+"password-set") {
		c.Redirect(http.StatusSeeOther, "/organisations/"+v.Org.ID.String()+"/users/"+v.Account.ID.String())
		return
	}
	if v.Flash == flashes["password-set"] {
		v.Flash = "" // the page itself is the confirmation
	} else {
		v.Flash = sentTwice
	}
	v.Title = "One-time password set for " + v.Account.DisplayName + " – " + v.Org.Name
	p.render(c, http.StatusOK, "orglead", v)
}
