package http

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

// TestErasureCarriedOutUnderIfMatch_LEDGER2_PRIV3: a coordinator who
// carries out an erasure with If-Match naming the revision the client's
// case is at gets 200 "carried_out", and the erasure is complete (the
// key destroyed and client.erased recorded, R-PRIV-3). The precondition
// is the decision's: the erasure's own completion, written after it, is
// not held to it. Before, the completion was refused 412 for the
// revision the decision had just moved on, so the caller heard "read it
// again and retry" about an erasure whose key was already destroyed.
func TestErasureCarriedOutUnderIfMatch_LEDGER2_PRIV3(t *testing.T) {
	n := newNetwork(t)
	client := want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserA.Token, nil), http.StatusOK).str("client_id")
	request := want(t, n.requestErasure(t, n.AdviserA.Token, client, "The client asked us to."), http.StatusCreated).str("id")

	stream := ledger.ClientStream(uuid.MustParse(client))
	evs, err := n.Store.ReadStream(context.Background(), stream, 0, 0)
	if err != nil || len(evs) == 0 {
		t.Fatalf("the client's stream: %d events, %v", len(evs), err)
	}
	at := `"` + strconv.FormatUint(evs[len(evs)-1].Revision, 10) + `"`

	r := want(t, n.do(t, http.MethodPost, "/v1/erasure-requests/"+request+"/decision", n.Admin.Token,
		map[string]any{"carry_out": true, "reason": "the client's right to erasure"}, "If-Match", at), http.StatusOK)
	if r.str("status") != "carried_out" {
		t.Fatalf("decision answered %s", r.Body)
	}
	evs, err = n.Store.ReadStream(context.Background(), stream, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if last := evs[len(evs)-1].Type; last != domain.ClientErasedType {
		t.Fatalf("the client's stream ends with %s, want %s: the erasure was left unfinished", last, domain.ClientErasedType)
	}
}
