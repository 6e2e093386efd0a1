package http

import (
	"net/http"
	"testing"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
)

// TestReplayRefusedForFullStorageIsNoReplay_OPS1_OPS4: a retry of a
// referral made with an Idempotency-Key reads the referral again (R-PRIV-8);
// on a locked case that read is recorded first (R-LOCK-9), so while storage
// is full the retry is refused with 507 (R-OPS-4). That refusal carried
// Idempotent-Replayed: true, which says the answer is the stored result of
// the first request (and which http/openapi.json declares on no 5xx): it
// is not, nothing was shown. A retry refused for a passing failure says
// nothing of a replay; once storage is freed the same retry answers the
// first result, replayed (R-OPS-1).
func TestReplayRefusedForFullStorageIsNoReplay_OPS1_OPS4(t *testing.T) {
	var fs *faultStore
	n := &lockNet{network: newNetwork(t, withFaults(func(s eventstore.Store) eventstore.Store { fs = newFaultStore(s); return fs }, nil))}
	n.ServiceManager = n.addUser(t, n.OrgB, "service.b", domain.RoleServiceManager)
	body := validReferral(n.OrgB, "Client Retried")
	first := want(t, n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, body, "Idempotency-Key", "retried"), http.StatusCreated)
	n.lock(t, first.str("client_id"), map[string]any{"allow": []map[string]any{{"user_id": n.AdviserA.ID}}})

	fs.set(faultFail)
	r := n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, body, "Idempotency-Key", "retried")
	r.problem(t, http.StatusInsufficientStorage)
	if h := r.Header.Get("Idempotent-Replayed"); h != "" {
		t.Errorf("a retry refused with 507 says Idempotent-Replayed: %s", h)
	}

	fs.set(faultNone)
	again := want(t, n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, body, "Idempotency-Key", "retried"), http.StatusCreated)
	if again.Header.Get("Idempotent-Replayed") != "true" || again.str("id") != first.str("id") ||
		again.Header.Get("Location") != first.Header.Get("Location") {
		t.Errorf("the retry once storage was freed: %s %s, Idempotent-Replayed %q; the first %s %s",
			again.str("id"), again.Header.Get("Location"), again.Header.Get("Idempotent-Replayed"), first.str("id"), first.Header.Get("Location"))
	}
}
