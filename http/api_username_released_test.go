package http

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
)

// orgAppendFails fails every append to an organisation stream, as a full
// disk does, while fail is set; other streams are written as usual.
type orgAppendFails struct {
	eventstore.Store
	fail atomic.Bool
}

func (s *orgAppendFails) Append(ctx context.Context, stream string, expected eventstore.ExpectedRevision, events ...eventstore.EventData) (eventstore.AppendResult, error) {
	if s.fail.Load() && strings.HasPrefix(stream, ledger.OrganisationPrefix) {
		return eventstore.AppendResult{}, errDiskFull
	}
	return s.Store.Append(ctx, stream, expected, events...)
}

// TestUsernameFreeAgainAfterAddUserFailed_AUTH1: adding a user reserves
// the username network-wide, then records the account in the
// organisation's stream. When that second write failed (a full disk, a
// stale If-Match, the lead's role removed meanwhile), the reservation
// stayed: the lead retrying once the fault had passed was told 409 "the
// username is already taken" although no account had it, and nobody could
// ever have that username. A reservation whose account was not recorded
// is now given up, so the retry opens the account; the name is then
// taken as usual. With an Idempotency-Key too: a retry with the same key
// (whose first reservation was given up) reserves the name again rather
// than opening an account whose name nobody holds.
func TestUsernameFreeAgainAfterAddUserFailed_AUTH1(t *testing.T) {
	var fs *orgAppendFails
	n := newNetwork(t, withFaults(func(s eventstore.Store) eventstore.Store { fs = &orgAppendFails{Store: s}; return fs }, nil))
	body := map[string]any{"username": "new.starter", "display_name": "New Starter", "email": "new.starter@example.org",
		"roles": []string{"adviser"}, "password": "Initial#Pass99x"}
	path := "/v1/organisations/" + n.OrgA + "/users"

	fs.fail.Store(true)
	n.do(t, http.MethodPost, path, n.LeadA.Token, body).problem(t, http.StatusInsufficientStorage)
	fs.fail.Store(false)

	r := want(t, n.do(t, http.MethodPost, path, n.LeadA.Token, body), http.StatusCreated)
	if r.str("username") != "new.starter" {
		t.Fatalf("account opened on the retry: %s", r.Body)
	}
	n.firstSignIn(t, "new.starter", "Initial#Pass99x")
	// The name is taken now, in this organisation or any other.
	n.do(t, http.MethodPost, "/v1/organisations/"+n.OrgB+"/users", n.LeadB.Token, body).problem(t, http.StatusConflict)

	// A request with an idempotency key gives the name up too: a retry
	// with the same key reserves it again and opens the account, and so
	// does a new request (a form opened afresh).
	for _, tc := range []struct{ name, key, retryKey string }{
		{"keyed.same", "add-keyed-same", "add-keyed-same"},
		{"keyed.fresh", "add-keyed-fresh", "another-key"},
	} {
		keyed := map[string]any{"username": tc.name, "display_name": "Keyed Starter", "email": "keyed@example.org",
			"roles": []string{"adviser"}, "password": "Initial#Pass99x"}
		fs.fail.Store(true)
		n.do(t, http.MethodPost, path, n.LeadA.Token, keyed, "Idempotency-Key", tc.key).problem(t, http.StatusInsufficientStorage)
		fs.fail.Store(false)
		want(t, n.do(t, http.MethodPost, path, n.LeadA.Token, keyed, "Idempotency-Key", tc.retryKey), http.StatusCreated)
		n.do(t, http.MethodPost, path, n.LeadA.Token, keyed).problem(t, http.StatusConflict)
	}
}
