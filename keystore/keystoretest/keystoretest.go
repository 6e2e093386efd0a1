// Package keystoretest is the contract every keystore backend must pass: one
// suite, run by each backend's own tests (and by the cache in front of one),
// so the SQLite backend and the PostgreSQL one to come cannot drift apart.
//
//	func TestContract(t *testing.T) { keystoretest.Run(t, newStore) }
package keystoretest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/keystore"
)

// Factory returns a new, empty store wrapping keys under kek, and arranges
// (with tb.Cleanup) for it to be closed; the suite may close it first, so
// Close must be safe to repeat. reopen opens the same store again under the
// given master key after the suite has closed the first, returning Open's
// error (the suite closes what it returns).
type Factory func(tb testing.TB, kek keystore.MasterKey) (store keystore.Store, reopen func(kek keystore.MasterKey) (keystore.Store, error))

// timeout bounds every call in the suite; it only turns a hang into a
// failure.
const timeout = 15 * time.Second

// Run runs the whole contract against stores made by newStore, one fresh
// store per case.
func Run(t *testing.T, newStore Factory) {
	cases := []struct {
		name string
		run  func(*testing.T, Factory)
	}{
		{"CreateThenGet_R-PRIV-1", testCreateThenGet},
		{"CreateIsIdempotent", testCreateIdempotent},
		{"ConcurrentCreateOneKey", testConcurrentCreate},
		{"GetUnknownNotFound", testGetUnknown},
		{"DestroyRefusesGetAndCreate_R-PRIV-3", testDestroy},
		{"DestroyNeverCreated_R-PRIV-3", testDestroyNeverCreated},
		{"DestroyLeavesOthers", testDestroyLeavesOthers},
		{"ReopenKeepsKeysAndTombstones", testReopen},
		{"RewrapThenReopen", testRewrap},
		{"ReopenWithWrongMasterKeyNamesIt", testWrongMasterKey},
		{"ClosedStoreUnavailable", testClosed},
		{"CanceledContextNotAnAnswer", testCanceled},
		{"CheckEachAnswersAsGet_R-OPS-4", testCheckEach},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, newStore) })
	}
}

func ctxFor(tb testing.TB) context.Context {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	tb.Cleanup(cancel)
	return ctx
}

func mustCreate(tb testing.TB, s keystore.Store, id uuid.UUID) keystore.DataKey {
	tb.Helper()
	k, err := s.Create(ctxFor(tb), id)
	if err != nil {
		tb.Fatalf("Create: %v", err)
	}
	return k
}

func mustGet(tb testing.TB, s keystore.Store, id uuid.UUID) keystore.DataKey {
	tb.Helper()
	k, err := s.Get(ctxFor(tb), id)
	if err != nil {
		tb.Fatalf("Get: %v", err)
	}
	return k
}

func mustClose(tb testing.TB, s keystore.Store) {
	tb.Helper()
	if err := s.Close(); err != nil {
		tb.Fatalf("Close: %v", err)
	}
}

func mustReopen(tb testing.TB, reopen func(keystore.MasterKey) (keystore.Store, error), kek keystore.MasterKey) keystore.Store {
	tb.Helper()
	s, err := reopen(kek)
	if err != nil {
		tb.Fatalf("reopen: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// wantErr fails unless err matches want and matches none of the other
// outcomes a caller acts on.
func wantErr(tb testing.TB, call string, err, want error) {
	tb.Helper()
	if !errors.Is(err, want) {
		tb.Errorf("%s = %v, want %v", call, err, want)
		return
	}
	for _, other := range []error{keystore.ErrNotFound, keystore.ErrDestroyed, keystore.ErrUnavailable} {
		if other != want && errors.Is(err, other) {
			tb.Errorf("%s = %v: matches %v as well as %v", call, err, other, want)
		}
	}
}

// R-PRIV-1: every client gets a key of their own, and reads return it.
func testCreateThenGet(t *testing.T, newStore Factory) {
	s, _ := newStore(t, keystore.GenerateMasterKey())
	a, b := uuid.New(), uuid.New()
	ka, kb := mustCreate(t, s, a), mustCreate(t, s, b)
	if ka == kb {
		t.Fatal("two clients got the same key")
	}
	if ka == (keystore.DataKey{}) {
		t.Fatal("Create returned the zero key")
	}
	if got := mustGet(t, s, a); got != ka {
		t.Error("Get(a) differs from Create(a)")
	}
	if got := mustGet(t, s, b); got != kb {
		t.Error("Get(b) differs from Create(b)")
	}
}

func testCreateIdempotent(t *testing.T, newStore Factory) {
	s, _ := newStore(t, keystore.GenerateMasterKey())
	id := uuid.New()
	first := mustCreate(t, s, id)
	if mustCreate(t, s, id) != first {
		t.Error("a second Create returned a different key")
	}
}

// Two requests for a new client at once must agree on its key, or data
// written under one key is lost to the other.
func testConcurrentCreate(t *testing.T, newStore Factory) {
	s, _ := newStore(t, keystore.GenerateMasterKey())
	id := uuid.New()
	const n = 16
	keys := make([]keystore.DataKey, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			keys[i], errs[i] = s.Create(ctxFor(t), id)
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Create %d: %v", i, errs[i])
		}
		if keys[i] != keys[0] {
			t.Fatalf("Create %d returned a different key from Create 0", i)
		}
	}
	if mustGet(t, s, id) != keys[0] {
		t.Error("Get differs from the concurrent Creates")
	}
}

func testGetUnknown(t *testing.T, newStore Factory) {
	s, _ := newStore(t, keystore.GenerateMasterKey())
	mustCreate(t, s, uuid.New())
	_, err := s.Get(ctxFor(t), uuid.New())
	wantErr(t, "Get(unknown)", err, keystore.ErrNotFound)
}

// R-PRIV-3: a destroyed key is gone for good: not readable, not recreated,
// and destroying again is harmless.
func testDestroy(t *testing.T, newStore Factory) {
	s, _ := newStore(t, keystore.GenerateMasterKey())
	id := uuid.New()
	mustCreate(t, s, id)
	ctx := ctxFor(t)
	if err := s.Destroy(ctx, id); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	_, err := s.Get(ctx, id)
	wantErr(t, "Get after Destroy", err, keystore.ErrDestroyed)
	_, err = s.Create(ctx, id)
	wantErr(t, "Create after Destroy", err, keystore.ErrDestroyed)
	if err := s.Destroy(ctx, id); err != nil {
		t.Errorf("second Destroy: %v", err)
	}
	_, err = s.Get(ctx, id)
	wantErr(t, "Get after second Destroy", err, keystore.ErrDestroyed)
}

// R-PRIV-3: erasing a client whose key was never created still stops one
// being created later.
func testDestroyNeverCreated(t *testing.T, newStore Factory) {
	s, _ := newStore(t, keystore.GenerateMasterKey())
	id := uuid.New()
	ctx := ctxFor(t)
	if err := s.Destroy(ctx, id); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	_, err := s.Create(ctx, id)
	wantErr(t, "Create after Destroy", err, keystore.ErrDestroyed)
	_, err = s.Get(ctx, id)
	wantErr(t, "Get after Destroy", err, keystore.ErrDestroyed)
}

func testDestroyLeavesOthers(t *testing.T, newStore Factory) {
	s, _ := newStore(t, keystore.GenerateMasterKey())
	gone, kept := uuid.New(), uuid.New()
	mustCreate(t, s, gone)
	k := mustCreate(t, s, kept)
	if err := s.Destroy(ctxFor(t), gone); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	if mustGet(t, s, kept) != k {
		t.Error("Destroy of one client changed another's key")
	}
}

func testReopen(t *testing.T, newStore Factory) {
	kek := keystore.GenerateMasterKey()
	s, reopen := newStore(t, kek)
	kept, gone := uuid.New(), uuid.New()
	k := mustCreate(t, s, kept)
	mustCreate(t, s, gone)
	if err := s.Destroy(ctxFor(t), gone); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	mustClose(t, s)
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}

	s = mustReopen(t, reopen, kek)
	if mustGet(t, s, kept) != k {
		t.Error("key changed across reopen")
	}
	_, err := s.Get(ctxFor(t), gone)
	wantErr(t, "Get(destroyed) after reopen", err, keystore.ErrDestroyed)
	_, err = s.Create(ctxFor(t), gone)
	wantErr(t, "Create(destroyed) after reopen", err, keystore.ErrDestroyed)
}

// rotate-master-key: every key survives rewrapping and reopening under the
// new master key; the old one no longer opens the store.
func testRewrap(t *testing.T, newStore Factory) {
	old, next := keystore.GenerateMasterKey(), keystore.GenerateMasterKey()
	s, reopen := newStore(t, old)
	ids := []uuid.UUID{uuid.New(), uuid.New(), uuid.New()}
	keys := map[uuid.UUID]keystore.DataKey{}
	for _, id := range ids {
		keys[id] = mustCreate(t, s, id)
	}
	gone := uuid.New()
	mustCreate(t, s, gone)
	if err := s.Destroy(ctxFor(t), gone); err != nil {
		t.Fatal(err)
	}

	n, err := s.Rewrap(ctxFor(t), next)
	if err != nil {
		t.Fatalf("Rewrap: %v", err)
	}
	if n != len(ids) {
		t.Errorf("Rewrap = %d, want %d", n, len(ids))
	}
	if n, err := s.Rewrap(ctxFor(t), next); err != nil || n != 0 {
		t.Errorf("Rewrap again = %d, %v; want 0, nil", n, err)
	}
	for _, id := range ids {
		if mustGet(t, s, id) != keys[id] {
			t.Error("key changed by Rewrap")
		}
	}
	added := uuid.New()
	keys[added] = mustCreate(t, s, added)
	mustClose(t, s)

	s = mustReopen(t, reopen, next)
	for id, k := range keys {
		if mustGet(t, s, id) != k {
			t.Error("key changed across Rewrap and reopen")
		}
	}
	_, err = s.Get(ctxFor(t), gone)
	wantErr(t, "Get(destroyed) after Rewrap", err, keystore.ErrDestroyed)
	mustClose(t, s)

	checkWrongKey(t, reopen, old, next.ID, added)
}

func testWrongMasterKey(t *testing.T, newStore Factory) {
	kek := keystore.GenerateMasterKey()
	s, reopen := newStore(t, kek)
	id := uuid.New()
	mustCreate(t, s, id)
	mustClose(t, s)
	checkWrongKey(t, reopen, keystore.GenerateMasterKey(), kek.ID, id)
}

// checkWrongKey reopens under wrong, a key other than the one (with id
// rightID) that wrapped the keys, and expects ErrWrongMasterKey naming
// rightID, from reopen itself or at the latest from Get(id).
func checkWrongKey(t *testing.T, reopen func(keystore.MasterKey) (keystore.Store, error),
	wrong keystore.MasterKey, rightID string, id uuid.UUID) {
	t.Helper()
	s, err := reopen(wrong)
	if err == nil {
		t.Cleanup(func() { _ = s.Close() })
		_, err = s.Get(ctxFor(t), id)
	}
	wantErr(t, "reopen or Get under the wrong master key", err, keystore.ErrWrongMasterKey)
	if err != nil && !strings.Contains(err.Error(), rightID) {
		t.Errorf("error %q does not name the master key id %s the keys are wrapped under", err, rightID)
	}
}

// A store that cannot answer must say so: never "not found", never
// "destroyed" (which would show a client as erased).
func testClosed(t *testing.T, newStore Factory) {
	s, _ := newStore(t, keystore.GenerateMasterKey())
	id := uuid.New()
	mustCreate(t, s, id)
	mustClose(t, s)
	ctx := ctxFor(t)
	_, err := s.Get(ctx, id)
	wantErr(t, "Get after Close", err, keystore.ErrUnavailable)
	_, err = s.Get(ctx, uuid.New())
	wantErr(t, "Get(unknown) after Close", err, keystore.ErrUnavailable)
	_, err = s.Create(ctx, uuid.New())
	wantErr(t, "Create after Close", err, keystore.ErrUnavailable)
	wantErr(t, "Destroy after Close", s.Destroy(ctx, id), keystore.ErrUnavailable)
	_, err = s.Rewrap(ctx, keystore.GenerateMasterKey())
	wantErr(t, "Rewrap after Close", err, keystore.ErrUnavailable)
}

func testCanceled(t *testing.T, newStore Factory) {
	s, _ := newStore(t, keystore.GenerateMasterKey())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	id := uuid.New()
	if _, err := s.Get(ctx, id); err == nil || errors.Is(err, keystore.ErrNotFound) || errors.Is(err, keystore.ErrDestroyed) {
		t.Errorf("Get with a canceled context = %v, want an error that is neither ErrNotFound nor ErrDestroyed", err)
	}
	if _, err := s.Create(ctx, id); err == nil {
		t.Error("Create with a canceled context succeeded")
	}
	if err := s.Destroy(ctx, id); err == nil {
		t.Error("Destroy with a canceled context succeeded")
	}
	if _, err := s.Get(ctxFor(t), id); !errors.Is(err, keystore.ErrNotFound) {
		t.Errorf("Get after the canceled calls = %v, want ErrNotFound", err)
	}
}

// R-OPS-4: the start-up key check reads every client's key in one pass
// (keystore.Checker) and must find what one Get per client finds: a key
// that opens, a destroyed one, one never created; directly and through
// the cache.
func testCheckEach(t *testing.T, newStore Factory) {
	s, _ := newStore(t, keystore.GenerateMasterKey())
	ctx := ctxFor(t)
	kept, erased, never := uuid.New(), uuid.New(), uuid.New()
	mustCreate(t, s, kept)
	mustCreate(t, s, erased)
	for range 50 { // others the check is not asked about
		mustCreate(t, s, uuid.New())
	}
	if err := s.Destroy(ctx, erased); err != nil {
		t.Fatalf("Destroy: %v", err)
	}
	ids := []uuid.UUID{kept, erased, never}
	for _, via := range []struct {
		name  string
		store keystore.Store
	}{{"store", s}, {"cache", keystore.NewCached(s, 8)}} {
		if _, ok := via.store.(keystore.Checker); !ok {
			t.Logf("%s: not a keystore.Checker, checked by one Get per client", via.name)
		}
		got := map[uuid.UUID]error{}
		if err := keystore.CheckEachOf(ctx, via.store, ids, func(id uuid.UUID, err error) {
			if _, twice := got[id]; twice {
				t.Errorf("%s: client reported twice", via.name)
			}
			got[id] = err
		}); err != nil {
			t.Fatalf("%s: CheckEachOf: %v", via.name, err)
		}
		if len(got) != len(ids) {
			t.Fatalf("%s: %d clients reported, want %d", via.name, len(got), len(ids))
		}
		for _, id := range ids {
			_, want := s.Get(ctx, id)
			if !errors.Is(got[id], want) && (got[id] != nil || want != nil) {
				t.Errorf("%s: CheckEach says %v where Get says %v", via.name, got[id], want)
			}
		}
		if got[kept] != nil {
			t.Errorf("%s: the kept key: %v", via.name, got[kept])
		}
	}
}
