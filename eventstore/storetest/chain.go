package storetest

import (
	"testing"

	"github.com/referral-ledger/ledger/eventstore"
)

// R-LEDGER-4: every event carries its predecessor's hash, the first of each
// stream the genesis hash, and every chain the store builds verifies.
func testChainVerifies(t *testing.T, newStore Factory) {
	s, _ := newStore(t)
	for i := range 12 {
		stream := []string{"a", "b", "c"}[i%3]
		mustAppend(t, s, stream, eventstore.Any(), events(1+i%3, "x")...)
	}
	all := readAll(t, s)
	v := eventstore.NewChainVerifier()
	prev := map[string]string{}
	for _, ev := range all {
		want, ok := prev[ev.Stream]
		if !ok {
			want = eventstore.GenesisHash
		}
		if ev.Metadata.PrevHash != want {
			t.Errorf("%s/%d: PrevHash %s, want %s", ev.Stream, ev.Revision, ev.Metadata.PrevHash, want)
		}
		prev[ev.Stream] = ev.Metadata.Hash
		if err := v.Check(ev); err != nil {
			t.Errorf("ChainVerifier: %v", err)
		}
	}

	rep, err := eventstore.VerifyAll(ctxFor(t), s)
	if err != nil {
		t.Fatalf("VerifyAll: %v", err)
	}
	want := eventstore.VerifyReport{Events: len(all), Streams: 3, Last: all[len(all)-1].Position}
	if rep != want {
		t.Errorf("VerifyAll report = %+v, want %+v", rep, want)
	}
}
