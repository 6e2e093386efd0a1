package main

import (
	"html"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWebLedgerCheckpoint_AUD1_AUD2_UI1: the auditor reads the ledger's
// latest signed checkpoint on a page, as GET /v1/ledger/checkpoint gives
// it, downloads it to keep, and asks for the consistency proof from the
// size of a checkpoint they hold, as GET /v1/ledger/proofs/consistency
// does; the downloaded checkpoint is one `ledger audit check` trusts.
// Every signed-in user may read it, as in the API; the navigation offers
// it to auditors.
func TestWebLedgerCheckpoint_AUD1_AUD2_UI1(t *testing.T) {
	pub := auditKeys(t)
	n := newSearchNetwork(t)
	n.makeReferral(t, "Checkpointed Client")
	auditor := n.signedIn(t, "audrey", auditorPassword)

	p := auditor.get("/ledger-checkpoint")
	wantStatus(t, p, http.StatusOK, "Ledger checkpoint", e2eOrigin, `href="/ledger-checkpoint.txt"`)
	if !strings.Contains(navLink.FindString(p.body), `href="/ledger-checkpoint"`) {
		t.Errorf("the auditor's navigation lacks the checkpoint")
	}
	d := auditor.get("/ledger-checkpoint.txt")
	if d.status != http.StatusOK || !strings.HasPrefix(d.header.Get("Content-Type"), "text/plain") ||
		!strings.Contains(d.header.Get("Content-Disposition"), "attachment") || !strings.HasPrefix(d.body, e2eOrigin+"\n") {
		t.Fatalf("checkpoint download: %d %v\n%s", d.status, d.header, d.body)
	}
	if !strings.Contains(html.UnescapeString(p.body), d.body) {
		t.Errorf("the page does not show the checkpoint it offers")
	}
	size := strings.SplitN(d.body, "\n", 3)[1]
	trusted := filepath.Join(t.TempDir(), "trusted.checkpoint")
	if err := os.WriteFile(trusted, []byte(d.body), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := auditCLI("check", "--server", n.base, "--token", n.signIn(t, "audrey", auditorPassword), "--public-key", pub,
		"--trusted", trusted); code != 0 {
		t.Fatalf("audit check against the downloaded checkpoint: %d %s", code, out)
	}

	// The consistency proof from an earlier size, as the API gives it.
	proof := n.must(t, 200, "GET", "/v1/ledger/proofs/consistency?from=1&to="+size, n.ann, nil)["proof"].([]any)
	p = auditor.get("/ledger-checkpoint?from=1")
	wantStatus(t, p, http.StatusOK, "Consistency proof")
	for _, h := range proof {
		if !strings.Contains(html.UnescapeString(p.body), h.(string)) {
			t.Errorf("the page lacks the proof's hash %s", h)
		}
	}
	wantStatus(t, auditor.get("/ledger-checkpoint?from=abc"), http.StatusUnprocessableEntity, `href="#from"`, `value="abc"`)
	wantStatus(t, auditor.get("/ledger-checkpoint?from=99999999"), http.StatusUnprocessableEntity, `href="#from"`)

	ann := n.signedIn(t, "ann", annPassword)
	p = ann.get("/ledger-checkpoint")
	wantStatus(t, p, http.StatusOK, e2eOrigin)
	if strings.Contains(navLink.FindString(p.body), `href="/ledger-checkpoint"`) {
		t.Errorf("an adviser's navigation offers the checkpoint")
	}
}

// TestWebLedgerCheckpointNoneYet_AUD1: on a network with no signed
// checkpoint the page answers 503, as the API does, and says why.
func TestWebLedgerCheckpointNoneYet_AUD1(t *testing.T) {
	n := newSearchNetwork(t)
	if status, _ := n.call(t, "GET", "/v1/ledger/checkpoint", n.ann, nil); status != http.StatusServiceUnavailable {
		t.Fatalf("the API's checkpoint with no signer: %d", status)
	}
	auditor := n.signedIn(t, "audrey", auditorPassword)
	wantStatus(t, auditor.get("/ledger-checkpoint"), http.StatusServiceUnavailable, "No signed checkpoint yet")
}
