package http

import (
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// TestHeadOfCaseBundleRecordsAndSignsNothing_AUD3: a HEAD of a case bundle
// (API and web download) recorded a read of the case, and when no
// checkpoint covered the case yet the signing node signed one on demand
// and recorded it in the ledger, for an answer nobody receives; a HEAD of
// the checkpoint itself signed the first. Now a HEAD is checked as the GET
// is and answers the GET's status and headers, but records no read and
// signs nothing; the GET still does both.
func TestHeadOfCaseBundleRecordsAndSignsNothing_AUD3(t *testing.T) {
	opt, _ := withAuditSigner(t)
	n := newLockNet(t, opt, withWebPages())
	cookie := []string{"Cookie", "ledger_session=" + n.Auditor.Token}
	signed := func() int { return n.countEvents(t, domain.CheckpointSignedType) }
	if got := signed(); got != 0 {
		t.Fatalf("%d checkpoints signed before the first was asked for", got)
	}

	// No checkpoint yet: the GET signs the first on demand, the HEAD none.
	headWritesNothing(t, n.testAPI, headCase{path: "/v1/ledger/checkpoint", token: n.Auditor.Token, status: http.StatusOK})
	if got := signed(); got != 1 {
		t.Fatalf("%d checkpoints signed after a HEAD and a GET of the checkpoint, want the GET's 1", got)
	}

	bundle := "/v1/referrals/" + n.Referral + "/bundle"
	page := "/referrals/" + n.Referral + "/bundle"
	for _, tc := range []headCase{
		{name: "Bundle", path: bundle, token: n.Auditor.Token, status: http.StatusOK, reads: true},
		{name: "Decrypted", path: bundle + "?decrypted=true", token: n.Auditor.Token, status: http.StatusOK, reads: true},
		{name: "Download", path: page, headers: cookie, status: http.StatusOK, reads: true},
		{name: "NoNeedToKnow", path: bundle, token: n.AdviserC.Token, status: http.StatusNotFound},
		{name: "Unknown", path: "/v1/referrals/" + uuid.NewString() + "/bundle", token: n.Auditor.Token, status: http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) { headWritesNothing(t, n.testAPI, tc) })
	}

	// A case whose events came after the latest checkpoint: its bundle's
	// GET signs one on demand; the HEAD, none.
	later, client := n.newClient(t, "Client Later")
	signedBefore := signed()
	headWritesNothing(t, n.testAPI, headCase{path: "/v1/referrals/" + later + "/bundle", token: n.Auditor.Token, status: http.StatusOK, reads: true})
	if got := signed() - signedBefore; got != 1 {
		t.Fatalf("%d checkpoints signed by a HEAD and a GET of a bundle no checkpoint covered, want the GET's 1", got)
	}

	n.lock(t, n.Client, nil) // the duty team only
	t.Run("Locked", func(t *testing.T) {
		headWritesNothing(t, n.testAPI, headCase{path: bundle, token: n.DutyMember.Token, status: http.StatusOK, reads: true})
		headWritesNothing(t, n.testAPI, headCase{path: bundle, token: n.AdviserA.Token, status: http.StatusForbidden})
	})
	n.lock(t, client, map[string]any{"hide_notification": true})
	t.Run("HiddenLock", func(t *testing.T) {
		path := "/v1/referrals/" + later + "/bundle"
		headWritesNothing(t, n.testAPI, headCase{path: path, token: n.AdviserA.Token, status: http.StatusNotFound})
		headWritesNothing(t, n.testAPI, headCase{path: path, token: n.AdviserC.Token, status: http.StatusNotFound})
		headWritesNothing(t, n.testAPI, headCase{path: path, token: n.DutyMember.Token, status: http.StatusOK, reads: true})
	})
}
