package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/keystore"
)

// Issue 14, point 4: one transaction commits every new key queued for it;
// two requests for one client in a batch agree on the first one's key, and
// a request whose caller has gone is not written.
func TestCreateBatchCommitsKeysTogether_Issue14(t *testing.T) {
	kek := keystore.GenerateMasterKey()
	s, err := Open(filepath.Join(t.TempDir(), "keys.db"), kek)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	ctx := context.Background()
	gone, cancel := context.WithCancel(ctx)
	cancel()
	a, b, c := uuid.New(), uuid.New(), uuid.New()
	keyA1, keyA2, keyB := keystore.DataKey{1}, keystore.DataKey{2}, keystore.DataKey{3}
	newReq := func(ctx context.Context, client uuid.UUID, key keystore.DataKey) *createReq {
		return &createReq{ctx: ctx, clientID: client, kekID: kek.ID, wrapped: keystore.Wrap(kek, client, key),
			done: make(chan createRes, 1)}
	}
	batch := []*createReq{newReq(ctx, a, keyA1), newReq(ctx, b, keyB), newReq(ctx, a, keyA2), newReq(gone, c, keyB)}
	s.commitKeys(batch)

	want := []struct {
		client uuid.UUID
		key    keystore.DataKey
	}{{a, keyA1}, {b, keyB}, {a, keyA1}}
	for i, w := range want {
		res := <-batch[i].done
		if res.err != nil {
			t.Fatalf("request %d: %v", i, res.err)
		}
		got, err := s.resolve(ctx, w.client, res.r)
		if err != nil || got != w.key {
			t.Errorf("request %d: answered with another key (%v)", i, err)
		}
		if stored, err := s.Get(ctx, w.client); err != nil || stored != w.key {
			t.Errorf("request %d: the store holds another key (%v)", i, err)
		}
	}
	if res := <-batch[3].done; !errors.Is(res.err, context.Canceled) {
		t.Errorf("abandoned request: %v, want context.Canceled", res.err)
	}
	if _, err := s.Get(ctx, c); !errors.Is(err, keystore.ErrNotFound) {
		t.Errorf("abandoned request's key: Get = %v, want ErrNotFound", err)
	}
}
