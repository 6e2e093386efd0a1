package ledger

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/auth"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/keystore"
	"github.com/referral-ledger/ledger/metrics"
	"github.com/referral-ledger/ledger/session"
)

// SecondFactorKeyPurpose names the key, derived from the master key, that
// seals TOTP secrets (issue 17): kept, backed up and shared between nodes
// exactly as the master key is, never stored itself.
const SecondFactorKeyPurpose = "referral-ledger totp secrets v1"

// MFAConfig is the second factor's policy (issue 17).
type MFAConfig struct {
	// RequiredRoles are the roles whose holders must have a second factor
	// (auth.mfa_required_roles); empty for none but the organisations that
	// require it of everyone.
	RequiredRoles []domain.Role
	// Issuer names the service in authenticator apps.
	Issuer string
	// ChallengeTTL is how long a sign-in waits for its second factor.
	ChallengeTTL time.Duration
	// PendingTTL is how long an enrolment's secret waits for its first
	// code before a new one is made.
	PendingTTL time.Duration
}

// DefaultMFARoles are the network roles, which see most: a second factor
// is required of them unless configured otherwise.
func DefaultMFARoles() []domain.Role {
	return []domain.Role{domain.RoleCoordinator, domain.RoleAuditor, domain.RoleSystemSupport, domain.RoleEmergencyDuty}
}

// secondFactor is what the accounts need for second factors: the shared
// store of secrets, steps, recovery codes and challenges, and the box that
// seals secrets.
type secondFactor struct {
	store session.MFAStore
	box   *auth.SecretBox
	cfg   MFAConfig
}

// OrganisationPolicies says whether an organisation requires a second
// factor of all its users.
type OrganisationPolicies interface {
	RequiresMFA(organisationID uuid.UUID) bool
}

// SetSecondFactor turns second factors on: secrets are sealed under a key
// derived from master and kept in store with the rest (issue 17).
func (a *Accounts) SetSecondFactor(store session.MFAStore, master keystore.MasterKey, policies OrganisationPolicies, cfg MFAConfig) error {
	box, err := auth.NewSecretBox(master.DeriveKey(SecondFactorKeyPurpose))
	if err != nil {
		return err
	}
	if cfg.Issuer == "" {
		cfg.Issuer = "Referral ledger"
	}
	if cfg.ChallengeTTL <= 0 {
		cfg.ChallengeTTL = 5 * time.Minute
	}
	if cfg.PendingTTL <= 0 {
		cfg.PendingTTL = 15 * time.Minute
	}
	a.mfa = &secondFactor{store: store, box: box, cfg: cfg}
	a.policies = policies
	return nil
}

// MFARequired reports whether u must have a second factor: a role in
// auth.mfa_required_roles, or their organisation requires it.
func (a *Accounts) MFARequired(u domain.User) bool {
	if a.mfa == nil {
		return false
	}
	org := a.policies != nil && a.policies.RequiresMFA(u.OrganisationID)
	return domain.MFARequiredFor(u, a.mfa.cfg.RequiredRoles, org)
}

// MFAEnrolmentDue reports whether u must enrol a second factor before
// doing anything else.
func (a *Accounts) MFAEnrolmentDue(u domain.User) bool {
	return a.MFARequired(u) && !u.MFAEnrolled
}

// ErrMFAEnrolmentRequired refuses everything but enrolment (and signing
// out or changing password) to a user who must have a second factor and
// has none.
var ErrMFAEnrolmentRequired = domain.Errorf(domain.Forbidden,
	"you must set up a second factor (an authenticator app) before doing anything else: "+
		"POST /v1/users/me/mfa/totp, then confirm a code")

// errBadCode is a wrong, replayed or unknown second-factor code at the
// second step of a sign-in.
var errBadCode = domain.Errorf(domain.Unauthorized, "the code is not right")

// errBadCredentialsOrCode is every failure of a sign-in that gave its code
// with the password: unknown user, wrong password and wrong code alike.
var errBadCredentialsOrCode = domain.Errorf(domain.Unauthorized, "the username, password or code is wrong")

// errChallenge is an unknown, used or expired sign-in challenge.
var errChallenge = domain.Errorf(domain.Unauthorized, "this sign-in has expired or was already completed; sign in again")

// MFAStatus is what a user's second factor looks like to them.
type MFAStatus struct {
	Enrolled      bool
	Required      bool
	RecoveryCodes int
}

// MFAStatus returns u's second factor's state.
func (a *Accounts) MFAStatus(u domain.User) (MFAStatus, error) {
	st := MFAStatus{Enrolled: u.MFAEnrolled, Required: a.MFARequired(u)}
	if a.mfa == nil || !u.MFAEnrolled {
		return st, nil
	}
	m, err := a.mfa.store.MFA(u.ID.String())
	if err != nil {
		return st, err
	}
	st.RecoveryCodes = m.RecoveryCodes
	return st, nil
}

// MFAEnrolment is a secret awaiting its first code: the base32 secret to
// type, the otpauth:// URL and its QR code as a PNG data URI.
type MFAEnrolment struct {
	Secret    string
	URL       string
	QRCode    string
	ExpiresAt time.Time
}

// StartMFAEnrolment makes a new TOTP secret for u, sealed and pending
// until ConfirmMFAEnrolment gets a correct code. With restart false, a
// secret made within the last PendingTTL is shown again instead, so a page
// reloaded keeps the QR code already scanned. A second factor in use stays
// in use until the new one is confirmed.
func (a *Accounts) StartMFAEnrolment(_ context.Context, u domain.User, restart bool) (MFAEnrolment, error) {
	if a.mfa == nil {
		return MFAEnrolment{}, domain.Errorf(domain.Forbidden, "second factors are not available")
	}
	now := a.svc.Now()
	uid := u.ID.String()
	var secret string
	var since time.Time
	if !restart {
		var err error
		if secret, since, err = a.pendingSecret(u, now); err != nil {
			return MFAEnrolment{}, err
		}
	}
	if secret == "" {
		k, err := auth.NewTOTPKey(a.mfa.cfg.Issuer, u.Username)
		if err != nil {
			return MFAEnrolment{}, err
		}
		sealed, err := a.mfa.box.Seal(uid, k.Secret)
		if err != nil {
			return MFAEnrolment{}, err
		}
		if err := a.mfa.store.PutPendingMFA(uid, sealed, u.MFAResets, now); err != nil {
			return MFAEnrolment{}, err
		}
		secret, since = k.Secret, now
	}
	return a.enrolment(u, secret, since)
}

// PendingMFAEnrolment returns u's enrolment awaiting its first code, as
// StartMFAEnrolment answered it, if one is pending: started since u's
// second factor was last reset, less than PendingTTL ago, and neither
// confirmed nor restarted since. ok is false when none is. It starts
// nothing: it answers a retry of the request that started the enrolment
// with that enrolment's own secret (an Idempotency-Key's replay), which is
// kept sealed in the session store alone, never beside the key.
func (a *Accounts) PendingMFAEnrolment(_ context.Context, u domain.User) (e MFAEnrolment, ok bool, err error) {
	if a.mfa == nil {
		return MFAEnrolment{}, false, domain.Errorf(domain.Forbidden, "second factors are not available")
	}
	secret, since, err := a.pendingSecret(u, a.svc.Now())
	if err != nil || secret == "" {
		return MFAEnrolment{}, false, err
	}
	e, err = a.enrolment(u, secret, since)
	return e, err == nil, err
}

// pendingSecret is u's pending secret and when it was made, if one is
// pending at now; "" if none (or it cannot be opened).
func (a *Accounts) pendingSecret(u domain.User, now time.Time) (string, time.Time, error) {
	uid := u.ID.String()
	m, err := a.mfa.store.MFA(uid)
	if err != nil {
		return "", time.Time{}, err
	}
	if m.Pending != nil && m.PendingEpoch == u.MFAResets && now.Sub(m.PendingAt) < a.mfa.cfg.PendingTTL {
		if s, err := a.mfa.box.Open(uid, m.Pending); err == nil {
			return s, m.PendingAt, nil
		}
	}
	return "", time.Time{}, nil
}

// enrolment is the answer showing u's secret, made at since.
func (a *Accounts) enrolment(u domain.User, secret string, since time.Time) (MFAEnrolment, error) {
	url := totpURL(a.mfa.cfg.Issuer, u.Username, secret)
	qr, err := auth.QRCodeDataURI(url)
	if err != nil {
		return MFAEnrolment{}, err
	}
	return MFAEnrolment{Secret: secret, URL: url, QRCode: qr, ExpiresAt: since.Add(a.mfa.cfg.PendingTTL)}, nil
}

// ConfirmMFAEnrolment completes u's enrolment with the first code of the
// pending secret: the secret comes into use, the enrolment is recorded (an
// event naming the method, never the secret) and RecoveryCodeCount
// recovery codes are returned, to be shown once; only their hashes are
// kept. Errors: Invalid (code wrong), Conflict (no enrolment started, or
// it has expired or been restarted, or the second factor was reset since
// it started).
//
// Replacing a second factor in use needs more than the session (issue
// 17): a session alone, perhaps stolen, must not swap the owner's
// authenticator for another and lock the owner out. When u has a second
// factor (recorded, or a secret in use in the store), proof must hold
// their current password or a current code of that factor (a code from
// the app, or a recovery code, which is spent); its check is an attempt
// the throttle counts beforehand, per account and per client address, as
// at sign-in (R-AUTH-5). Without it: Invalid (current_password, required
// or wrong), TooManyRequests. A first enrolment needs the session alone:
// it is what a user who must have a second factor does right after
// signing in with their password.
//
// A reset racing the confirmation never leaves the user recorded as
// enrolled with no secret kept: the secret carries the count of resets
// recorded when its enrolment began (its epoch), the enrolment is recorded
// only if no reset was recorded since (the append expects the stream's
// revision it decided on), and a reset removes from the store only what
// was made before it. So a reset recorded first voids this secret, whether
// its removal comes before the activation (which then finds nothing
// pending) or after (which removes it); a reset recorded after the
// enrolment removes the secret with it.
func (a *Accounts) ConfirmMFAEnrolment(ctx context.Context, u domain.User, code string, proof Reauthentication) ([]string, error) {
	if a.mfa == nil {
		return nil, domain.Errorf(domain.Forbidden, "second factors are not available")
	}
	if c := auth.NormaliseCode(code); len(c) != auth.TOTPDigits || strings.Trim(c, "0123456789") != "" {
		return nil, domain.InvalidFields(domain.FieldError{Field: "code", Message: "must be the 6-digit code your authenticator app shows"})
	}
	if err := Refused(ctx); err != nil {
		return nil, err // the secret comes into use only with the enrolment recorded
	}
	now := a.svc.Now()
	uid := u.ID.String()
	m, err := a.mfa.store.MFA(uid)
	if err != nil {
		return nil, err
	}
	if u.MFAEnrolled || m.Secret != nil {
		if err := a.reauthenticate(u, proof, now); err != nil {
			return nil, err
		}
	}
	if m.Pending == nil || now.Sub(m.PendingAt) >= a.mfa.cfg.PendingTTL {
		return nil, domain.Errorf(domain.Conflict, "no set-up is waiting for a code, or it has expired: start again")
	}
	if m.PendingEpoch < u.MFAResets {
		return nil, domain.ErrMFAResetMeanwhile
	}
	secret, err := a.mfa.box.Open(uid, m.Pending)
	if err != nil {
		return nil, err
	}
	step, ok := auth.MatchTOTP(secret, code, now)
	if !ok {
		return nil, domain.InvalidFields(domain.FieldError{Field: "code",
			Message: "is not the code your authenticator app shows now; enter the current 6-digit code"})
	}
	codes, err := auth.NewRecoveryCodes()
	if err != nil {
		return nil, err
	}
	hashes := make([][]byte, len(codes))
	for i, c := range codes {
		hashes[i] = auth.RecoveryCodeHash(uid, c)
	}
	activated, err := a.mfa.store.ActivateMFA(uid, m.Pending, step, hashes)
	if err != nil {
		return nil, err
	}
	if !activated {
		return nil, domain.Errorf(domain.Conflict, "the set-up was started again meanwhile: use the newest QR code")
	}
	_, w, err := execute(ctx, a.svc, u.Actor(), OrganisationStream(u.OrganisationID), domain.EvolveOrganisation,
		func(o domain.Organisation) ([]domain.Event, error) {
			return domain.DecideEnrolMFA(o, u.ID, m.PendingEpoch)
		})
	if err != nil {
		return nil, err
	}
	if err := a.users.WaitFor(ctx, w.Position); err != nil {
		return nil, err
	}
	return codes, nil
}

// Reauthentication is what a signed-in user gives to replace their second
// factor (issue 17): their current password, or a current code of the
// second factor in use (a code from the app, or a recovery code), and the
// client address the attempt is counted against (R-AUTH-5).
type Reauthentication struct {
	Password string
	Code     string
	Addr     string
}

// errReauthenticationRequired refuses to replace a second factor on the
// strength of the session alone.
var errReauthenticationRequired = domain.InvalidFields(domain.FieldError{Field: "current_password",
	Message: "is required to replace your second factor: give your password, or a current code from the authenticator app (or a recovery code) as current_code"})

// errBadReauthentication is a wrong password or code given to replace a
// second factor.
var errBadReauthentication = domain.InvalidFields(domain.FieldError{Field: "current_password",
	Message: "is not your current password, or current_code is not a current code of your second factor"})

// reauthenticate checks proof, u's current password or a current code of
// their second factor, counted by the throttle before it is checked, per
// account and per address, as a sign-in (R-AUTH-5): a wrong one counts
// as a failed sign-in, a right one gives its count back.
func (a *Accounts) reauthenticate(u domain.User, proof Reauthentication, now time.Time) error {
	if proof.Password == "" && proof.Code == "" {
		return errReauthenticationRequired
	}
	attempt, refused, err := a.throttle.Reserve(u.Username, proof.Addr, now)
	if err != nil {
		return err
	}
	if refused != nil {
		metrics.SignInThrottled()
		return throttled(refused, errThrottled)
	}
	var ok bool
	if proof.Password != "" {
		ok, err = a.hasher.Verify(u.PasswordHash, proof.Password)
	} else {
		ok, err = a.checkSecondFactor(u, proof.Code, now)
	}
	if err != nil {
		// Not checked: give the attempt back.
		_ = attempt.Release()
		return err
	}
	if !ok {
		_ = attempt.Fail()
		return errBadReauthentication
	}
	_ = attempt.Release()
	return nil
}

// totpURL is the otpauth:// URL of secret for account at issuer.
func totpURL(issuer, account, secret string) string {
	k, err := auth.TOTPKeyURL(issuer, account, secret)
	if err != nil {
		return ""
	}
	return k
}

// checkSecondFactor checks code, a TOTP code or a recovery code, against
// u's second factor, spending it: a TOTP step is accepted once (replay
// refused, on every node), a recovery code once.
func (a *Accounts) checkSecondFactor(u domain.User, code string, now time.Time) (bool, error) {
	uid := u.ID.String()
	if auth.LooksLikeRecoveryCode(code) {
		return a.mfa.store.UseRecoveryCode(uid, auth.RecoveryCodeHash(uid, code))
	}
	m, err := a.mfa.store.MFA(uid)
	if err != nil || m.Secret == nil {
		return false, err
	}
	secret, err := a.mfa.box.Open(uid, m.Secret)
	if err != nil {
		// Sealed under another master key: only a recovery code or a reset helps.
		return false, nil
	}
	step, ok := auth.MatchTOTP(secret, code, now)
	if !ok {
		return false, nil
	}
	return a.mfa.store.UseMFAStep(uid, step)
}

// beginSecondStep answers a right password of a user with a second factor:
// a challenge, not a session.
func (a *Accounts) beginSecondStep(u domain.User, now time.Time) (LoginResult, error) {
	token, expires, err := a.mfa.store.CreateChallenge(u.ID.String(), credentialOf(u), now, a.mfa.cfg.ChallengeTTL)
	if err != nil {
		return LoginResult{}, err
	}
	return LoginResult{User: u, Challenge: token, ChallengeExpiresAt: expires}, nil
}

// CompleteLogin is a sign-in's second step: the challenge the first step
// gave and a code from the user's authenticator app (or a recovery code).
// The attempt is counted by the password throttle before the code is
// checked, per account and per address (R-AUTH-5); a right code opens the
// session and ends the challenge, which is single-use. Errors:
// Unauthorized (challenge unknown, used or expired; code wrong or already
// used), TooManyRequests.
func (a *Accounts) CompleteLogin(ctx context.Context, challenge, code, addr string) (LoginResult, error) {
	if err := Refused(ctx); err != nil {
		return LoginResult{}, err // nothing is counted or consumed (see LoginWithCode)
	}
	if a.mfa == nil {
		return LoginResult{}, errChallenge
	}
	now := a.svc.Now()
	if err := a.catchUp(ctx); err != nil {
		return LoginResult{}, err
	}
	userID, credential, err := a.mfa.store.Challenge(challenge, now)
	if err != nil {
		if domain.ErrorCode(err) == domain.Unauthorized {
			return LoginResult{}, errChallenge
		}
		return LoginResult{}, err
	}
	id, _ := uuid.Parse(userID)
	u, ok := a.users.UserByID(id)
	if !ok || u.Closed || credentialOf(u) != credential || !u.MFAEnrolled {
		_, _ = a.mfa.store.ConsumeChallenge(challenge, now)
		return LoginResult{}, errChallenge
	}
	attempt, refused, err := a.throttle.Reserve(u.Username, addr, now)
	if err != nil {
		return LoginResult{}, err
	}
	if refused != nil {
		return LoginResult{}, throttled(refused, errThrottledCode)
	}
	ok, err = a.checkSecondFactor(u, code, now)
	if err != nil {
		_ = attempt.Release()
		return LoginResult{}, err
	}
	if !ok {
		_ = attempt.Fail()
		return LoginResult{}, errBadCode
	}
	_ = attempt.Release()
	if live, err := a.mfa.store.ConsumeChallenge(challenge, now); err != nil || !live {
		if err != nil {
			return LoginResult{}, err
		}
		return LoginResult{}, errChallenge
	}
	return a.openSession(u, now)
}

// errThrottledCode refuses a code the throttle did not allow checking.
var errThrottledCode = &domain.Error{Code: domain.TooManyRequests, Message: "too many failed attempts; try again later"}

// ResetMFA removes a user's second factor (issue 17): by their org lead,
// or the coordinator (who alone may for an account holding a network
// role). It is recorded as an event (the notifier emails the user), the
// secret and recovery codes are deleted, and the user's sessions end: they
// enrol again at their next sign-in. A reset of a user with no second
// factor records nothing and ends no session. What is deleted is what was made
// before the reset was recorded (an earlier epoch): an enrolment begun
// after it stays, and one begun before it cannot be recorded after it
// (see ConfirmMFAEnrolment). Errors: NotFound, Forbidden.
func (a *Accounts) ResetMFA(ctx context.Context, actor domain.Actor, organisationID, userID uuid.UUID) error {
	o, w, err := execute(ctx, a.svc, actor, OrganisationStream(organisationID), domain.EvolveOrganisation,
		func(o domain.Organisation) ([]domain.Event, error) { return domain.DecideResetMFA(o, actor, userID) })
	if err != nil {
		return err
	}
	if err := a.users.WaitFor(ctx, w.Position); err != nil {
		return err
	}
	if a.mfa != nil {
		if err := a.mfa.store.DeleteMFA(userID.String(), o.Users[userID].MFAResets); err != nil {
			return err
		}
	}
	if w.Events == 0 {
		// Nothing to reset, nothing recorded: the user's sessions go on.
		// Those opened before a reset an earlier attempt recorded are
		// refused all the same, opened with another credential
		// (credentialOf).
		return nil
	}
	return a.sessions.DeleteForUser(userID.String())
}

// ResetMFAByName is ResetMFA by the operator at the data directory
// (`ledger admin reset-mfa`), for the last coordinator who lost their
// authenticator and recovery codes. Errors: NotFound.
func (a *Accounts) ResetMFAByName(ctx context.Context, username string) error {
	if err := a.catchUp(ctx); err != nil {
		return err
	}
	u, ok := a.users.UserByUsername(domain.NormaliseUsername(username))
	if !ok {
		return domain.Errorf(domain.NotFound, "no account is named %q", username)
	}
	return a.ResetMFA(ctx, domain.Actor{}, u.OrganisationID, u.ID)
}

// RequireMFA records whether the organisation requires a second factor of
// all its users: its org lead's decision (or the coordinator's). Errors:
// NotFound, Forbidden.
func (a *Accounts) RequireMFA(ctx context.Context, actor domain.Actor, organisationID uuid.UUID, required bool) (Written, error) {
	_, w, err := execute(ctx, a.svc, actor, OrganisationStream(organisationID), domain.EvolveOrganisation,
		func(o domain.Organisation) ([]domain.Event, error) {
			return domain.DecideRequireMFA(o, actor, required)
		})
	if err != nil {
		return Written{}, err
	}
	return w, a.users.WaitFor(ctx, w.Position)
}
