package http

import (
	"net/http"
	"sync"
	"testing"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/session"
)

// orderedMFAStore is the second factors' store with a step run once, for
// one user, right after their pending secret is activated or right before
// their second factor is deleted: what a concurrent request does between
// the two steps of another.
type orderedMFAStore struct {
	session.MFAStore
	mu            sync.Mutex
	userID        string
	afterActivate func()
	beforeDelete  func()
}

func (s *orderedMFAStore) take(hook *func(), userID string) func() {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := *hook
	if userID != s.userID || f == nil {
		return func() {}
	}
	*hook = nil
	return f
}

func (s *orderedMFAStore) ActivateMFA(userID string, pending []byte, step int64, recoveryHashes [][]byte) (bool, error) {
	ok, err := s.MFAStore.ActivateMFA(userID, pending, step, recoveryHashes)
	if ok && err == nil {
		s.take(&s.afterActivate, userID)()
	}
	return ok, err
}

func (s *orderedMFAStore) DeleteMFA(userID string, before int64) error {
	s.take(&s.beforeDelete, userID)()
	return s.MFAStore.DeleteMFA(userID, before)
}

// TestMFAConfirmRacingResetLeavesNoEnrolmentWithoutSecret_Issue17: a user
// confirming a new authenticator while their org lead resets their second
// factor never ends up recorded as enrolled with no secret kept (and so
// unable to sign in until another reset). A reset recorded before the
// enrolment voids the secret being confirmed, whichever of the two reaches
// the secrets' store first: the confirmation is refused (409, or 401 once
// the reset is recorded, which ends the user's sessions) and the user
// signs in with their password alone; a reset that found nothing to reset
// leaves the enrolment that completes after it whole.
func TestMFAConfirmRacingResetLeavesNoEnrolmentWithoutSecret_Issue17(t *testing.T) {
	for _, tc := range []struct {
		name string
		// enrolled: the user has a second factor before confirming a new one.
		enrolled bool
		// resetBetween: the reset runs between the confirmation's
		// activation of the secret and its recording of the enrolment;
		// otherwise the confirmation runs between the reset's recording
		// and its deletion of the secrets.
		resetBetween bool
		wantConfirm  int
		wantEnrolled bool
	}{
		{"reset between activation and enrolment", true, true, http.StatusConflict, false},
		// The reset, once recorded, has ended the user's sessions (issue
		// 17), before it deletes them from the store: the confirmation's
		// session is refused.
		{"confirmation between reset and deletion", true, false, http.StatusUnauthorized, false},
		{"reset of no second factor between activation and enrolment", false, true, http.StatusOK, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := &orderedMFAStore{}
			a := newTestAPI(t, withMFAStore(func(s session.MFAStore) session.MFAStore {
				store.MFAStore = s
				return store
			}))
			org := a.registerOrg(t, "Alpha Advice")
			lead := a.addUser(t, org, "lead.a", domain.RoleOrgLead)
			u := a.addUser(t, org, "adviser.a", domain.RoleAdviser)
			if tc.enrolled {
				a.enrolTOTP(t, u.Token)
				a.nextStep()
			}
			r := want(t, a.do(t, http.MethodPost, "/v1/users/me/mfa/totp", u.Token, map[string]any{}), http.StatusCreated)
			secret := r.str("secret")
			code := a.totpNow(t, secret)

			reset := func() {
				want(t, a.do(t, http.MethodDelete, "/v1/organisations/"+org+"/users/"+u.ID+"/mfa", lead.Token, nil),
					http.StatusNoContent)
			}
			var confirm *response
			confirmNow := func() {
				// Replacing a second factor in use asks for the password.
				confirm = a.do(t, http.MethodPost, "/v1/users/me/mfa/totp/confirmation", u.Token,
					map[string]string{"code": code, "current_password": u.Password})
			}
			store.mu.Lock()
			store.userID = u.ID
			if tc.resetBetween {
				store.afterActivate = reset
			} else {
				store.beforeDelete = confirmNow
			}
			store.mu.Unlock()
			if tc.resetBetween {
				confirmNow()
			} else {
				reset()
			}
			if confirm == nil {
				t.Fatal("the confirmation did not run")
			}
			if confirm.Status != tc.wantConfirm {
				t.Fatalf("confirmation: status %d, want %d; body %s", confirm.Status, tc.wantConfirm, confirm.Body)
			}
			if tc.wantConfirm != http.StatusOK {
				confirm.problem(t, tc.wantConfirm)
			}

			// What is recorded and what is kept agree: an enrolled user
			// signs in with the secret confirmed, one not enrolled with
			// their password alone.
			a.nextStep()
			signIn := a.do(t, http.MethodPost, "/v1/sessions", "", map[string]string{"username": u.Username, "password": u.Password})
			if !tc.wantEnrolled {
				r := want(t, signIn, http.StatusCreated)
				if r.str("token") == "" {
					t.Fatalf("sign-in after the reset: %s", r.Body)
				}
				return
			}
			want(t, signIn, http.StatusOK)
			want(t, a.signInSecondStep(t, u.Username, u.Password, a.totpNow(t, secret)), http.StatusCreated)
		})
	}
}
