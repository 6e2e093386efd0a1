package http

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/ledger"
)

// ctxStorage keys the server's *storageEpisodes in a gin.Context.
const ctxStorage = "ledger.storage"

// maxCausesLogged bounds how many distinct causes one episode logs.
const maxCausesLogged = 16

// storageEpisodes logs full storage once per episode, not once per request
// (R-OPS-4): the first refusal of each distinct cause (which file or store,
// which error) is logged as an error; later ones are only counted. The
// episode ends at the next write that succeeds, which is logged with how
// many requests were refused meanwhile.
type storageEpisodes struct {
	mu      sync.Mutex
	causes  map[string]bool // the causes logged in the current episode
	refusal int             // requests refused in the current episode
	last    time.Time       // when the last of them was refused
	now     func() time.Time
}

// storageFullHold is how long after a write refused for full storage
// /readyz answers 503: a load balancer sends the node no more work
// meanwhile, and, with no write to end the episode while it gets none,
// readiness comes back after it to let writes try again (a refused one
// starts another hold; one that succeeds ends the episode at once).
const storageFullHold = 30 * time.Second

func newStorageEpisodes(now func() time.Time) *storageEpisodes {
	return &storageEpisodes{causes: map[string]bool{}, now: now}
}

// refused records a request answered 507 because of err.
func (e *storageEpisodes) refused(log zerolog.Logger, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.refusal++
	e.last = e.now()
	cause := err.Error()
	if e.causes[cause] || len(e.causes) >= maxCausesLogged {
		return
	}
	e.causes[cause] = true
	log.Error().Err(err).Msg("storage is full: writes are refused with 507 until space is freed; " +
		"this cause is logged once until a write succeeds again")
}

// full reports whether an episode is on: a write was refused for full
// storage and none has succeeded since.
func (e *storageEpisodes) full() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.refusal > 0
}

// refusedWithin reports whether an episode is on and its last refusal was
// within hold of now.
func (e *storageEpisodes) refusedWithin(hold time.Duration) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.refusal > 0 && e.now().Sub(e.last) < hold
}

// wrote records a write that succeeded, which ends an episode.
func (e *storageEpisodes) wrote(log zerolog.Logger) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.refusal == 0 {
		return
	}
	log.Warn().Int("refused_requests", e.refusal).Msg("storage accepts writes again")
	e.refusal = 0
	clear(e.causes)
}

// track makes the episodes available to writeError and ends an episode
// when a write succeeds. While an episode is on, every reader under the
// engine, API and web pages alike, records a read before it answers it, so
// none is answered whose record cannot be kept (R-OPS-4, R-LOCK-9).
func (e *storageEpisodes) track(c *gin.Context) {
	c.Set(ctxStorage, e)
	if e.full() {
		c.Request = c.Request.WithContext(ledger.WithReadsRecordedFirst(c.Request.Context()))
	}
	c.Next()
	if c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead && c.Writer.Status() < 300 {
		e.wrote(*zerolog.Ctx(c.Request.Context()))
	}
}

// storageOf returns the episodes track set, or a throw-away tracker.
func storageOf(c *gin.Context) *storageEpisodes {
	if e, ok := c.Value(ctxStorage).(*storageEpisodes); ok {
		return e
	}
	return newStorageEpisodes(time.Now)
}

// requestTimeout bounds every request (R-OPS-4): its context ends after d,
// so each wait on the store or the views gives up and the request answers
// 503 with Retry-After. d <= 0 sets no limit.
func requestTimeout(d time.Duration) gin.HandlerFunc {
	return func(c *gin.Context) {
		if d <= 0 {
			c.Next()
			return
		}
		ctx, cancel := context.WithTimeout(c.Request.Context(), d)
		defer cancel()
		c.Request = c.Request.WithContext(ctx)
		c.Next()
	}
}
