package http

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/audit"
	"github.com/referral-ledger/ledger/ledger"
)

// R-AUD-3 with R-AUD-2: an auditor holding a checkpoint older than the
// latest asks for the bundle with ?trusted_size= and gets, beside the
// inclusion proofs, the consistency proof that the bundle's checkpoint
// extends the one they trust.
func TestRAUD3BundleTrustedSizeCarriesConsistencyProof(t *testing.T) {
	opt, v := withAuditSigner(t)
	n := newNetwork(t, opt)
	trusted := n.checkpoint(t, n.Auditor.Token, v)
	id := n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Trusting")

	r := want(t, n.do(t, http.MethodGet, "/v1/referrals/"+id+"/bundle?trusted_size="+itoa(trusted.Size), n.Auditor.Token, nil), http.StatusOK)
	b, err := audit.ParseBundle(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatal(err)
	}
	vb, err := audit.VerifyBundle(b, v)
	if err != nil {
		t.Fatalf("bundle does not verify: %v", err)
	}
	if vb.Checkpoint.Size <= trusted.Size {
		t.Fatalf("the referral came after the trusted checkpoint, yet the bundle's checkpoint has %d events, the trusted %d", vb.Checkpoint.Size, trusted.Size)
	}
	if b.Consistency == nil || b.Consistency.From != trusted.Size {
		t.Fatalf("bundle asked for against %d events carries consistency %+v", trusted.Size, b.Consistency)
	}
	if err := audit.CheckTrusted(b, vb, trusted); err != nil {
		t.Fatalf("the bundle's checkpoint is not shown to extend the trusted one: %v", err)
	}
	// Without the parameter there is no consistency proof, and the older
	// trusted checkpoint cannot be connected to the bundle.
	plain, vPlain := n.bundle(t, n.Auditor.Token, id, v)
	if plain.Consistency != nil {
		t.Fatal("a bundle asked for without trusted_size carries a consistency proof")
	}
	if err := audit.CheckTrusted(plain, vPlain, trusted); err == nil || !strings.Contains(err.Error(), "trusted_size=") {
		t.Fatalf("a bundle without the proof checked against an older checkpoint: %v", err)
	}

	for _, q := range []struct{ query, field string }{
		{"trusted_size=0", "trusted_size"}, {"trusted_size=x", "trusted_size"}, {"trusted_size=", "trusted_size"},
		{"trusted_size=" + itoa(1<<40), "trusted_size"}, {"decrypted=yes", "decrypted"}, {"decrypted=1", "decrypted"},
	} {
		r := want(t, n.do(t, http.MethodGet, "/v1/referrals/"+id+"/bundle?"+q.query, n.Auditor.Token, nil), http.StatusBadRequest)
		if !strings.Contains(string(r.Body), `"field":"`+q.field+`"`) {
			t.Errorf("?%s: problem does not name %s: %s", q.query, q.field, r.Body)
		}
	}
	// A mistyped ?trusted-size= would give a bundle without the proof, as
	// if none had been asked for: a parameter the bundle does not take, or
	// one given twice, is named (422).
	for _, q := range []struct{ query, field string }{
		{"trusted-size=" + itoa(trusted.Size), "query"}, {"trustedsize=1", "trustedsize"}, {"trusted_size=1&trusted_size=2", "trusted_size"},
	} {
		r := want(t, n.do(t, http.MethodGet, "/v1/referrals/"+id+"/bundle?"+q.query, n.Auditor.Token, nil), http.StatusUnprocessableEntity)
		if !strings.Contains(string(r.Body), `"field":"`+q.field+`"`) {
			t.Errorf("?%s: problem does not name %s: %s", q.query, q.field, r.Body)
		}
	}
}

// R-AUD-3: with ?decrypted=true a reader allowed to read the case (the
// history's access check) gets each event's payload as decrypted beside
// its stored bytes; the stored bytes and proofs are unchanged, someone
// without need to know gets nothing, and after the client's erasure the
// decrypted parts are gone and the bundle still verifies.
func TestRAUD3BundleDecryptedPartsForAllowedReaders(t *testing.T) {
	opt, v := withAuditSigner(t)
	n := newNetwork(t, opt)
	body := validReferral(n.OrgB, "Client Decrypted")
	body["urgent"] = true
	lc := n.runErasureLifecycle(t, body, "Can wait a fortnight.", "Rent arrears discussed.", "Rehoused.", "Risk of harm.")
	path := "/v1/referrals/" + lc.Closed + "/bundle?decrypted=true"

	fetch := func(token string) audit.Bundle {
		t.Helper()
		r := want(t, n.do(t, http.MethodGet, path, token, nil), http.StatusOK)
		b, err := audit.ParseBundle(bytes.NewReader(r.Body))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := audit.VerifyBundle(b, v); err != nil {
			t.Fatalf("bundle with decrypted parts does not verify: %v", err)
		}
		return b
	}
	for _, reader := range []struct {
		name, token string
	}{{"auditor", n.Auditor.Token}, {"receiving adviser", n.AdviserB.Token}} {
		b := fetch(reader.token)
		withPart := 0
		var all []byte
		for i, e := range b.Events {
			if e.Decrypted == nil {
				continue
			}
			withPart++
			all = append(all, e.Decrypted...)
			if err := ledger.CheckDecrypted(e.Type, e.SchemaVersion, e.Data, e.Decrypted); err != nil {
				t.Errorf("%s: event %d's decrypted part does not match its stored data: %v", reader.name, i, err)
			}
			if bytes.Contains(e.Data, []byte("Client Decrypted")) {
				t.Errorf("%s: event %d's stored data carries the client's name in the clear", reader.name, i)
			}
		}
		if withPart == 0 || !bytes.Contains(all, []byte("Client Decrypted")) || !bytes.Contains(all, []byte("Rent arrears discussed.")) {
			t.Fatalf("%s: %d decrypted parts, without the client's name or the note: %s", reader.name, withPart, all)
		}
	}
	// Not asked for: none.
	plain, _ := n.bundle(t, n.Auditor.Token, lc.Closed, v)
	for i, e := range plain.Events {
		if e.Decrypted != nil {
			t.Fatalf("event %d carries a decrypted part that was not asked for", i)
		}
	}
	want(t, n.do(t, http.MethodGet, path, n.AdviserC.Token, nil), http.StatusNotFound)

	n.erase(t, lc.Client, "The client asked to be forgotten.")
	after := fetch(n.Auditor.Token)
	for i, e := range after.Events {
		if e.Decrypted != nil {
			t.Errorf("after erasure event %d still carries a decrypted part: %s", i, e.Decrypted)
		}
		if i < len(plain.Events) && !bytes.Equal(e.Data, plain.Events[i].Data) {
			t.Errorf("after erasure event %d's stored data changed", i)
		}
	}
}
