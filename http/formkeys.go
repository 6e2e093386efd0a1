package http

import (
	"context"
	"net/http"
	"time"

	"github.com/referral-ledger/ledger/idempotency"
	"github.com/referral-ledger/ledger/web"
)

// formKeys keeps the web pages' one-time form keys in the Idempotency-Key
// store, so a form sent twice, on any node, is acted on once, as an API
// request sent twice with one key is. An entry holds where the form's
// first sending went and the name of its confirmation (never anything the
// user typed); the scope ("web:" and the user's id) keeps it apart from
// the API's keys.
type formKeys struct{ store idempotency.Store }

func (f formKeys) Claim(ctx context.Context, scope, key string, fingerprint [32]byte, now time.Time) (web.FormDone, error) {
	resp, err := f.store.Claim(ctx, scope, key, fingerprint, now)
	if err != nil || resp == nil {
		return web.FormDone{}, err
	}
	return web.FormDone{Location: resp.Location, Flash: string(resp.Body)}, nil
}

func (f formKeys) Complete(ctx context.Context, scope, key string, done web.FormDone) error {
	return f.store.Complete(ctx, scope, key, idempotency.Response{Status: http.StatusSeeOther, Location: done.Location,
		ContentType: formDoneType, Body: []byte(done.Flash)})
}

// Release gives the key up; when that fails, it is retried in the
// background until it works (releaseLater), so the form can be sent again
// rather than being "still being sent" until the key expires (R-OPS-1).
func (f formKeys) Release(ctx context.Context, scope, key string) error {
	err := f.store.Release(ctx, scope, key)
	if err != nil {
		go releaseLater(context.WithoutCancel(ctx), f.store, scope, key)
	}
	return err
}

// formDoneType marks a stored entry of a web form, whose body is the name
// of the confirmation the form left. It never reaches a client.
const formDoneType = "application/vnd.referral-ledger.web-form-done"
