package http

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/referral-ledger/ledger/audit"
	"github.com/referral-ledger/ledger/config"
	"github.com/referral-ledger/ledger/domain"
)

const testAuditOrigin = "test.example/referral-ledger"

// withAuditSigner makes the node the designated checkpoint signer, with a
// key made as ledger audit keygen makes it, outside the data directory.
// It returns the auditors' verifier.
func withAuditSigner(tb testing.TB) (apiOption, note.Verifier) {
	tb.Helper()
	skey, vkey, err := audit.GenerateKey(testAuditOrigin)
	if err != nil {
		tb.Fatal(err)
	}
	file := filepath.Join(tb.TempDir(), "audit.key")
	if err := os.WriteFile(file, []byte(skey+"\n"), 0o600); err != nil {
		tb.Fatal(err)
	}
	v, err := audit.NewVerifier(vkey)
	if err != nil {
		tb.Fatal(err)
	}
	return func(c *apiConfig) {
		c.configure = func(conf *config.Config) {
			conf.Audit.SigningKeyFile, conf.Audit.Signer, conf.Audit.Origin = file, true, testAuditOrigin
		}
	}, v
}

func (a *testAPI) checkpoint(tb testing.TB, token string, v note.Verifier) audit.Checkpoint {
	tb.Helper()
	r := want(tb, a.do(tb, http.MethodGet, "/v1/ledger/checkpoint", token, nil), http.StatusOK)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		tb.Fatalf("checkpoint Content-Type %q", ct)
	}
	cp, err := audit.Open(r.Body, v)
	if err != nil {
		tb.Fatalf("checkpoint does not verify: %v\n%s", err, r.Body)
	}
	return cp
}

func (a *testAPI) bundle(tb testing.TB, token, id string, v note.Verifier) (audit.Bundle, audit.VerifiedBundle) {
	tb.Helper()
	r := want(tb, a.do(tb, http.MethodGet, "/v1/referrals/"+id+"/bundle", token, nil), http.StatusOK)
	b, err := audit.ParseBundle(bytes.NewReader(r.Body))
	if err != nil {
		tb.Fatal(err)
	}
	vb, err := audit.VerifyBundle(b, v)
	if err != nil {
		tb.Fatalf("bundle does not verify: %v", err)
	}
	return b, vb
}

// R-AUD-1, R-AUD-2: the checkpoint is a signed note for the network's
// origin, and a later one is proved to extend it.
func TestRAUD2CheckpointAndConsistencyProof(t *testing.T) {
	opt, v := withAuditSigner(t)
	n := newNetwork(t, opt)
	first := n.checkpoint(t, n.AdviserA.Token, v)
	if first.Origin != testAuditOrigin || first.Size < 1 {
		t.Fatalf("first checkpoint %+v", first)
	}
	n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client One")
	if _, _, err := n.Server.Audit.SignNow(context.Background()); err != nil {
		t.Fatal(err)
	}
	next := n.checkpoint(t, n.Auditor.Token, v)
	if next.Size <= first.Size {
		t.Fatalf("the ledger grew but the checkpoint did not: %d then %d", first.Size, next.Size)
	}
	r := want(t, n.do(t, http.MethodGet, "/v1/ledger/proofs/consistency?from="+itoa(first.Size)+"&to="+itoa(next.Size), n.AdviserC.Token, nil), http.StatusOK)
	var body struct {
		From, To int64
		Proof    []string
	}
	decodeInto(t, r, &body)
	proof := make(tlog.TreeProof, len(body.Proof))
	for i, s := range body.Proof {
		h, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(h) != tlog.HashSize {
			t.Fatalf("proof hash %q", s)
		}
		copy(proof[i][:], h)
	}
	if body.From != first.Size || body.To != next.Size {
		t.Fatalf("proof is from %d to %d", body.From, body.To)
	}
	if err := audit.Extends(first, next, proof); err != nil {
		t.Fatalf("consistency proof refused: %v", err)
	}

	for _, q := range []struct{ query, field string }{
		{"", "from"}, {"from=0&to=1", "from"}, {"from=x&to=1", "from"}, {"from=2", "to"},
		{"from=3&to=2", "to"}, {"from=1&to=" + itoa(1<<40), "to"}, {"from=01&to=1", "from"}, {"from=%2B1&to=1", "from"},
	} {
		r := want(t, n.do(t, http.MethodGet, "/v1/ledger/proofs/consistency?"+q.query, n.Auditor.Token, nil), http.StatusBadRequest)
		if !strings.Contains(string(r.Body), `"field":"`+q.field+`"`) {
			t.Errorf("?%s: problem does not name %s: %s", q.query, q.field, r.Body)
		}
	}
	// A parameter given twice, or one the proof does not take, is named
	// (422), never read as something else.
	for _, q := range []struct{ query, field string }{{"from=1&from=2&to=2", "from"}, {"from=1&to=1&size=2", "size"}} {
		r := want(t, n.do(t, http.MethodGet, "/v1/ledger/proofs/consistency?"+q.query, n.Auditor.Token, nil), http.StatusUnprocessableEntity)
		if !strings.Contains(string(r.Body), `"field":"`+q.field+`"`) {
			t.Errorf("?%s: problem does not name %s: %s", q.query, q.field, r.Body)
		}
	}
	want(t, n.do(t, http.MethodGet, "/v1/ledger/checkpoint", "", nil), http.StatusUnauthorized)
}

// R-AUD-3: a case bundle verifies offline before and after the client's
// erasure, with the same stored bytes; reading it is logged like any read
// of the case and refused to someone with no need to know.
func TestRAUD3BundleBeforeAndAfterErasure(t *testing.T) {
	opt, v := withAuditSigner(t)
	n := newNetwork(t, opt)
	body := validReferral(n.OrgB, "Client Bundled")
	body["urgent"] = true
	lc := n.runErasureLifecycle(t, body, "Can wait a week.", "Landlord replies in January.", "Housed.", "Risk of harm.")

	accessBefore := n.countEvents(t, domain.AccessRecordedType)
	before, vBefore := n.bundle(t, n.Auditor.Token, lc.Closed, v)
	if got := n.countEvents(t, domain.AccessRecordedType); got != accessBefore+1 {
		t.Errorf("reading a bundle logged %d accesses, want 1", got-accessBefore)
	}
	if len(vBefore.Events) < 3 || vBefore.Events[0].Stream != "referral-"+lc.Closed {
		t.Fatalf("bundle of %d events of %q", len(vBefore.Events), vBefore.Events[0].Stream)
	}
	if bytes.Contains(mustJSONBytes(t, before), []byte("Client Bundled")) {
		t.Fatal("the bundle carries client data in the clear")
	}
	want(t, n.do(t, http.MethodGet, "/v1/referrals/"+lc.Closed+"/bundle", n.AdviserC.Token, nil), http.StatusNotFound)

	n.erase(t, lc.Client, "The client asked to be forgotten.")
	after, vAfter := n.bundle(t, n.Auditor.Token, lc.Closed, v)
	if len(vAfter.Events) < len(vBefore.Events) {
		t.Fatalf("after erasure the bundle has %d events, before %d", len(vAfter.Events), len(vBefore.Events))
	}
	for i, e := range before.Events {
		a := after.Events[i]
		if !bytes.Equal(a.Data, e.Data) || a.Hash != e.Hash || a.LeafIndex != e.LeafIndex {
			t.Errorf("event %d changed in the bundle after erasure", i)
		}
	}
	// The bundle taken before still verifies after, offline.
	if _, err := audit.VerifyBundle(before, v); err != nil {
		t.Fatalf("the bundle taken before erasure no longer verifies: %v", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func mustJSONBytes(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
