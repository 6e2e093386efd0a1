package sessiontest

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/session"
)

// testMFA: a pending secret is in use only once activated; a step is
// accepted once and never an earlier one (replay); a recovery code works
// once; deletion removes everything.
func testMFA(t *testing.T, open Factory) {
	s := open(t, session.Config{})
	if m, err := s.MFA("u1"); err != nil || m.Secret != nil || m.Pending != nil {
		t.Fatalf("MFA of a user never enrolled = %+v, %v; want zero", m, err)
	}
	if err := s.PutPendingMFA("u1", []byte("sealed-1"), 0, T0); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.UseMFAStep("u1", 10); err != nil || ok {
		t.Fatalf("UseMFAStep with only a pending secret = %v, %v; want false", ok, err)
	}
	m, err := s.MFA("u1")
	if err != nil || !bytes.Equal(m.Pending, []byte("sealed-1")) || m.Secret != nil || !m.PendingAt.Equal(T0) {
		t.Fatalf("MFA after PutPendingMFA = %+v, %v", m, err)
	}
	if ok, err := s.ActivateMFA("u1", []byte("other"), 10, nil); err != nil || ok {
		t.Fatalf("ActivateMFA of a secret no longer pending = %v, %v; want false", ok, err)
	}
	codes := [][]byte{[]byte("h1"), []byte("h2")}
	if ok, err := s.ActivateMFA("u1", []byte("sealed-1"), 10, codes); err != nil || !ok {
		t.Fatalf("ActivateMFA = %v, %v; want true", ok, err)
	}
	m, err = s.MFA("u1")
	if err != nil || !bytes.Equal(m.Secret, []byte("sealed-1")) || m.Pending != nil || m.LastStep != 10 || m.RecoveryCodes != 2 {
		t.Fatalf("MFA after activation = %+v, %v", m, err)
	}
	for _, tc := range []struct {
		step int64
		want bool
	}{{10, false}, {9, false}, {11, true}, {11, false}, {13, true}, {12, false}} {
		if ok, err := s.UseMFAStep("u1", tc.step); err != nil || ok != tc.want {
			t.Fatalf("UseMFAStep(%d) = %v, %v; want %v", tc.step, ok, err, tc.want)
		}
	}
	if ok, err := s.UseRecoveryCode("u1", []byte("h1")); err != nil || !ok {
		t.Fatalf("first use of a recovery code = %v, %v", ok, err)
	}
	if ok, err := s.UseRecoveryCode("u1", []byte("h1")); err != nil || ok {
		t.Fatalf("second use of a recovery code = %v, %v; want false", ok, err)
	}
	if ok, err := s.UseRecoveryCode("u2", []byte("h2")); err != nil || ok {
		t.Fatalf("another user's recovery code = %v, %v; want false", ok, err)
	}
	// A new enrolment leaves the secret in use until it is activated.
	if err := s.PutPendingMFA("u1", []byte("sealed-2"), 0, T0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.MFA("u1"); !bytes.Equal(m.Secret, []byte("sealed-1")) || m.RecoveryCodes != 1 {
		t.Fatalf("a pending enrolment changed the one in use: %+v", m)
	}
	if err := s.DeleteMFA("u1", 1); err != nil {
		t.Fatal(err)
	}
	if m, err := s.MFA("u1"); err != nil || m.Secret != nil || m.Pending != nil || m.RecoveryCodes != 0 {
		t.Fatalf("MFA after DeleteMFA = %+v, %v; want zero", m, err)
	}
	if ok, err := s.UseRecoveryCode("u1", []byte("h2")); err != nil || ok {
		t.Fatalf("a recovery code after DeleteMFA = %v, %v; want false", ok, err)
	}
}

// testMFAReplayConcurrent: of many callers offering the same step at once,
// exactly one is accepted.
func testMFAReplayConcurrent(t *testing.T, open Factory) {
	s := open(t, session.Config{})
	if err := s.PutPendingMFA("u1", []byte("s"), 0, T0); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.ActivateMFA("u1", []byte("s"), 1, nil); err != nil || !ok {
		t.Fatal(ok, err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted := 0
	for range 8 {
		wg.Go(func() {
			ok, err := s.UseMFAStep("u1", 5)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				accepted++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if accepted != 1 {
		t.Fatalf("%d of 8 concurrent uses of one step accepted; want 1", accepted)
	}
}

// testMFAChallenges: a challenge names its user and credential until it is
// consumed (once) or expires; tokens are never echoed back.
func testMFAChallenges(t *testing.T, open Factory) {
	s := open(t, session.Config{})
	token, expires, err := s.CreateChallenge("u1", "cred-1", T0, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !session.WellFormedToken(token) || !expires.Equal(T0.Add(5*time.Minute)) {
		t.Fatalf("challenge %q expiring %v", token, expires)
	}
	if u, c, err := s.Challenge(token, T0.Add(time.Minute)); err != nil || u != "u1" || c != "cred-1" {
		t.Fatalf("Challenge = %q, %q, %v", u, c, err)
	}
	if _, _, err := s.Challenge(token, T0.Add(5*time.Minute)); domain.ErrorCode(err) != domain.Unauthorized {
		t.Fatalf("an expired challenge: %v; want unauthorized", err)
	}
	if _, _, err := s.Challenge("garbage", T0); domain.ErrorCode(err) != domain.Unauthorized {
		t.Fatalf("a malformed challenge: %v; want unauthorized", err)
	}
	if ok, err := s.ConsumeChallenge(token, T0.Add(time.Minute)); err != nil || !ok {
		t.Fatalf("first ConsumeChallenge = %v, %v", ok, err)
	}
	if ok, err := s.ConsumeChallenge(token, T0.Add(time.Minute)); err != nil || ok {
		t.Fatalf("second ConsumeChallenge = %v, %v; want false", ok, err)
	}
	if _, _, err := s.Challenge(token, T0.Add(time.Minute)); domain.ErrorCode(err) != domain.Unauthorized {
		t.Fatalf("a consumed challenge: %v; want unauthorized", err)
	}
	other, _, err := s.CreateChallenge("u2", "cred-2", T0, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Purge(T0.Add(2 * time.Minute)); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.ConsumeChallenge(other, T0); err != nil || ok {
		t.Fatalf("a purged challenge consumed: %v, %v", ok, err)
	}
}

// testMFAResetEpochs: a reset removes only what was made under an earlier
// epoch, a secret keeps its pending one's epoch when activated, and what
// an older store kept counts as made before any reset.
func testMFAResetEpochs(t *testing.T, open Factory) {
	s := open(t, session.Config{})
	// In use under epoch 1, a new one pending under epoch 2.
	if err := s.PutPendingMFA("u1", []byte("sealed-1"), 1, T0); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.ActivateMFA("u1", []byte("sealed-1"), 10, [][]byte{[]byte("h1")}); err != nil || !ok {
		t.Fatalf("ActivateMFA = %v, %v; want true", ok, err)
	}
	if err := s.PutPendingMFA("u1", []byte("sealed-2"), 2, T0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	m, err := s.MFA("u1")
	if err != nil || m.SecretEpoch != 1 || m.PendingEpoch != 2 {
		t.Fatalf("MFA = %+v, %v; want the secret under epoch 1, the pending one under 2", m, err)
	}
	token, _, err := s.CreateChallenge("u1", "c", T0, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	// Nothing made before epoch 1: nothing goes.
	if err := s.DeleteMFA("u1", 1); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.MFA("u1"); m.Secret == nil || m.Pending == nil || m.RecoveryCodes != 1 {
		t.Fatalf("DeleteMFA before epoch 1 removed something: %+v", m)
	}
	// Before epoch 2: the secret in use goes with its codes and sign-ins;
	// the pending one stays.
	if err := s.DeleteMFA("u1", 2); err != nil {
		t.Fatal(err)
	}
	m, err = s.MFA("u1")
	if err != nil || m.Secret != nil || m.RecoveryCodes != 0 || !bytes.Equal(m.Pending, []byte("sealed-2")) || m.PendingEpoch != 2 {
		t.Fatalf("MFA after DeleteMFA before epoch 2 = %+v, %v; want only the pending secret", m, err)
	}
	if ok, err := s.UseMFAStep("u1", 11); err != nil || ok {
		t.Fatalf("UseMFAStep after the secret went = %v, %v; want false", ok, err)
	}
	if _, _, err := s.Challenge(token, T0); err == nil {
		t.Fatal("a sign-in challenge outlived the secret it was for")
	}
	if ok, err := s.ActivateMFA("u1", []byte("sealed-2"), 20, nil); err != nil || !ok {
		t.Fatalf("ActivateMFA of the pending secret = %v, %v; want true", ok, err)
	}
	if m, _ := s.MFA("u1"); m.SecretEpoch != 2 || m.Pending != nil {
		t.Fatalf("MFA after activation = %+v; want the secret under epoch 2", m)
	}
	// A pending one made before epoch 3 goes, the secret in use too.
	if err := s.PutPendingMFA("u1", []byte("sealed-3"), 2, T0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteMFA("u1", 3); err != nil {
		t.Fatal(err)
	}
	if m, err := s.MFA("u1"); err != nil || m.Secret != nil || m.Pending != nil {
		t.Fatalf("MFA after DeleteMFA before epoch 3 = %+v, %v; want zero", m, err)
	}
	if ok, err := s.ActivateMFA("u1", []byte("sealed-3"), 30, nil); err != nil || ok {
		t.Fatalf("ActivateMFA of a pending secret removed = %v, %v; want false", ok, err)
	}
	// A pending secret of a later epoch, with none in use, stays.
	if err := s.PutPendingMFA("u2", []byte("sealed-u2"), 4, T0); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteMFA("u2", 4); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.MFA("u2"); !bytes.Equal(m.Pending, []byte("sealed-u2")) {
		t.Fatalf("DeleteMFA removed a pending secret of its own epoch: %+v", m)
	}
	if err := s.DeleteMFA("nobody", 1); err != nil {
		t.Fatalf("DeleteMFA of a user with no second factor: %v", err)
	}
}
