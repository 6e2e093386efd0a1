package http

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/referral-ledger/ledger/domain"
)

const ctxUser = "ledger.user"

// authenticate resolves the bearer token to an open account on every
// request: nothing about permissions is cached in the token, so a closure
// takes effect on the very next request (R-ORG-3).
func (s *Server) authenticate(c *gin.Context) {
	h := c.GetHeader("Authorization")
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || token == "" || len(token) > 256 {
		writeError(c, domain.Errorf(domain.Unauthorized, "sign in and send the session token as Authorization: Bearer <token>"))
		return
	}
	u, err := s.Accounts.Authenticate(c.Request.Context(), token)
	if err != nil {
		writeError(c, err)
		return
	}
	c.Set(ctxUser, u)
	setUserID(c, u.ID)
	if u.PasswordChangeRequired && !allowedBeforePasswordChange(c) {
		writeError(c, errPasswordChangeRequired)
		return
	}
	if !allowedBeforeMFAEnrolment(c) && s.Accounts.MFAEnrolmentDue(u) {
		writeError(c, errMFAEnrolment)
		return
	}
	c.Next()
}

// errPasswordChangeRequired refuses every request but a password change or
// a sign-out while the password is one someone else set (R-AUTH-6).
var errPasswordChangeRequired = domain.Errorf(domain.Forbidden, "you must change your password before doing anything else")

// allowedBeforePasswordChange reports whether the request is one a user
// whose password someone else set may make: change it, or sign out.
func allowedBeforePasswordChange(c *gin.Context) bool {
	switch c.Request.Method + " " + c.FullPath() {
	case http.MethodPut + " /v1/users/me/password", http.MethodDelete + " /v1/sessions/current":
		return true
	}
	return false
}

// currentUser returns the account authenticate found.
func currentUser(c *gin.Context) domain.User {
	v, _ := c.Get(ctxUser)
	u, _ := v.(domain.User)
	return u
}

func bearerToken(c *gin.Context) string {
	token, _ := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	return token
}

type sessionRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	// Code is optional: a second factor's code given with the password,
	// in one step (issue 17).
	Code string `json:"code"`
}

type userBody struct {
	ID             string        `json:"id"`
	Username       string        `json:"username"`
	DisplayName    string        `json:"display_name"`
	Email          string        `json:"email"`
	OrganisationID string        `json:"organisation_id"`
	Roles          []domain.Role `json:"roles"`
	Team           string        `json:"team,omitempty"`
	Closed         bool          `json:"closed"`
}

func userJSON(u domain.User) userBody {
	roles := u.Roles
	if roles == nil {
		roles = []domain.Role{}
	}
	return userBody{ID: u.ID.String(), Username: u.Username, DisplayName: u.DisplayName, Email: u.Email,
		OrganisationID: u.OrganisationID.String(), Roles: roles, Team: u.Team, Closed: u.Closed}
}

// createSession signs in (R-AUTH-3).
func (s *Server) createSession(c *gin.Context) {
	var req sessionRequest
	if err := decodeJSON(c, &req); err != nil {
		writeError(c, err)
		return
	}
	var v validator
	v.check(req.Username != "", "username", "is required")
	v.check(req.Password != "", "password", "is required")
	v.check(len(req.Username) <= 256, "username", "is too long")
	v.check(len(req.Password) <= 1024, "password", "is too long")
	v.check(len(req.Code) <= 64, "code", "is too long")
	if err := v.err(); err != nil {
		writeError(c, err)
		return
	}
	res, err := s.Accounts.LoginWithCode(c.Request.Context(), req.Username, req.Password, req.Code, c.ClientIP())
	if err != nil {
		writeError(c, err)
		return
	}
	if res.Challenge != "" {
		c.JSON(http.StatusOK, challengeJSON(res))
		return
	}
	c.JSON(http.StatusCreated, sessionJSON(res))
}

// deleteSession signs out.
func (s *Server) deleteSession(c *gin.Context) {
	if err := s.Accounts.Logout(bearerToken(c)); err != nil {
		writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

type passwordRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

// changePassword replaces the signed-in user's password; every session of
// the user, this one included, ends.
func (s *Server) changePassword(c *gin.Context) {
	var req passwordRequest
	_, ctx, ok := s.command(c, "", &req)
	if !ok {
		return
	}
	var v validator
	v.check(req.CurrentPassword != "", "current_password", "is required")
	v.check(req.NewPassword != "", "new_password", "is required")
	if err := v.err(); err != nil {
		writeError(c, err)
		return
	}
	if err := s.Accounts.ChangePassword(ctx, currentUser(c), req.CurrentPassword, req.NewPassword, c.ClientIP()); err != nil {
		writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// setETag publishes a stream revision as the resource's ETag.
func setETag(c *gin.Context, revision uint64) {
	c.Header("ETag", `"`+strconv.FormatUint(revision, 10)+`"`)
}

// parseETag reads an If-Match value written by setETag.
func parseETag(h string) (uint64, error) {
	h = strings.TrimPrefix(strings.TrimSpace(h), "W/")
	if len(h) >= 2 && h[0] == '"' && h[len(h)-1] == '"' {
		h = h[1 : len(h)-1]
	}
	rev, err := strconv.ParseUint(h, 10, 64)
	if err != nil {
		return 0, malformed("If-Match: must be an ETag this API issued, such as \"3\"",
			domain.FieldError{Field: "If-Match", Message: "must be an ETag this API issued"})
	}
	return rev, nil
}
