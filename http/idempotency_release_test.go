package http

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/idempotency"
)

// releaseFailing is an idempotency store whose Release fails while fail
// is above zero, as one does on a full disk or a file another process
// keeps locked; released is closed once a release has worked.
type releaseFailing struct {
	idempotency.Store
	fail     atomic.Int32
	once     sync.Once
	released chan struct{}
}

func newReleaseFailing(t *testing.T, failures int32) *releaseFailing {
	inner, _ := openTestIdempotencyStore(t)
	s := &releaseFailing{Store: inner, released: make(chan struct{})}
	s.fail.Store(failures)
	return s
}

func (s *releaseFailing) Release(ctx context.Context, scope, key string) error {
	if s.fail.Add(-1) >= 0 {
		return errors.New("idempotency store: release: database or disk is full (13)")
	}
	err := s.Store.Release(ctx, scope, key)
	if err == nil {
		s.once.Do(func() { close(s.released) })
	}
	return err
}

// waitReleased waits until a release of s has worked, failing the test
// if none has within ten seconds (the background retries wait 0.1, 0.2,
// 0.4 s ... between attempts).
func (s *releaseFailing) waitReleased(t *testing.T) {
	t.Helper()
	select {
	case <-s.released:
	case <-time.After(10 * time.Second):
		t.Fatal("the key was never given up once the store worked again")
	}
}

// TestIdempotencyKeyFreedAfterAFailedRelease_OPS1: a create that failed
// for a passing reason (503) gives its Idempotency-Key up, so that the
// retry runs. When giving it up failed too (the store briefly full or
// locked), the key stayed claimed as if the first request were still
// running: every retry with it got 409 "still being processed" until the
// key expired a day later or the server restarted. The key is given up
// again in the background until it works, and the retry then runs and
// creates, once (R-OPS-1).
func TestIdempotencyKeyFreedAfterAFailedRelease_OPS1(t *testing.T) {
	store := newReleaseFailing(t, 2)
	engine, _, _ := testEngine(t)
	user := uuid.New()
	var calls atomic.Int32
	engine.POST("/v1/things", func(c *gin.Context) { setUserID(c, user) }, idempotent(store, nil), func(c *gin.Context) {
		if calls.Add(1) == 1 {
			writeError(c, domain.Errorf(domain.Unavailable, "the store is unavailable"))
			return
		}
		c.JSON(http.StatusCreated, gin.H{"id": uuid.NewString()})
	})
	post := func() int {
		return sendRequest(t, engine, http.MethodPost, "/v1/things", `{"name":"x"}`,
			"Content-Type", "application/json", idempotencyKeyHeader, "retry-me").Code
	}
	if got := post(); got != http.StatusServiceUnavailable {
		t.Fatalf("first request: %d, want 503", got)
	}
	store.waitReleased(t)
	if got := post(); got != http.StatusCreated {
		t.Fatalf("the retry once the store works again: %d, want 201 (the key is still claimed)", got)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("the handler ran %d times, want 2", n)
	}
	if got := post(); got != http.StatusCreated {
		t.Errorf("a further retry: %d, want the stored 201", got)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("the handler ran %d times after the replay, want 2", n)
	}
}

// TestFormKeyFreedAfterAFailedRelease_OPS1: the same for a web form's
// one-time key: a sending that failed and could not give its key up left
// the form "still being sent" until the key expired; it is given up in
// the background, and the form can be sent again.
func TestFormKeyFreedAfterAFailedRelease_OPS1(t *testing.T) {
	store := newReleaseFailing(t, 2)
	keys := formKeys{store: store}
	ctx, fp := context.Background(), [32]byte{1}
	if _, err := keys.Claim(ctx, "web:u", "form-1", fp, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := keys.Release(ctx, "web:u", "form-1"); err == nil {
		t.Fatal("the release did not fail")
	}
	store.waitReleased(t)
	if _, err := keys.Claim(ctx, "web:u", "form-1", fp, time.Now()); err != nil {
		t.Fatalf("sending the form again once the store works: %v (the key is still claimed)", err)
	}
}
