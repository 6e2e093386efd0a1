package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/audit"
)

// fetchBundle gets a referral's case bundle with the query given into file.
func fetchBundle(t *testing.T, n *node, token, id, query, file string) audit.Bundle {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, n.base+"/v1/referrals/"+id+"/bundle"+query, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("bundle%s: %d %s", query, res.StatusCode, body)
	}
	if err := os.WriteFile(file, body, 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := audit.ParseBundle(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rewriteBundle writes a changed copy of a bundle file.
func rewriteBundle(t *testing.T, from, to string, change func(*audit.Bundle)) {
	t.Helper()
	b, err := audit.ParseBundle(bytes.NewReader(mustRead(t, from)))
	if err != nil {
		t.Fatal(err)
	}
	change(&b)
	data, _ := json.Marshal(b)
	if err := os.WriteFile(to, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func trustedSize(t *testing.T, pub, file string) int64 {
	t.Helper()
	v, err := audit.NewVerifier(string(mustRead(t, pub)))
	if err != nil {
		t.Fatal(err)
	}
	cp, err := audit.Open(mustRead(t, file), v)
	if err != nil {
		t.Fatal(err)
	}
	return cp.Size
}

// TestRAUD3VerifyBundleAgainstOlderTrustedCheckpoint: an auditor's trusted
// checkpoint is older than the newest. A bundle asked for with
// ?trusted_size= carries the consistency proof and verify-bundle --trusted
// accepts it; without the proof, or with a wrong one, it exits 2 naming
// why; a bundle older than the trusted checkpoint is refused, asking for a
// fresh one. With ?decrypted=true the history is printed with the parts
// as the server decrypted them, labelled as not covered by the proofs,
// and checked against the stored data; after the client's erasure they
// are gone and the bundle still verifies (R-AUD-2, R-AUD-3).
func TestRAUD3VerifyBundleAgainstOlderTrustedCheckpoint(t *testing.T) {
	pub := auditKeys(t)
	n := startNode(t, t.TempDir())
	work := t.TempDir()
	file := func(name string) string { return filepath.Join(work, name) }
	trusted := file("trusted.checkpoint")
	verify := func(bundle string) (int, string) {
		return auditCLI("verify-bundle", bundle, "--public-key", pub, "--trusted", trusted)
	}
	check := func() {
		t.Helper()
		if code, out := auditCLI("check", "--server", n.base, "--token", n.signIn(t, "admin", adminPassword), "--public-key", pub, "--trusted", trusted); code != 0 {
			t.Fatalf("audit check: %d %s", code, out)
		}
	}

	ref := lifecycle(t, n)
	admin := n.signIn(t, "admin", adminPassword)
	ann := n.signIn(t, "ann", "Kestrel#Wing42")
	to := orgOf(t, n, admin, ref)
	fetchBundle(t, n, admin, ref, "", file("first.json")) // signs a checkpoint covering the case
	if code, out := auditCLI("check", "--server", n.base, "--token", admin, "--public-key", pub, "--trusted", trusted, "--init"); code != 0 {
		t.Fatalf("first check: %d %s", code, out)
	}
	old := trustedSize(t, pub, trusted)

	// The ledger grows and a newer checkpoint is signed.
	later := referTo(t, n, ann, to, "Later Client")
	fetchBundle(t, n, admin, later, "", file("later.json"))

	plain := fetchBundle(t, n, admin, ref, "", file("plain.json"))
	if cp, _ := audit.ParseCheckpoint(strings.SplitN(plain.Checkpoint, "\n\n", 2)[0] + "\n"); cp.Size <= old {
		t.Fatalf("scene: the bundle's checkpoint has %d events, the trusted one %d", cp.Size, old)
	}
	if code, out := verify(file("plain.json")); code != 2 || !strings.Contains(out, "no consistency proof") || !strings.Contains(out, "trusted_size=") {
		t.Fatalf("bundle newer than the trusted checkpoint without a proof: exit %d, %s", code, out)
	}

	query := "?trusted_size=" + itoa64(old) + "&decrypted=true"
	fetchBundle(t, n, admin, ref, query, file("proved.json"))
	code, out := verify(file("proved.json"))
	if code != 0 {
		t.Fatalf("bundle with the consistency proof from the trusted checkpoint: exit %d, %s", code, out)
	}
	for _, want := range []string{"extends your trusted checkpoint of " + itoa64(old) + " events",
		"AS THE SERVER DECRYPTED THEM, NOT COVERED BY THE PROOFS", "Client Person", "called the client", "tenancy saved"} {
		if !strings.Contains(out, want) {
			t.Errorf("verify-bundle output lacks %q:\n%s", want, out)
		}
	}

	rewriteBundle(t, file("proved.json"), file("bad-proof.json"), func(b *audit.Bundle) {
		h, _ := base64.StdEncoding.DecodeString(b.Consistency.Proof[0])
		h[0] ^= 1
		b.Consistency.Proof[0] = base64.StdEncoding.EncodeToString(h)
	})
	if code, out := verify(file("bad-proof.json")); code != 2 || !strings.Contains(out, "does not extend") {
		t.Errorf("a wrong consistency proof: exit %d, %s", code, out)
	}
	rewriteBundle(t, file("proved.json"), file("bad-part.json"), func(b *audit.Bundle) {
		var m map[string]any
		_ = json.Unmarshal(b.Events[0].Decrypted, &m)
		m["to_organisation_id"] = ref // not what is stored
		b.Events[0].Decrypted, _ = json.Marshal(m)
	})
	if code, out := verify(file("bad-part.json")); code != 2 || !strings.Contains(out, "decrypted part does not match") {
		t.Errorf("a decrypted part that contradicts the stored data: exit %d, %s", code, out)
	}

	// The auditor moves on to a newer checkpoint: the bundle proved
	// against an older one is refused, and a fresh one verifies.
	newest := referTo(t, n, ann, to, "Newest Client")
	fetchBundle(t, n, admin, newest, "", file("newest.json"))
	check()
	if code, out := verify(file("proved.json")); code != 2 || !strings.Contains(out, "fetch a fresh bundle") {
		t.Fatalf("bundle older than the trusted checkpoint: exit %d, %s", code, out)
	}
	now := trustedSize(t, pub, trusted)
	fetchBundle(t, n, admin, ref, "?trusted_size="+itoa64(now), file("fresh.json"))
	if code, out := verify(file("fresh.json")); code != 0 {
		t.Fatalf("a fresh bundle: exit %d, %s", code, out)
	}

	// Erasure: the decrypted parts are gone, the bundle still verifies,
	// and so does the one taken before.
	client := n.must(t, 200, "GET", "/v1/referrals/"+ref, admin, nil)["client_id"].(string)
	req := n.must(t, 201, "POST", "/v1/clients/"+client+"/erasure-requests", ann, map[string]any{"reason": "asked in person"})["id"].(string)
	n.must(t, 200, "POST", "/v1/erasure-requests/"+req+"/decision", admin, map[string]any{"carry_out": true})
	erased := fetchBundle(t, n, admin, ref, "?trusted_size="+itoa64(now)+"&decrypted=true", file("erased.json"))
	for i, e := range erased.Events {
		if e.Decrypted != nil {
			t.Errorf("after erasure event %d carries a decrypted part", i)
		}
	}
	code, out = verify(file("erased.json"))
	if code != 0 || strings.Contains(out, "Client Person") || !strings.Contains(out, "encrypted") {
		t.Fatalf("bundle after erasure: exit %d, %s", code, out)
	}
	if code, out := auditCLI("verify-bundle", file("proved.json"), "--public-key", pub); code != 0 {
		t.Fatalf("the bundle taken before erasure no longer verifies: exit %d, %s", code, out)
	}
}

func itoa64(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
