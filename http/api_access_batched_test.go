package http

import (
	"net/http"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// storedAccess returns the access records of client as stored now, without
// flushing what the server has queued.
func (n *lockNet) storedAccess(tb testing.TB, client string) []domain.AccessRecorded {
	tb.Helper()
	var out []domain.AccessRecorded
	for _, r := range n.storedReads(tb, client) {
		out = append(out, r.AccessRecorded)
	}
	return out
}

// TestLockedAndAuditorReadsRecordedBeforeAnswer_LOCK9 (issue 14 point 6):
// the node writes reads of unlocked cases to the access log in batches,
// but a read of a locked case, and any auditor's read, is in the stored
// log by the time it is answered (R-LOCK-9 unchanged).
func TestLockedAndAuditorReadsRecordedBeforeAnswer_LOCK9(t *testing.T) {
	n := newLockNet(t)
	count := func(client string, match func(domain.AccessRecorded) bool) int {
		c := 0
		for _, a := range n.storedAccess(t, client) {
			if match(a) {
				c++
			}
		}
		return c
	}
	byAuditor := func(a domain.AccessRecorded) bool { return a.Grant == "auditor" }
	isLocked := func(a domain.AccessRecorded) bool { return a.Locked }

	// An auditor's read of a case that is not locked.
	before := count(n.Client, byAuditor)
	want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.Auditor.Token, nil), http.StatusOK)
	if got := count(n.Client, byAuditor); got != before+1 {
		t.Fatalf("auditor reads stored after the answer: %d, want %d", got, before+1)
	}

	// Reads of a locked case, by the responsible person and by the auditor.
	n.lock(t, n.Client, nil)
	before = count(n.Client, isLocked)
	want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil), http.StatusOK)
	if got := count(n.Client, isLocked); got != before+1 {
		t.Fatalf("locked reads stored after the responsible person's read: %d, want %d", got, before+1)
	}
	want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral+"/history", n.AdviserB.Token, nil), http.StatusOK)
	if got := count(n.Client, isLocked); got != before+2 {
		t.Fatalf("locked reads stored after a history read: %d, want %d", got, before+2)
	}
}
