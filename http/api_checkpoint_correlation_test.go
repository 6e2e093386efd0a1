package http

import (
	"context"
	"net/http"
	"testing"

	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
)

// lastCheckpointEvent returns the newest audit.checkpoint_signed event.
func lastCheckpointEvent(tb testing.TB, s eventstore.Store) eventstore.RecordedEvent {
	tb.Helper()
	evs, err := s.ReadStream(context.Background(), ledger.CheckpointStream, 0, 0)
	if err != nil || len(evs) == 0 {
		tb.Fatalf("no checkpoint recorded: %v", err)
	}
	return evs[len(evs)-1]
}

// TestOnDemandCheckpointCarriesTheRequestsIds_LEDGER3: a checkpoint the
// signing node signs because a request needed one (the first checkpoint
// asked for, a case bundle of a case no checkpoint covers yet) is
// recorded with that request's correlation and causation ids, as the
// read of the case the bundle records is, so the ledger ties it to the
// request that caused it. Both were recorded under ids of their own that
// nothing else in the ledger carries.
func TestOnDemandCheckpointCarriesTheRequestsIds_LEDGER3(t *testing.T) {
	opt, _ := withAuditSigner(t)
	n := newNetwork(t, opt)

	r := want(t, n.do(t, http.MethodGet, "/v1/ledger/checkpoint", n.Auditor.Token, nil), http.StatusOK)
	id := r.Header.Get("X-Request-Id")
	if ev := lastCheckpointEvent(t, n.Store); id == "" || ev.Metadata.CorrelationID != id || ev.Metadata.CausationID != id {
		t.Errorf("the checkpoint signed for GET /v1/ledger/checkpoint (request %s) records correlation %q, causation %q",
			id, ev.Metadata.CorrelationID, ev.Metadata.CausationID)
	}

	referral := n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client One") // after the checkpoint
	before := lastCheckpointEvent(t, n.Store).Position
	r = want(t, n.do(t, http.MethodGet, "/v1/referrals/"+referral+"/bundle", n.Auditor.Token, nil), http.StatusOK)
	id = r.Header.Get("X-Request-Id")
	ev := lastCheckpointEvent(t, n.Store)
	if ev.Position == before {
		t.Fatal("the bundle signed no checkpoint: nothing to check")
	}
	if id == "" || ev.Metadata.CorrelationID != id || ev.Metadata.CausationID != id {
		t.Errorf("the checkpoint signed for the case bundle (request %s) records correlation %q, causation %q",
			id, ev.Metadata.CorrelationID, ev.Metadata.CausationID)
	}
}
