package main

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/referral-ledger/ledger/eventstore/sqlite"
	"github.com/referral-ledger/ledger/ledger"
)

// TestWebBundleCheckpointCarriesTheRequestsIds_LEDGER3: a case bundle
// downloaded from the web interface, or an auditor's history page, for a
// case no checkpoint covers yet has one signed, recorded with the
// request's correlation and causation ids, as the API's bundle does. It
// was recorded under ids of its own.
func TestWebBundleCheckpointCarriesTheRequestsIds_LEDGER3(t *testing.T) {
	auditKeys(t)
	n := newSearchNetwork(t)
	auditor := n.signedIn(t, "audrey", auditorPassword)
	if d := auditor.get("/ledger-checkpoint.txt"); d.status != http.StatusOK {
		t.Fatalf("checkpoint: %d %s", d.status, d.body)
	}
	id, _, _ := n.makeReferral(t, "Later Client") // after every checkpoint so far
	b := auditor.get("/referrals/" + id + "/bundle")
	if b.status != http.StatusOK {
		t.Fatalf("bundle: %d %s", b.status, b.body)
	}
	checkSigned(t, n.dir, "the bundle", b.header.Get("X-Request-Id"))

	// The auditor's history page proves the case's events against a
	// checkpoint covering them, signing one as the bundle does.
	id, _, _ = n.makeReferral(t, "Latest Client")
	h := auditor.get("/referrals/" + id + "/history")
	if h.status != http.StatusOK {
		t.Fatalf("history: %d %s", h.status, h.body)
	}
	checkSigned(t, n.dir, "the history page", h.header.Get("X-Request-Id"))
}

// checkSigned fails the test unless the latest checkpoint recorded in the
// ledger in dir carries request as its correlation and causation ids.
func checkSigned(t *testing.T, dir, what, request string) {
	t.Helper()
	s, err := sqlite.OpenReadOnly(filepath.Join(dir, eventsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	evs, err := s.ReadStream(context.Background(), ledger.CheckpointStream, 0, 0)
	if err != nil || len(evs) == 0 {
		t.Fatalf("no checkpoint recorded: %v", err)
	}
	m := evs[len(evs)-1].Metadata
	if request == "" || m.CorrelationID != request || m.CausationID != request {
		t.Errorf("the checkpoint signed for %s (request %q) records correlation %q, causation %q",
			what, request, m.CorrelationID, m.CausationID)
	}
}
