package session

import (
	"context"
	"time"
)

// MFA is a user's second factor (issue 17) as a store keeps it. Secrets
// arrive sealed (encrypted by the caller) and are kept as given; recovery
// codes are kept only as hashes.
type MFA struct {
	// Secret is the sealed TOTP secret in use; nil if none.
	Secret []byte
	// SecretEpoch is the epoch its enrolment began under (see Pending).
	SecretEpoch int64
	// LastStep is the last TOTP time step accepted, so no code is
	// accepted twice (replay).
	LastStep int64
	// Pending is a sealed secret awaiting its first correct code, which
	// makes it the one in use; nil if none.
	Pending []byte
	// PendingAt is when Pending was set.
	PendingAt time.Time
	// PendingEpoch is the epoch Pending was made under: how many resets
	// of the user's second factor the log had recorded, as its caller
	// knew. A reset removes only what was made under an earlier epoch
	// (DeleteMFA), so a secret made after it, once the reset is recorded,
	// stays.
	PendingEpoch int64
	// RecoveryCodes is how many single-use recovery codes are left.
	RecoveryCodes int
}

// MFAStore keeps second factors and the sign-in challenges awaiting one, in
// the store every node shares, so a code accepted on one node is refused
// as a replay on all of them (issue 17).
type MFAStore interface {
	// MFA returns userID's second factor; the zero MFA if none.
	MFA(userID string) (MFA, error)
	// PutPendingMFA starts an enrolment under epoch: sealed waits for a
	// correct code, replacing any earlier pending one. The secret in use,
	// if any, stays.
	PutPendingMFA(userID string, sealed []byte, epoch int64, now time.Time) error
	// ActivateMFA makes the pending secret the one in use, if it is still
	// pending (an enrolment restarted since, or a reset, gets false), with
	// its epoch, step as its last accepted step and recoveryHashes as its
	// only recovery codes. It is atomic across nodes.
	ActivateMFA(userID string, pending []byte, step int64, recoveryHashes [][]byte) (bool, error)
	// UseMFAStep records step as accepted for the secret in use, if it is
	// later than the last accepted one; false if it is not (a replay) or
	// there is no secret in use. It is atomic across nodes.
	UseMFAStep(userID string, step int64) (bool, error)
	// UseRecoveryCode removes the recovery code of hash; false if there is
	// none such (never issued, or used already). It is atomic across nodes.
	UseRecoveryCode(userID string, hash []byte) (bool, error)
	// DeleteMFA removes what of userID's second factor was made under an
	// epoch before before: the secret in use with its recovery codes and
	// sign-in challenges, the pending one; each made under before or later
	// stays. It is atomic across nodes: an activation is wholly before or
	// wholly after it.
	DeleteMFA(userID string, before int64) error
	// CreateChallenge records a sign-in awaiting its second factor: the
	// user has given the right password (credential names it, as for
	// sessions). It returns the challenge token, kept only hashed, which
	// expires at now+ttl.
	CreateChallenge(userID, credential string, now time.Time, ttl time.Duration) (token string, expiresAt time.Time, err error)
	// Challenge returns the user and credential of a live challenge; it
	// fails with ErrInvalid for an unknown, used or expired one.
	Challenge(token string, now time.Time) (userID, credential string, err error)
	// ConsumeChallenge ends a challenge, reporting whether it was live:
	// only one caller, on any node, ever gets true.
	ConsumeChallenge(token string, now time.Time) (bool, error)
}

// ResealFunc returns sealed, a secret userID's second factor keeps sealed,
// sealed anew; nil to keep it as it is.
type ResealFunc func(userID string, sealed []byte) ([]byte, error)

// MFAResealer is a store whose sealed secrets can be sealed anew, as a
// master-key rotation must (issue 17).
type MFAResealer interface {
	// ResealMFA passes every sealed secret it keeps, in use or pending, to
	// reseal and stores what it returns, in one transaction: if reseal or
	// the store fails, nothing is changed. It returns how many secrets it
	// replaced.
	ResealMFA(ctx context.Context, reseal ResealFunc) (int, error)
}
