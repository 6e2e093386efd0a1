package ledger

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/auth"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/metrics"
)

// PasswordPolicy checks new passwords (R-AUTH-2). context lists what else
// the password must not be built on: the user's display name and their
// organisation's name.
type PasswordPolicy interface {
	Check(username, password string, context ...string) error
	ChangeDue(changedAt, now time.Time) bool
}

// PasswordHasher makes and checks slow salted hashes (R-AUTH-3). DummyVerify
// costs what Verify costs, for users that do not exist. Each may fail with
// Unavailable (and a RetryAfter) when too many hashes are being computed at
// once (R-AUTH-5).
type PasswordHasher interface {
	Hash(password string) (string, error)
	Verify(encoded, password string) (bool, error)
	DummyVerify(password string) error
	// NeedsRehash reports whether encoded was made under weaker
	// parameters than Hash uses now, to be replaced at the next sign-in.
	NeedsRehash(encoded string) bool
}

// Throttle limits password attempts per account and per client address
// (R-AUTH-3, R-AUTH-5). Reserve counts an attempt before the password is
// checked, or refuses it (how long to wait, and whether failures locked
// the account or address or attempts still being checked fill the
// limit); the attempt is then settled: Fail for a wrong password, Release
// when the password proves right or is never checked. Only failures lock
// anything.
type Throttle interface {
	Reserve(username, addr string, now time.Time) (auth.Attempt, *auth.Refusal, error)
}

// Sessions keeps session tokens (stored hashed) with idle and absolute
// expiry. A session records the credential it was opened with (see
// credentialOf). Lookup fails with Unauthorized for unknown or expired
// tokens.
type Sessions interface {
	Create(userID, organisationID, credential string, now time.Time) (token string, expiresAt time.Time, err error)
	Lookup(token string, now time.Time) (userID, credential string, err error)
	// Peek is Lookup without recording a use, and tells when the session
	// ends unless used before then.
	Peek(token string, now time.Time) (userID, credential string, endsAt time.Time, err error)
	Delete(token string) error
	DeleteForUser(userID string) error
	// KeepOnly ends every session of userID but the one of token, which
	// now holds credential (a user's own password change, R-AUTH-6).
	KeepOnly(token, userID, credential string) error
	// LastSignIns returns when each of userIDs last signed in; a user
	// never signed in is absent.
	LastSignIns(userIDs []string) (map[string]time.Time, error)
}

// UserIndex finds accounts, as a projection of the organisation streams.
// WaitFor blocks until the index has applied every event up to pos.
type UserIndex interface {
	UserByID(id uuid.UUID) (domain.User, bool)
	UserByUsername(username string) (domain.User, bool)
	WaitFor(ctx context.Context, pos eventstore.Position) error
}

// Accounts signs users in and out and answers who a token belongs to.
type Accounts struct {
	svc      *Service
	users    UserIndex
	policy   PasswordPolicy
	hasher   PasswordHasher
	throttle Throttle
	sessions Sessions
	// mfa is nil until SetSecondFactor turns second factors on.
	mfa      *secondFactor
	policies OrganisationPolicies
}

// NewAccounts wires the account operations.
func NewAccounts(svc *Service, users UserIndex, policy PasswordPolicy, hasher PasswordHasher, throttle Throttle, sessions Sessions) *Accounts {
	return &Accounts{svc: svc, users: users, policy: policy, hasher: hasher, throttle: throttle, sessions: sessions}
}

// LoginResult is a new session, or, for a user with a second factor, the
// challenge of the sign-in's second step (Challenge set, no Token).
type LoginResult struct {
	Token             string
	ExpiresAt         time.Time
	User              domain.User
	PasswordChangeDue bool
	// MFAEnrolmentDue: the user must enrol a second factor before doing
	// anything else (issue 17).
	MFAEnrolmentDue bool

	// Challenge is the single-use token of the second step, which expires
	// at ChallengeExpiresAt.
	Challenge          string
	ChallengeExpiresAt time.Time
}

var errBadCredentials = &domain.Error{Code: domain.Unauthorized, Message: "the username or password is wrong"}

// errThrottled is the refusal of an attempt the throttle did not allow
// because of failed attempts. It names neither the account nor the
// address, so it reads the same whether or not the username exists.
var errThrottled = &domain.Error{Code: domain.TooManyRequests, Message: "too many failed password attempts; try again later"}

// errThrottledInFlight is the refusal of an attempt the throttle did not
// allow only because as many attempts as the limit are being checked at
// this moment: nothing is locked, and a retry in a moment may pass.
var errThrottledInFlight = &domain.Error{Code: domain.TooManyRequests,
	Message: "too many sign-in attempts are being checked at this moment; try again in a moment"}

// ThrottledInFlight reports whether err refuses an attempt only because
// as many attempts as the limit are being checked at this moment: no
// attempt failed, nothing is locked, and a retry in a moment may pass.
func ThrottledInFlight(err error) bool { return errors.Is(err, errThrottledInFlight) }

// throttled is the error for an attempt the throttle refused: locked
// (failures) or inFlight, with Retry-After.
func throttled(r *auth.Refusal, locked error) error {
	if r.InFlight {
		return &RetryError{Err: errThrottledInFlight, After: r.RetryAfter}
	}
	return &RetryError{Err: locked, After: r.RetryAfter}
}

// Login checks a username and password and opens a session. The attempt is
// counted before the password is checked, so no burst of guesses, however
// concurrent, gets more checked than the throttle allows; a right password
// inside a throttled burst is refused too (R-AUTH-5), but only wrong
// passwords lock an account or address out (R-AUTH-3): a right one gives
// its count back. An unknown user, a
// closed account and a wrong password are counted alike and get the same
// error after the same amount of work, so neither the answer nor its timing
// tells whether a username exists (R-AUTH-3). Errors: Unauthorized,
// TooManyRequests, Unavailable (too many passwords being checked at once).
func (a *Accounts) Login(ctx context.Context, username, password, addr string) (LoginResult, error) {
	return a.LoginWithCode(ctx, username, password, "", addr)
}

// LoginWithCode is Login. For a user with a second factor (issue 17), a
// right password without code gives a challenge (LoginResult.Challenge),
// to complete with CompleteLogin; with code, the code is checked in the
// same attempt, and an unknown user, a wrong password and a wrong code get
// one and the same error.
func (a *Accounts) LoginWithCode(ctx context.Context, username, password, code, addr string) (LoginResult, error) {
	if err := Refused(ctx); err != nil {
		// Nothing is counted or opened for a body with fields at fault.
		return LoginResult{}, err
	}
	now := a.svc.Now()
	bad := errBadCredentials
	if code != "" {
		bad = errBadCredentialsOrCode
	}
	name := domain.NormaliseUsername(username)
	attempt, refused, err := a.throttle.Reserve(name, addr, now)
	if err != nil {
		return LoginResult{}, err
	}
	if refused != nil {
		metrics.SignInThrottled()
		return LoginResult{}, throttled(refused, errThrottled)
	}
	if err := a.catchUp(ctx); err != nil {
		_ = attempt.Release()
		return LoginResult{}, err
	}
	u, found := a.users.UserByUsername(name)
	ok := false
	if found && !u.Closed {
		ok, err = a.hasher.Verify(u.PasswordHash, password)
	} else {
		err = a.hasher.DummyVerify(password)
	}
	if err != nil {
		// The password was not checked: give the attempt back.
		_ = attempt.Release()
		return LoginResult{}, err
	}
	if !ok {
		_ = attempt.Fail()
		return LoginResult{}, bad
	}
	a.rehash(ctx, u, password)
	if a.mfa != nil && u.MFAEnrolled {
		if code == "" {
			_ = attempt.Release()
			return a.beginSecondStep(u, now)
		}
		ok, err := a.checkSecondFactor(u, code, now)
		if err != nil {
			_ = attempt.Release()
			return LoginResult{}, err
		}
		if !ok {
			_ = attempt.Fail()
			return LoginResult{}, bad
		}
	}
	_ = attempt.Release()
	return a.openSession(u, now)
}

// openSession starts a session for u, whose password (and second factor,
// if any) proved right.
func (a *Accounts) openSession(u domain.User, now time.Time) (LoginResult, error) {
	token, expires, err := a.sessions.Create(u.ID.String(), u.OrganisationID.String(), credentialOf(u), now)
	if err != nil {
		return LoginResult{}, err
	}
	return LoginResult{Token: token, ExpiresAt: expires, User: u,
		PasswordChangeDue: u.PasswordChangeRequired || a.policy.ChangeDue(u.PasswordChangedAt, now),
		MFAEnrolmentDue:   a.MFAEnrolmentDue(u)}, nil
}

// credentialOf identifies u's current password and second factor: the
// SHA-256 of the hash the password was set with, a fresh salt each time,
// so every password change (or reset) gives a new one (a rehash of the
// same password under stronger parameters does not: PasswordSet), and of how many times u's
// second factor was reset, so every reset does too (issue 17). A session
// records it when opened and AuthenticateRequest compares it on every
// request, so a session opened with an old password, or with a second
// factor since reset, ends even if it was opened while the change or the
// reset was being made (R-AUTH-6). Before any reset it is the password's
// alone, as it was before resets counted.
func credentialOf(u domain.User) string {
	material := u.PasswordSet()
	if u.MFAResets > 0 {
		material += "\x00mfa-resets:" + strconv.FormatInt(u.MFAResets, 10)
	}
	sum := sha256.Sum256([]byte(material))
	return hex.EncodeToString(sum[:16])
}

// AuthenticateRequest returns the open account a session token belongs
// to, and ctx carrying the store's head it caught up with (WithHead), for
// the request's reads. It first catches the user index up with the store,
// so an account closed or a password changed a moment ago on any node is
// refused on the very next request (R-ORG-3, R-AUTH-6): a session opened
// with another password than the account's current one ends. Errors:
// Unauthorized.
func (a *Accounts) AuthenticateRequest(ctx context.Context, token string) (domain.User, context.Context, error) {
	u, head, err := a.authenticate(ctx, token)
	if err != nil {
		return u, ctx, err
	}
	return u, WithHead(ctx, head), nil
}

func (a *Accounts) authenticate(ctx context.Context, token string) (domain.User, eventstore.Position, error) {
	userID, credential, err := a.sessions.Lookup(token, a.svc.Now())
	if err != nil {
		return domain.User{}, 0, err
	}
	return a.sessionUser(ctx, token, userID, credential)
}

// SessionEnds returns when the session of token ends unless it is used
// before then, without counting as a use: asking does not keep an idle
// session alive. The session is checked as AuthenticateRequest checks it
// (an account closed or a password changed ends it). Errors: Unauthorized.
func (a *Accounts) SessionEnds(ctx context.Context, token string) (time.Time, error) {
	userID, credential, ends, err := a.sessions.Peek(token, a.svc.Now())
	if err != nil {
		return time.Time{}, err
	}
	if _, _, err := a.sessionUser(ctx, token, userID, credential); err != nil {
		return time.Time{}, err
	}
	return ends, nil
}

// SessionUser returns the open account of the session of token without
// counting as a use, as SessionEnds asks: a page that is the same for
// everyone (an address nothing serves) says whose it is without keeping
// an idle session alive. Errors: Unauthorized.
func (a *Accounts) SessionUser(ctx context.Context, token string) (domain.User, error) {
	userID, credential, _, err := a.sessions.Peek(token, a.svc.Now())
	if err != nil {
		return domain.User{}, err
	}
	u, _, err := a.sessionUser(ctx, token, userID, credential)
	return u, err
}

// sessionUser is the open account of the session of token, held by
// userID and opened with credential, once the user index has caught up
// with the store's head, which it returns.
func (a *Accounts) sessionUser(ctx context.Context, token, userID, credential string) (domain.User, eventstore.Position, error) {
	head, err := a.catchUpHead(ctx)
	if err != nil {
		return domain.User{}, 0, err
	}
	id, err := uuid.Parse(userID)
	if err != nil {
		return domain.User{}, 0, domain.Errorf(domain.Unauthorized, "invalid or expired session")
	}
	u, ok := a.users.UserByID(id)
	if !ok || u.Closed {
		_ = a.sessions.DeleteForUser(userID)
		return domain.User{}, 0, domain.Errorf(domain.Unauthorized, "invalid or expired session")
	}
	if credential != credentialOf(u) {
		_ = a.sessions.Delete(token)
		return domain.User{}, 0, domain.Errorf(domain.Unauthorized, "invalid or expired session")
	}
	return u, head, nil
}

// Logout ends the session of token.
func (a *Accounts) Logout(token string) error { return a.sessions.Delete(token) }

// Policy is the password policy new passwords must meet (R-AUTH-2), for
// the forms that explain it before the user types.
func (a *Accounts) Policy() PasswordPolicy { return a.policy }

// PasswordChangeDue reports whether u should be prompted to change password:
// someone else set it (R-AUTH-6) or it is older than the policy allows.
func (a *Accounts) PasswordChangeDue(u domain.User) bool {
	return u.PasswordChangeRequired || a.policy.ChangeDue(u.PasswordChangedAt, a.svc.Now())
}

// ChangePassword replaces the signed-in user's password after checking the
// current one and the policy. The session of token, which made the change,
// goes on under the new password; every other session of the user ends,
// including any opened with the old password while the change was being
// made (R-AUTH-6); token "" keeps none. Checking the current password is an attempt the throttle
// counts beforehand, per account and per client address addr, as at
// sign-in (R-AUTH-5). Errors: Invalid (current password wrong, or the new
// one breaks the policy or equals the current one), Forbidden (closed
// account), Unauthorized (the password was set anew while the change was
// being made), TooManyRequests, Unavailable (too many passwords being checked
// at once).
func (a *Accounts) ChangePassword(ctx context.Context, u domain.User, token, current, next, addr string) error {
	if err := Refused(ctx); err != nil {
		// Nothing is counted or checked for a body with fields at fault,
		// as at sign-in (LoginWithCode).
		return err
	}
	attempt, refused, err := a.throttle.Reserve(u.Username, addr, a.svc.Now())
	if err != nil {
		return err
	}
	if refused != nil {
		metrics.SignInThrottled()
		return throttled(refused, errThrottled)
	}
	ok, err := a.hasher.Verify(u.PasswordHash, current)
	if err != nil {
		_ = attempt.Release()
		return err
	}
	if !ok {
		_ = attempt.Fail()
		return domain.InvalidFields(domain.FieldError{Field: "current_password", Message: "is not your current password"})
	}
	_ = attempt.Release()
	// Compared as hashed (auth.SamePassword): a look-alike of the current
	// password, e.g. typed in full-width characters, is the same password.
	if auth.SamePassword(current, next) {
		return domain.InvalidFields(domain.FieldError{Field: "new_password", Message: "must differ from the current password"})
	}
	var orgName string
	if o, err := a.svc.Organisation(ctx, u.OrganisationID); err == nil {
		orgName = o.Name
	}
	if err := a.policy.Check(u.Username, next, u.DisplayName, orgName); err != nil {
		return withField(err, "new_password")
	}
	hash, err := a.hasher.Hash(next)
	if err != nil {
		return err
	}
	_, w, err := execute(ctx, a.svc, u.Actor(), OrganisationStream(u.OrganisationID), domain.EvolveOrganisation,
		func(o domain.Organisation) ([]domain.Event, error) {
			// The password checked must still be the account's: one set
			// meanwhile by its lead or the coordinator (a reset to shut
			// someone out) ended this session and stands (R-AUTH-6).
			if cur, ok := o.Users[u.ID]; ok && cur.PasswordSet() != u.PasswordSet() {
				return nil, errPasswordChangedMeanwhile
			}
			return domain.DecideChangePassword(o, u.ID, hash)
		})
	if err != nil {
		return err
	}
	if err := a.users.WaitFor(ctx, w.Position); err != nil {
		return err
	}
	if token == "" {
		return a.sessions.DeleteForUser(u.ID.String())
	}
	// The credential of this change's own hash: if the password changed
	// again since (set by a lead, say), the session kept ends all the same.
	// Likewise a reset of the second factor since the session was opened.
	return a.sessions.KeepOnly(token, u.ID.String(), credentialOf(domain.User{PasswordHash: hash, MFAResets: u.MFAResets}))
}

// rehash stores a new hash of password, which has just proved right for
// u, when u's hash was made under weaker argon2id parameters than those in
// use now (R-AUTH-3): recorded as OrganisationPasswordRehashed, which is
// no password change, so the password's age (R-AUTH-2) and u's sessions
// stay as they were. It is best effort: a failure (too many hashes being
// computed, the store) leaves the old hash, which still verifies, for the
// next sign-in to try again, and never fails the sign-in.
func (a *Accounts) rehash(ctx context.Context, u domain.User, password string) {
	if !a.hasher.NeedsRehash(u.PasswordHash) {
		return
	}
	hash, err := a.hasher.Hash(password)
	if err != nil {
		return
	}
	_, w, err := execute(ctx, a.svc, u.Actor(), OrganisationStream(u.OrganisationID), domain.EvolveOrganisation,
		func(o domain.Organisation) ([]domain.Event, error) {
			return domain.DecideRehashPassword(o, u.ID, u.PasswordHash, hash)
		})
	if err == nil && w.Events > 0 {
		_ = a.users.WaitFor(ctx, w.Position)
	}
}

// errPasswordChangedMeanwhile refuses a password change whose current
// password was replaced while it was being made: the session that asked
// was opened with the old one and has ended, as the next request would
// find.
var errPasswordChangedMeanwhile = domain.Errorf(domain.Unauthorized, "invalid or expired session")

// catchUp waits until the user index has applied everything in the store.
func (a *Accounts) catchUp(ctx context.Context) error {
	_, err := a.catchUpHead(ctx)
	return err
}

// catchUpHead is catchUp, returning the head caught up with. The head is
// read after the call began, in a read shared with the calls made
// meanwhile (headReads).
func (a *Accounts) catchUpHead(ctx context.Context) (eventstore.Position, error) {
	head, err := a.svc.heads.head(ctx)
	if err != nil {
		return 0, storeError(err)
	}
	return head, a.users.WaitFor(ctx, head)
}

// withField renames the field of a single-field Invalid error.
func withField(err error, field string) error {
	fields := domain.ErrorFields(err)
	if domain.ErrorCode(err) != domain.Invalid || len(fields) == 0 {
		return err
	}
	out := make([]domain.FieldError, len(fields))
	for i, f := range fields {
		out[i] = domain.FieldError{Field: field, Message: f.Message}
	}
	return domain.InvalidFields(out...)
}

// RetryError is an error the caller may retry after RetryAfter.
type RetryError struct {
	Err   error
	After time.Duration
}

// RetryAfter says how long to wait before retrying.
func (e *RetryError) RetryAfter() time.Duration { return e.After }

func (e *RetryError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error, so its domain code shows through.
func (e *RetryError) Unwrap() error { return e.Err }
