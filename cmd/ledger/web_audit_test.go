package main

import (
	"bytes"
	"html"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/audit"
)

// TestWebAuditorCheckpoint_RAUD3: the auditor's history page shows the
// signed checkpoint the case was proved against, and the bundle it offers
// verifies with ledger audit verify-bundle; other readers see no
// checkpoint section, and someone with no need to know gets no bundle.
func TestWebAuditorCheckpoint_RAUD3(t *testing.T) {
	pub := auditKeys(t)
	n := newSearchNetwork(t)
	id, _, _ := n.makeReferral(t, "Audited Client")

	b := n.signedIn(t, "audrey", auditorPassword)
	p := b.get("/referrals/" + id + "/history")
	if p.status != http.StatusOK || !strings.Contains(p.body, "Signed checkpoint") || !strings.Contains(p.body, e2eOrigin) ||
		!strings.Contains(p.body, `href="/referrals/`+id+`/bundle"`) {
		t.Fatalf("the auditor's history page shows no checkpoint: %d\n%s", p.status, p.body)
	}
	d := b.get("/referrals/" + id + "/bundle")
	if d.status != http.StatusOK || !strings.Contains(d.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("bundle download: %d %v", d.status, d.header)
	}
	if strings.Contains(d.body, "Audited Client") {
		t.Fatal("the bundle carries client data in the clear")
	}
	file := filepath.Join(t.TempDir(), "bundle.json")
	if err := os.WriteFile(file, []byte(d.body), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out := auditCLI("verify-bundle", file, "--public-key", pub); code != 0 || !strings.Contains(out, "OK:") {
		t.Fatalf("verify-bundle of the downloaded bundle: %d %s", code, out)
	}
	bundle, err := audit.ParseBundle(bytes.NewReader([]byte(d.body)))
	if err != nil {
		t.Fatal(err)
	}
	// html/template writes a '+' of the base64 root as &#43;.
	if !strings.Contains(html.UnescapeString(p.body), strings.SplitN(bundle.Checkpoint, "\n", 4)[2]) {
		t.Error("the page does not show the root hash the bundle is proved against")
	}

	ann := n.signedIn(t, "ann", annPassword)
	if p := ann.get("/referrals/" + id + "/history"); strings.Contains(p.body, "Signed checkpoint") {
		t.Error("a caseworker's history page shows the auditor's checkpoint section")
	}
}

// TestWebBrowserAuditorCheckpoint: the same page in Chromium, checked by
// axe-core and at 320 px (R-UI-2, R-AUD-3).
func TestWebBrowserAuditorCheckpoint(t *testing.T) {
	auditKeys(t)
	n := newSearchNetwork(t)
	id, _, _ := n.makeReferral(t, "Browser Audited Client")
	c := newChrome(t, false)
	c.signIn(n.base, "audrey", auditorPassword)
	c.visit(n.base + "/referrals/" + id + "/history")
	c.wantText("#checkpoint", "Signed checkpoint")
	c.wantText("main", e2eOrigin, "Download the case bundle")
	c.check("history-checkpoint")
	if href := eval[string](c, `document.querySelector('a[download]').getAttribute("href")`); href != "/referrals/"+id+"/bundle" {
		t.Errorf("bundle link %q", href)
	}

}
