package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/referral-ledger/ledger/auth"
	"github.com/referral-ledger/ledger/config"
	"github.com/referral-ledger/ledger/keystore"
	"github.com/referral-ledger/ledger/ledger"
	ledgernode "github.com/referral-ledger/ledger/node"
	"github.com/referral-ledger/ledger/session"
)

// resealSecondFactors seals every TOTP secret in the session store (in use
// or pending, issue 17) under the key derived from next, in one
// transaction, so a rotation does not lock enrolled users out of code
// sign-in. A secret that next's key opens already is left alone, so it can
// run again after any interruption. The old key is current unless current
// is next already (the operator has pointed the configuration at the new
// key); then a secret only the old key opens means the rotation stopped
// before resealing it, and it fails asking for the old key again, since it
// must not finish with a secret under a key about to be gone.
func resealSecondFactors(ctx context.Context, cfg config.Config, j *rotationJournal, current, next keystore.MasterKey, stdout io.Writer) error {
	newBox, err := auth.NewSecretBox(next.DeriveKey(ledger.SecondFactorKeyPurpose))
	if err != nil {
		return err
	}
	var oldBox *auth.SecretBox
	if current.ID != next.ID {
		if oldBox, err = auth.NewSecretBox(current.DeriveKey(ledger.SecondFactorKeyPurpose)); err != nil {
			return err
		}
	}
	store, err := ledgernode.OpenSessions(cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	r, ok := store.(session.MFAResealer)
	if !ok {
		return fmt.Errorf("the session store %T cannot reseal second factors", store)
	}
	unopened := map[string]bool{}
	n, err := r.ResealMFA(ctx, func(userID string, sealed []byte) ([]byte, error) {
		if _, err := newBox.Open(userID, sealed); err == nil {
			return nil, nil // resealed before an interruption
		}
		if oldBox != nil {
			if secret, err := oldBox.Open(userID, sealed); err == nil {
				return newBox.Seal(userID, secret)
			}
		}
		unopened[userID] = true
		return nil, nil
	})
	if err != nil {
		return fmt.Errorf("second factors: %w", err)
	}
	fmt.Fprintf(stdout, "resealed %d second-factor secrets under master key %s\n", n, j.To)
	if len(unopened) == 0 {
		return nil
	}
	users := make([]string, 0, len(unopened))
	for u := range unopened {
		users = append(users, u)
	}
	sort.Strings(users)
	if oldBox == nil && !j.Rewrapped {
		return fmt.Errorf("the second factors of %d users (%s) are not yet sealed under master key %s, and the "+
			"current key is that one already: configure master key %s again and run rotate-master-key to finish",
			len(users), strings.Join(users, ", "), j.To, j.From)
	}
	// Neither key opens them: they were sealed under a master key gone
	// before this rotation began. Resealing cannot bring them back.
	fmt.Fprintf(stdout, "warning: the second-factor secrets of %d users (%s) open under neither master key %s nor %s "+
		"(sealed under an earlier key): they sign in with a recovery code and set up their app again, or have "+
		"their second factor reset\n", len(users), strings.Join(users, ", "), j.From, j.To)
	return nil
}
