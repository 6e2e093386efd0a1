package http

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

const ctxUser = "ledger.user"

// authenticate resolves the bearer token to an open account on every
// request: nothing about permissions is cached in the token, so a closure
// takes effect on the very next request (R-ORG-3).
func (s *Server) authenticate(c *gin.Context) {
	token := bearerToken(c)
	if token == "" || len(token) > 256 {
		writeError(c, domain.Errorf(domain.Unauthorized, "sign in and send the session token as Authorization: Bearer <token>"))
		return
	}
	u, ctx, err := s.Accounts.AuthenticateRequest(c.Request.Context(), token)
	if err != nil {
		writeError(c, err)
		return
	}
	c.Request = c.Request.WithContext(ctx)
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

// bearerToken returns the token of the request's Authorization header of
// the Bearer scheme (RFC 6750, section 2.1), or "". The scheme's name is
// case-insensitive (RFC 9110, section 11.1), so "bearer" and "BEARER" are
// it too, and one or more spaces may follow it.
func bearerToken(c *gin.Context) string {
	scheme, token, ok := strings.Cut(c.GetHeader("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimLeft(token, " ")
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
	// MFAEnrolled, in the answers to those who manage the account (its
	// organisation's lead, the coordinator), says whether it has a second
	// factor set up (issue 17); absent elsewhere.
	MFAEnrolled *bool `json:"mfa_enrolled,omitempty"`
}

// managedUserJSON is u as its organisation's lead and the coordinator see
// it: with whether it has a second factor (issue 17).
func managedUserJSON(u domain.User) userBody {
	out := userJSON(u)
	enrolled := u.MFAEnrolled
	out.MFAEnrolled = &enrolled
	return out
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
	if err := decodeBody(c, &req); err != nil {
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

// changePassword replaces the signed-in user's password; this session goes
// on under the new password, and every other session of the user ends
// (R-AUTH-6).
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
	if err := s.Accounts.ChangePassword(ctx, currentUser(c), bearerToken(c), req.CurrentPassword, req.NewPassword, c.ClientIP()); err != nil {
		writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// setETag publishes a stream revision as the resource's ETag.
func setETag(c *gin.Context, revision uint64) {
	c.Header("ETag", `"`+strconv.FormatUint(revision, 10)+`"`)
}

// parseIfMatch reads If-Match (RFC 9110 section 13.1.1): "*", or a
// comma-separated list of entity tags. Comparison is strong: a weak tag
// (W/"3") is well formed but never matches. A strong tag must be one this
// API issues (setETag: a revision in quotes). Anything else is malformed,
// answered 400 naming the header.
func parseIfMatch(values []string) (*ledger.Match, error) {
	bad := func(why string) error {
		return malformed("If-Match: "+why+"; send \"*\" or ETags this API issued, such as \"3\" or \"3\", \"4\"",
			domain.FieldError{Field: "If-Match", Message: why})
	}
	h := strings.TrimSpace(strings.Join(values, ","))
	if h == "*" {
		return &ledger.Match{Any: true}, nil
	}
	m := &ledger.Match{Revisions: []uint64{}}
	tags := 0
	for _, el := range strings.Split(h, ",") {
		el = strings.Trim(el, " \t")
		if el == "" {
			continue // a list may hold empty elements (RFC 9110 section 5.6.1)
		}
		tags++
		weak := strings.HasPrefix(el, "W/")
		tag := strings.TrimPrefix(el, "W/")
		if len(tag) < 2 || tag[0] != '"' || tag[len(tag)-1] != '"' {
			if el == "*" {
				return nil, bad(`"*" must stand alone`)
			}
			return nil, bad("an entity tag must be quoted")
		}
		opaque := tag[1 : len(tag)-1]
		for i := 0; i < len(opaque); i++ {
			if b := opaque[i]; b == '"' || b < 0x21 || b == 0x7f {
				return nil, bad("an entity tag holds a character it may not")
			}
		}
		if weak {
			continue // weak tags never match under strong comparison
		}
		rev, err := strconv.ParseUint(opaque, 10, 64)
		if err != nil {
			return nil, bad("must be an ETag this API issued")
		}
		m.Revisions = append(m.Revisions, rev)
	}
	if tags == 0 {
		return nil, bad("names no entity tag")
	}
	return m, nil
}
