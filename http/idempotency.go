package http

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/domain"
)

// IdempotencyTTL is how long the first result of an idempotent request is
// kept: the same key can be retried for 24 hours.
const IdempotencyTTL = 24 * time.Hour

// idempotencyKeyHeader is the request header of API.md's Idempotency-Key.
const idempotencyKeyHeader = "Idempotency-Key"

// IdempotencyStore keeps, per scope (a user id) and Idempotency-Key, the
// fingerprint of the first request and, once it succeeded, its response.
// Implementations must make Claim atomic. Response bodies reach the store
// already sealed (see idempotent); the store treats them as opaque bytes.
type IdempotencyStore interface {
	// Claim starts a request. It returns (nil, nil) when the caller now
	// holds the key and must Complete or Release it; the stored response
	// when the key's request with the same fingerprint has completed; an
	// Invalid error when the key was used with a different fingerprint; a
	// Conflict error while the key's first request is still in flight.
	// Entries created at or before now-IdempotencyTTL count as absent.
	Claim(ctx context.Context, scope, key string, fingerprint [32]byte, now time.Time) (*IdempotentResponse, error)
	// Complete stores the response of a claimed key.
	Complete(ctx context.Context, scope, key string, resp IdempotentResponse) error
	// Release gives up a claimed key that has no response, so it can be
	// used again.
	Release(ctx context.Context, scope, key string) error
	// Purge deletes the entries that have expired at now and returns how
	// many it deleted.
	Purge(ctx context.Context, now time.Time) (int64, error)
	// Close releases the store's resources.
	Close() error
}

// IdempotentResponse is the stored first result of an idempotent request.
// Body is sealed: it is the response encrypted with a key derived from the
// request, see sealResponse.
type IdempotentResponse struct {
	Status      int
	ContentType string
	Location    string
	ETag        string
	Body        []byte
}

// idempotent makes a creating POST idempotent (API.md): with an
// Idempotency-Key header, the first request runs and, if it succeeds (2xx),
// its status, Content-Type, Location and ETag are stored; a retry with the
// same key, route and body gets them again, with Idempotent-Replayed: true,
// without running the handler. A handler whose answer holds client data
// names the resource it made (setReplay): only that reference is stored,
// and a replay reads the resource again through today's access and erasure
// rules (render), so an erased client's data comes back erased and a
// caller locked out since gets the lock's answer (R-PRIV-8). Other answers
// are stored sealed (sealResponse) and repeated. The same key with a different body is
// 422; a retry while the first is still running is 409; a key that is not
// 1–255 printable ASCII characters is 400. A failed first request (non-2xx
// or a panic) releases the key. Without the header the request runs as
// usual.
//
// It reads the body itself (413 over the limit) and hands the handler an
// identical copy. Use it per route, after the middleware that calls
// setUserID: keys are scoped to the user.
//
//	r.POST("/v1/referrals", authenticated, idempotent(store), s.createReferral)
func idempotent(store IdempotencyStore, render replayRenderer) gin.HandlerFunc {
	return func(c *gin.Context) {
		if _, present := c.Request.Header[idempotencyKeyHeader]; !present {
			c.Next()
			return
		}
		key := c.GetHeader(idempotencyKeyHeader)
		if !validIdempotencyKey(key) {
			writeError(c, malformed(idempotencyKeyHeader+" must be 1 to 255 printable ASCII characters",
				domain.FieldError{Field: idempotencyKeyHeader, Message: "must be 1 to 255 printable ASCII characters"}))
			return
		}
		user, ok := userIDFrom(c)
		if !ok {
			writeError(c, errors.New("idempotent is used on a route without a signed-in user"))
			return
		}
		body, err := readBody(c)
		if err != nil {
			writeError(c, err)
			return
		}
		c.Request.Body = io.NopCloser(bytes.NewReader(body))

		req := requestBytes(c.Request.Method, c.FullPath(), body)
		scope, ctx := user.String(), c.Request.Context()
		stored, err := store.Claim(ctx, scope, key, sha256.Sum256(req), time.Now())
		if err != nil {
			writeError(c, err)
			return
		}
		if stored != nil {
			replay(c, req, scope, key, stored, render)
			return
		}

		// Stores outlive a client that hangs up: finish the bookkeeping.
		ctx = context.WithoutCancel(ctx)
		completed := false
		defer func() { // also runs when the handler panics
			if !completed {
				if err := store.Release(ctx, scope, key); err != nil {
					zerolog.Ctx(ctx).Error().Err(err).Msg("releasing an idempotency key")
				}
			}
		}()
		rec := &recorder{ResponseWriter: c.Writer}
		c.Writer = rec
		c.Next()
		c.Writer = rec.ResponseWriter

		status := rec.Status()
		if status < 200 || status > 299 {
			return
		}
		h := rec.Header()
		resp := IdempotentResponse{Status: status, ContentType: h.Get("Content-Type"),
			Location: h.Get("Location"), ETag: h.Get("ETag"), Body: rec.body.Bytes()}
		if ref, ok := replayOf(c); ok {
			resp.ContentType, resp.ETag = replayRefType, ""
			resp.Body, err = json.Marshal(ref)
		}
		if err == nil {
			resp.Body, err = sealResponse(req, scope, key, resp.Body)
		}
		if err == nil {
			err = store.Complete(ctx, scope, key, resp)
		}
		if err != nil { // the client has its answer; a retry will run again
			zerolog.Ctx(ctx).Error().Err(err).Msg("storing an idempotent response")
			return
		}
		completed = true
	}
}

// replay answers with a stored response, or renders again the resource a
// stored reference names.
func replay(c *gin.Context, req []byte, scope, key string, stored *IdempotentResponse, render replayRenderer) {
	defer c.Abort()
	body, err := openResponse(req, scope, key, stored.Body)
	if err != nil {
		writeError(c, err)
		return
	}
	c.Header("Idempotent-Replayed", "true")
	if stored.ContentType == replayRefType {
		var ref replayRef
		if err := json.Unmarshal(body, &ref); err != nil || render == nil {
			writeError(c, errors.Join(errors.New("idempotency: unreadable replay reference"), err))
			return
		}
		render(c, ref, stored.Status, stored.Location)
		return
	}
	if ref, ok := replayRefOfBody(c.FullPath(), body); ok && render != nil {
		render(c, ref, stored.Status, stored.Location)
		return
	}
	if stored.Location != "" {
		c.Header("Location", stored.Location)
	}
	if stored.ETag != "" {
		c.Header("ETag", stored.ETag)
	}
	c.Data(stored.Status, stored.ContentType, body)
}

// replayRefType marks a stored entry whose body is a replayRef, not a
// response. It never reaches a client.
const replayRefType = "application/vnd.referral-ledger.replay-ref+json"

// replayRef names the resource an idempotent request made: what kind, its
// id and, for a part of one (a note of a referral), the part's id.
type replayRef struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
	Part string `json:"part,omitempty"`
}

// replayRenderer answers a replay of ref, first answered with status and
// location, by reading the resource again as the caller may see it today.
type replayRenderer func(c *gin.Context, ref replayRef, status int, location string)

// replayContextKey holds a handler's replayRef in the gin context.
const replayContextKey = "ledger.replay"

// setReplay records that the answer being written holds client data and
// renders ref: an idempotent replay reads ref again instead of repeating
// the answer.
func setReplay(c *gin.Context, ref replayRef) { c.Set(replayContextKey, ref) }

func replayOf(c *gin.Context) (replayRef, bool) {
	v, ok := c.Get(replayContextKey)
	if !ok {
		return replayRef{}, false
	}
	ref, ok := v.(replayRef)
	return ref, ok
}

// validIdempotencyKey: 1–255 printable ASCII characters (space to ~).
func validIdempotencyKey(k string) bool {
	if len(k) == 0 || len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// readBody reads the whole body under maxBodyBytes (and any bodyLimit).
func readBody(c *gin.Context) ([]byte, error) {
	if c.Request.Body == nil {
		return nil, nil
	}
	if c.Request.ContentLength > bodyLimitOf(c) {
		return nil, tooLarge(bodyLimitOf(c))
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, bodyLimitOf(c)))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, tooLarge(mbe.Limit)
		}
		return nil, malformed("the request body could not be read")
	}
	return body, nil
}

// requestBytes frames what identifies a request: method, route template
// and body, NUL-separated so that no two requests frame alike. Its SHA-256
// is the stored fingerprint.
func requestBytes(method, route string, body []byte) []byte {
	b := make([]byte, 0, len(method)+len(route)+len(body)+2)
	b = append(b, method...)
	b = append(b, 0)
	b = append(b, route...)
	b = append(b, 0)
	return append(b, body...)
}

// responseKeyLabel separates the response key from the fingerprint, which
// hashes the same bytes and is stored.
const responseKeyLabel = "referral-ledger idempotent response key v1\x00"

// sealResponse encrypts a response body (AES-256-GCM, bound to scope and
// key) under a key derived from the request, which the store never holds.
// The response of a creating POST can hold client data (R-PRIV-1); sealed,
// the store's copy is readable only by whoever resends the same request
// and is unreadable once the entry is gone (R-PRIV-4).
func sealResponse(req []byte, scope, key string, body []byte) ([]byte, error) {
	aead, err := responseAEAD(req)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(body)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, body, []byte(scope+"\x00"+key)), nil
}

// openResponse reverses sealResponse.
func openResponse(req []byte, scope, key string, sealed []byte) ([]byte, error) {
	aead, err := responseAEAD(req)
	if err != nil {
		return nil, err
	}
	if len(sealed) < aead.NonceSize() {
		return nil, errors.New("idempotency: sealed response too short")
	}
	n := aead.NonceSize()
	return aead.Open(nil, sealed[:n], sealed[n:], []byte(scope+"\x00"+key))
}

func responseAEAD(req []byte) (cipher.AEAD, error) {
	h := sha256.New()
	h.Write([]byte(responseKeyLabel))
	h.Write(req)
	block, err := aes.NewCipher(h.Sum(nil))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// recorder keeps a copy of the response body as the handler writes it.
type recorder struct {
	gin.ResponseWriter
	body bytes.Buffer
}

func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

func (r *recorder) WriteString(s string) (int, error) {
	r.body.WriteString(s)
	return r.ResponseWriter.WriteString(s)
}
