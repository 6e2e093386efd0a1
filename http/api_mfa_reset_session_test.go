package http

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

// sessionsOpening is the node's sessions with a hook run once as a
// session is about to be opened for a user: what another request does
// while a sign-in is being completed.
type sessionsOpening struct {
	ledger.Sessions
	mu     sync.Mutex
	userID string
	hook   func()
}

func (s *sessionsOpening) Create(userID, organisationID, credential string, now time.Time) (string, time.Time, error) {
	s.mu.Lock()
	hook := s.hook
	if userID != s.userID {
		hook = nil
	} else {
		s.hook = nil
	}
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	return s.Sessions.Create(userID, organisationID, credential, now)
}

// arm runs hook before the next session opened for userID.
func (s *sessionsOpening) arm(userID string, hook func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.userID, s.hook = userID, hook
}

// TestMFAResetEndsSessionOpenedMeanwhile_Issue17 proves that a reset
// of a user's second factor (their authenticator lost or in the wrong
// hands) ends every session of theirs, including one a sign-in with the
// old second factor opened while the reset was being made: the code was
// checked before the reset removed the secret, and the session was
// stored after the reset ended the user's sessions. As a session opened
// while a password change was made (R-AUTH-6), it is refused at its first
// request, on any node.
func TestMFAResetEndsSessionOpenedMeanwhile_Issue17(t *testing.T) {
	var opening *sessionsOpening
	a := newTestAPI(t, withFaults(nil, func(s ledger.Sessions) ledger.Sessions {
		opening = &sessionsOpening{Sessions: s}
		return opening
	}))
	org := a.registerOrg(t, "Alpha Advice")
	lead := a.addUser(t, org, "lead.a", domain.RoleOrgLead)
	u := a.addUser(t, org, "adviser.a", domain.RoleAdviser)
	secret, _ := a.enrolTOTP(t, u.Token)
	a.nextStep()

	// The sign-in's code is right; as its session is being stored, the
	// lead resets the second factor.
	opening.arm(u.ID, func() {
		want(t, a.do(t, http.MethodDelete, "/v1/organisations/"+org+"/users/"+u.ID+"/mfa", lead.Token, nil),
			http.StatusNoContent)
	})
	r := a.signInSecondStep(t, u.Username, u.Password, a.totpNow(t, secret))
	if r.Status == http.StatusCreated {
		a.do(t, http.MethodGet, "/v1/directory", r.str("token"), nil).problem(t, http.StatusUnauthorized)
	} else {
		r.problem(t, http.StatusUnauthorized)
	}
	// The user signs in again with their password alone, as after any reset.
	want(t, a.do(t, http.MethodGet, "/v1/directory", a.signIn(t, u.Username, u.Password), nil), http.StatusOK)
}
