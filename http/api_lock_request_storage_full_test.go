package http

import (
	"net/http"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/eventstore"
)

// TestLockRequestReadWhileStorageIsFull_LOCK9_OPS4: GET
// /v1/lock-requests/{id} records the read of the request's reason in the
// client's access log, before the answer when the case is locked
// (R-LOCK-9). While storage is full that record cannot be written, so the
// reason is not shown: the answer is 507 saying storage is full
// (R-OPS-4), as for every other read that records itself, and the
// harness's OpenAPI check holds the document to declaring it (issue 16).
func TestLockRequestReadWhileStorageIsFull_LOCK9_OPS4(t *testing.T) {
	var fs *faultStore
	n := newLockNet(t, withFaults(func(s eventstore.Store) eventstore.Store { fs = newFaultStore(s); return fs }, nil))
	request := n.requestLockOn(t, n.Client, nil)
	want(t, n.do(t, http.MethodPost, "/v1/lock-requests/"+request+"/decision", n.ServiceManager.Token,
		map[string]any{"approve": true}), http.StatusOK)
	want(t, n.do(t, http.MethodGet, "/v1/lock-requests/"+request, n.TeamManager.Token, nil), http.StatusOK)

	fs.set(faultFail)
	p := n.do(t, http.MethodGet, "/v1/lock-requests/"+request, n.TeamManager.Token, nil).problem(t, http.StatusInsufficientStorage)
	if !strings.HasSuffix(p.Type, "/insufficient_storage") || !strings.Contains(p.Detail, "storage is full") {
		t.Fatalf("problem %+v", p)
	}
	fs.set(faultNone)
	want(t, n.do(t, http.MethodGet, "/v1/lock-requests/"+request, n.TeamManager.Token, nil), http.StatusOK)
}
