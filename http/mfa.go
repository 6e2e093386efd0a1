package http

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

// codeMFAEnrolmentRequired is the problem of a user who must set up a
// second factor before doing anything else (issue 17): 403.
const codeMFAEnrolmentRequired problemCode = "mfa_enrolment_required"

// errMFAEnrolment refuses every request but enrolment, sign-out and a
// password change to a user who must have a second factor and has none.
var errMFAEnrolment error = &requestError{code: codeMFAEnrolmentRequired,
	err: &domain.Error{Code: domain.Forbidden, Message: domain.ErrorMessage(ledger.ErrMFAEnrolmentRequired)}}

// allowedBeforeMFAEnrolment reports whether the request is one a user who
// must enrol a second factor may make first: see or enrol it, sign out or
// change password.
func allowedBeforeMFAEnrolment(c *gin.Context) bool {
	switch c.Request.Method + " " + c.FullPath() {
	case http.MethodGet + " /v1/users/me/mfa", http.MethodPost + " /v1/users/me/mfa/totp",
		http.MethodPost + " /v1/users/me/mfa/totp/confirmation",
		http.MethodPut + " /v1/users/me/password", http.MethodDelete + " /v1/sessions/current":
		return true
	}
	return false
}

// sessionJSON is the body of a new session.
func sessionJSON(res ledger.LoginResult) gin.H {
	return gin.H{
		"token":                  res.Token,
		"expires_at":             res.ExpiresAt.UTC().Format(time.RFC3339),
		"user":                   userJSON(res.User),
		"password_change_due":    res.PasswordChangeDue,
		"mfa_enrolment_required": res.MFAEnrolmentDue,
	}
}

// challengeJSON is the body of a sign-in that needs its second step.
func challengeJSON(res ledger.LoginResult) gin.H {
	return gin.H{
		"second_factor_required": true,
		"challenge":              res.Challenge,
		"challenge_expires_at":   res.ChallengeExpiresAt.UTC().Format(time.RFC3339),
		"methods":                []string{"totp", "recovery_code"},
	}
}

type secondFactorRequest struct {
	Challenge string `json:"challenge"`
	Code      string `json:"code"`
}

// completeSession is a sign-in's second step: the challenge and a code
// from the authenticator app, or a recovery code (issue 17).
func (s *Server) completeSession(c *gin.Context) {
	var req secondFactorRequest
	if err := decodeBody(c, &req); err != nil {
		writeError(c, err)
		return
	}
	var v validator
	v.check(req.Challenge != "", "challenge", "is required")
	v.check(req.Code != "", "code", "is required")
	v.check(len(req.Challenge) <= 256, "challenge", "is too long")
	v.check(len(req.Code) <= 64, "code", "is too long")
	if err := v.err(); err != nil {
		writeError(c, err)
		return
	}
	res, err := s.Accounts.CompleteLogin(c.Request.Context(), req.Challenge, req.Code, c.ClientIP())
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusCreated, sessionJSON(res))
}

// mfaStatus shows the signed-in user's second factor.
func (s *Server) mfaStatus(c *gin.Context) {
	st, err := s.Accounts.MFAStatus(currentUser(c))
	if err != nil {
		writeError(c, err)
		return
	}
	methods := []string{}
	if st.Enrolled {
		methods = append(methods, "totp")
	}
	c.JSON(http.StatusOK, gin.H{"enrolled": st.Enrolled, "required": st.Required,
		"methods": methods, "recovery_codes_left": st.RecoveryCodes})
}

// startTOTP makes a new TOTP secret for the signed-in user, pending until
// a code confirms it. With an Idempotency-Key (idempotent), a retry gets
// the same secret: the key's entry names the enrolment (the user and a
// fingerprint of it), never the secret, which stays sealed in the session store;
// the replay reads it from the enrolment while it is pending (replayTOTP).
func (s *Server) startTOTP(c *gin.Context) {
	// No body, or the empty object the document describes; a body sent is
	// checked as every JSON body is (400, 415, 422).
	if r := c.Request; r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
		if err := decodeJSON(c, &emptyRequest{}); err != nil {
			writeError(c, err)
			return
		}
	}
	u := currentUser(c)
	e, err := s.Accounts.StartMFAEnrolment(c.Request.Context(), u, true)
	if err != nil {
		writeError(c, err)
		return
	}
	setReplay(c, replayRef{Kind: replayTOTPEnrolment, ID: u.ID.String(), Part: totpFingerprint(u.ID.String(), e.Secret)})
	respondTOTP(c, http.StatusCreated, e)
}

// replayTOTP answers a retry of the request that started the enrolment
// ref names with that enrolment, while it is still pending; once it is
// confirmed, restarted, reset or expired, its secret is gone and the retry
// is 409: a new enrolment needs a new key.
func (s *Server) replayTOTP(c *gin.Context, ref replayRef, status int) {
	u := currentUser(c)
	if ref.ID != u.ID.String() || ref.Part == "" {
		writeError(c, domain.Errorf(domain.Internal, "idempotency: a malformed second-factor replay reference"))
		return
	}
	e, ok, err := s.Accounts.PendingMFAEnrolment(c.Request.Context(), u)
	if err != nil {
		writeError(c, err)
		return
	}
	if !ok || subtle.ConstantTimeCompare([]byte(totpFingerprint(u.ID.String(), e.Secret)), []byte(ref.Part)) != 1 {
		// Not the first answer: no replay of it.
		c.Writer.Header().Del(idempotentReplayedHeader)
		writeError(c, domain.Errorf(domain.Conflict, "the second-factor enrolment this Idempotency-Key started is no longer pending "+
			"(confirmed, started again, reset or expired): send a new key to start another"))
		return
	}
	respondTOTP(c, status, e)
}

// totpFingerprint names the enrolment of secret for the user with id uid
// in an Idempotency-Key's entry without keeping the secret there: a hash
// of 160 random bits, which tells nothing of them, and tells one
// enrolment from another made in the same instant.
func totpFingerprint(uid, secret string) string {
	h := sha256.Sum256([]byte("referral-ledger totp enrolment\x00" + uid + "\x00" + secret))
	return hex.EncodeToString(h[:16])
}

// respondTOTP answers an enrolment awaiting its first code.
func respondTOTP(c *gin.Context, status int, e ledger.MFAEnrolment) {
	c.JSON(status, gin.H{
		"secret":      e.Secret,
		"otpauth_url": e.URL,
		"qr_code":     e.QRCode,
		"algorithm":   "SHA1",
		"digits":      6,
		"period":      30,
		"expires_at":  e.ExpiresAt.UTC().Format(time.RFC3339),
	})
}

// confirmationRequest confirms an enrolment with the new app's code; one
// replacing a second factor in use also gives the current password or a
// current code of that factor (issue 17).
type confirmationRequest struct {
	Code            string `json:"code"`
	CurrentPassword string `json:"current_password"`
	CurrentCode     string `json:"current_code"`
}

// confirmTOTP completes the enrolment with a correct code and answers the
// recovery codes, shown this once. Replacing a second factor in use needs
// the current password or a current code as well, counted as sign-in
// attempts are (R-AUTH-5).
func (s *Server) confirmTOTP(c *gin.Context) {
	var req confirmationRequest
	_, ctx, ok := s.command(c, "", &req)
	if !ok {
		return
	}
	var v validator
	v.check(req.Code != "", "code", "is required")
	v.check(len(req.Code) <= 64, "code", "is too long")
	v.check(len(req.CurrentPassword) <= 1024, "current_password", "is too long")
	v.check(len(req.CurrentCode) <= 64, "current_code", "is too long")
	if err := v.err(); err != nil {
		writeError(c, err)
		return
	}
	codes, err := s.Accounts.ConfirmMFAEnrolment(ctx, currentUser(c), req.Code,
		ledger.Reauthentication{Password: req.CurrentPassword, Code: req.CurrentCode, Addr: c.ClientIP()})
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"enrolled": true, "recovery_codes": codes})
}

// resetMFA removes a user's second factor: their org lead, or the
// coordinator (alone, for an account with a network role).
func (s *Server) resetMFA(c *gin.Context) {
	id, ctx, ok := s.command(c, "id", nil)
	if !ok {
		return
	}
	userID, err := parseUUIDParam(c, "user_id")
	if err != nil {
		writeError(c, err)
		return
	}
	if err := s.Accounts.ResetMFA(ctx, currentUser(c).Actor(), id, userID); err != nil {
		writeError(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

type mfaRequirementRequest struct {
	Required *bool `json:"required"`
}

// setMFARequirement lets the org lead require a second factor of every
// user of the organisation.
func (s *Server) setMFARequirement(c *gin.Context) {
	var req mfaRequirementRequest
	id, ctx, ok := s.command(c, "id", &req)
	if !ok {
		return
	}
	required := false
	if req.Required == nil {
		// Refused after the check of who may set it (R-AUTH-4).
		ctx = refuseField(c, ctx, "required", "is required: true or false")
	} else {
		required = *req.Required
	}
	w, err := s.Accounts.RequireMFA(ctx, currentUser(c).Actor(), id, required)
	if err != nil {
		writeError(c, err)
		return
	}
	s.respondAfter(c, w.Position, http.StatusOK, gin.H{"organisation_id": id.String(), "required": required})
}
