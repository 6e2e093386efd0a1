package http

import (
	"context"
	"net/http"
	"time"

	"github.com/referral-ledger/ledger/idempotency"
)

// formKeys keeps the web pages' one-time form keys in the Idempotency-Key
// store, so a form submitted twice, on any node, makes one referral as an
// API request sent twice with one key does.
type formKeys struct{ store idempotency.Store }

func (f formKeys) Claim(ctx context.Context, scope, key string, fingerprint [32]byte, now time.Time) (string, error) {
	resp, err := f.store.Claim(ctx, scope, key, fingerprint, now)
	if err != nil || resp == nil {
		return "", err
	}
	return resp.Location, nil
}

func (f formKeys) Complete(ctx context.Context, scope, key, location string) error {
	return f.store.Complete(ctx, scope, key, idempotency.Response{Status: http.StatusSeeOther, Location: location})
}

func (f formKeys) Release(ctx context.Context, scope, key string) error {
	return f.store.Release(ctx, scope, key)
}
