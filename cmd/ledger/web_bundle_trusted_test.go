package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWebBundleWithTrustedSize_AUD2_AUD3: an auditor who keeps an older
// checkpoint downloads a case bundle from the history page with the proof
// that the bundle's checkpoint extends theirs, as GET
// /v1/referrals/{id}/bundle?trusted_size= gives it, so that `ledger audit
// verify-bundle --trusted` accepts it; without the size it cannot. A size
// that is not one comes back to the history page with the error by the
// field and the value kept.
func TestWebBundleWithTrustedSize_AUD2_AUD3(t *testing.T) {
	pub := auditKeys(t)
	n := newSearchNetwork(t)
	n.makeReferral(t, "Earlier Client")
	auditor := n.signedIn(t, "audrey", auditorPassword)
	d := auditor.get("/ledger-checkpoint.txt")
	if d.status != http.StatusOK {
		t.Fatalf("checkpoint: %d %s", d.status, d.body)
	}
	work := t.TempDir()
	trusted := filepath.Join(work, "trusted.checkpoint")
	if err := os.WriteFile(trusted, []byte(d.body), 0o600); err != nil {
		t.Fatal(err)
	}
	size := strings.SplitN(d.body, "\n", 3)[1]

	id, _, _ := n.makeReferral(t, "Later Client") // the ledger grows past the trusted checkpoint
	history := auditor.get("/referrals/" + id + "/history")
	wantStatus(t, history, http.StatusOK, `action="/referrals/`+id+`/bundle"`, `name="trusted-size"`)

	verify := func(query string) (int, string) {
		t.Helper()
		b := auditor.get("/referrals/" + id + "/bundle" + query)
		if b.status != http.StatusOK {
			t.Fatalf("bundle%s: %d %s", query, b.status, b.body)
		}
		file := filepath.Join(work, "bundle.json")
		if err := os.WriteFile(file, []byte(b.body), 0o600); err != nil {
			t.Fatal(err)
		}
		return auditCLI("verify-bundle", file, "--public-key", pub, "--trusted", trusted)
	}
	if code, out := verify(""); code != 2 || !strings.Contains(out, "no consistency proof") {
		t.Fatalf("a bundle without the proof against an older trusted checkpoint: %d %s", code, out)
	}
	if code, out := verify("?trusted-size=" + size); code != 0 || !strings.Contains(out, "extends your trusted checkpoint of "+size+" events") {
		t.Fatalf("a bundle with the proof from the trusted size: %d %s", code, out)
	}

	p := auditor.get("/referrals/" + id + "/bundle?trusted-size=abc")
	if p.status != http.StatusSeeOther {
		t.Fatalf("a bad size: %d %q", p.status, p.location)
	}
	wantStatus(t, auditor.follow(p), http.StatusUnprocessableEntity, `href="#trusted-size"`, `value="abc"`, "Enter the size of the checkpoint you trust")
	p = auditor.follow(auditor.get("/referrals/" + id + "/bundle?trusted-size=99999999"))
	wantStatus(t, p, http.StatusUnprocessableEntity, `href="#trusted-size"`, `value="99999999"`)
}
