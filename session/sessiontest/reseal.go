package sessiontest

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/referral-ledger/ledger/session"
)

// testResealMFA (issue 17, master-key rotation): ResealMFA hands over every
// sealed secret, in use or pending, and stores what comes back, leaving the
// last step and the recovery codes alone; a failure part way changes
// nothing.
func testResealMFA(t *testing.T, open Factory) {
	s := open(t, session.Config{})
	r, ok := s.(session.MFAResealer)
	if !ok {
		t.Fatalf("%T does not reseal second factors", s)
	}
	// u1: a secret in use and a new one pending; u2: in use; u3: pending.
	for _, u := range []string{"u1", "u2"} {
		if err := s.PutPendingMFA(u, []byte("old-"+u), 0, T0); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.ActivateMFA(u, []byte("old-"+u), 7, [][]byte{[]byte("h-" + u)}); err != nil || !ok {
			t.Fatalf("ActivateMFA(%s) = %v, %v", u, ok, err)
		}
	}
	for _, u := range []string{"u1", "u3"} {
		if err := s.PutPendingMFA(u, []byte("old-pending-"+u), 0, T0); err != nil {
			t.Fatal(err)
		}
	}
	before := map[string]session.MFA{}
	for _, u := range []string{"u1", "u2", "u3"} {
		m, err := s.MFA(u)
		if err != nil {
			t.Fatal(err)
		}
		before[u] = m
	}

	broken := errors.New("cannot open")
	seen := 0
	if _, err := r.ResealMFA(context.Background(), func(u string, sealed []byte) ([]byte, error) {
		seen++
		if seen == 3 {
			return nil, broken
		}
		return append([]byte("new-"), sealed...), nil
	}); !errors.Is(err, broken) {
		t.Fatalf("ResealMFA failing part way = %v, want its error", err)
	}
	for u, want := range before {
		if m, err := s.MFA(u); err != nil || !bytes.Equal(m.Secret, want.Secret) || !bytes.Equal(m.Pending, want.Pending) {
			t.Fatalf("after a failed reseal %s = %+v, %v; want %+v unchanged", u, m, err, want)
		}
	}

	var got []string
	n, err := r.ResealMFA(context.Background(), func(u string, sealed []byte) ([]byte, error) {
		got = append(got, u+":"+string(sealed))
		if string(sealed) == "old-u2" {
			return nil, nil // already sealed under the new key
		}
		return append([]byte("new-"), sealed...), nil
	})
	if err != nil || n != 3 || len(got) != 4 {
		t.Fatalf("ResealMFA = %d, %v after seeing %v; want 3 of 4 secrets replaced", n, err, got)
	}
	want := map[string][2]string{"u1": {"new-old-u1", "new-old-pending-u1"}, "u2": {"old-u2", ""}, "u3": {"", "new-old-pending-u3"}}
	for u, w := range want {
		m, err := s.MFA(u)
		if err != nil || string(m.Secret) != w[0] || string(m.Pending) != w[1] ||
			m.LastStep != before[u].LastStep || m.RecoveryCodes != before[u].RecoveryCodes || !m.PendingAt.Equal(before[u].PendingAt) {
			t.Fatalf("after ResealMFA %s = %+v, %v; want secret %q pending %q, the rest unchanged", u, m, err, w[0], w[1])
		}
	}
	if ok, err := s.UseRecoveryCode("u1", []byte("h-u1")); err != nil || !ok {
		t.Fatalf("a recovery code after resealing = %v, %v", ok, err)
	}
}
