package http

import (
	"net/http"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestBundleWithNoCheckpointRecordsNoRead_LOCK9_AUD3: a case bundle
// (R-AUD-3) asked of a node that has no signed checkpoint covering the case
// and cannot sign one answers 503 and gives none of the case, so its
// client's access log records no read (R-LOCK-9): not the API's, not the
// web pages' download, whether the case is locked (read by the person it
// is locked to) or not (read by an auditor, whose reads are written
// before the answer). A node that can sign gives the bundle, and records
// the read, once.
func TestBundleWithNoCheckpointRecordsNoRead_LOCK9_AUD3(t *testing.T) {
	entries := func(tb testing.TB, n *lockNet, client string) []map[string]any {
		tb.Helper()
		r := want(tb, n.do(tb, http.MethodGet, "/v1/clients/"+client+"/access-log?limit=200", n.Admin.Token, nil), http.StatusOK)
		var body struct {
			Entries []map[string]any `json:"entries"`
		}
		decodeInto(tb, r, &body)
		return body.Entries
	}
	bundleReads := func(log []map[string]any) int {
		count := 0
		for _, e := range log {
			if endpoint, _ := e["endpoint"].(string); strings.HasSuffix(endpoint, "/bundle") {
				count++
			}
		}
		return count
	}

	t.Run("NoCheckpoint", func(t *testing.T) {
		n := newLockNet(t, withWebPages())
		otherReferral, otherClient := n.newClient(t, "Client Unlocked")
		n.lock(t, n.Client, nil)
		for _, tc := range []struct {
			name             string
			referral, client string
			reader           testUser
		}{
			{"locked case, its responsible person", n.Referral, n.Client, n.AdviserB},
			{"case not locked, an auditor", otherReferral, otherClient, n.Auditor},
		} {
			before := len(entries(t, n, tc.client))
			n.do(t, http.MethodGet, "/v1/referrals/"+tc.referral+"/bundle", tc.reader.Token, nil).problem(t, http.StatusServiceUnavailable)
			if r := n.pagesAs(t, tc.reader.Token).get("/referrals/" + tc.referral + "/bundle"); r.Status != http.StatusServiceUnavailable {
				t.Errorf("%s: the web download answered %d, want 503", tc.name, r.Status)
			}
			if after := entries(t, n, tc.client); len(after) != before {
				t.Errorf("%s: %d reads recorded for bundles that were not given: %v", tc.name, len(after)-before, after[before:])
			}
			// The same reader may read the case: the history is given,
			// and recorded.
			want(t, n.do(t, http.MethodGet, "/v1/referrals/"+tc.referral+"/history", tc.reader.Token, nil), http.StatusOK)
			if after := entries(t, n, tc.client); len(after) != before+1 {
				t.Errorf("%s: the history's read recorded %d entries, want 1", tc.name, len(after)-before)
			}
		}
	})

	t.Run("SigningNode", func(t *testing.T) {
		opt, v := withAuditSigner(t)
		n := newLockNet(t, opt)
		n.lock(t, n.Client, nil)
		before := bundleReads(entries(t, n, n.Client))
		n.bundle(t, n.AdviserB.Token, n.Referral, v)
		log := entries(t, n, n.Client)
		if got := bundleReads(log) - before; got != 1 {
			t.Fatalf("a bundle given recorded %d reads, want 1: %v", got, log)
		}
		last := log[len(log)-1]
		if last["user_id"] != n.AdviserB.ID || last["locked"] != true || last["grant"] != string(domain.GrantResponsible) {
			t.Errorf("the bundle's read: %v", last)
		}
	})
}
