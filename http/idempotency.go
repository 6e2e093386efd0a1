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
	"github.com/referral-ledger/ledger/idempotency"
	"github.com/referral-ledger/ledger/ledger"
)

// idempotencyKeyHeader is the request header of API.md's Idempotency-Key.
const idempotencyKeyHeader = "Idempotency-Key"

// idempotentReplayedHeader marks an answer that is the stored result of
// an earlier request with the same Idempotency-Key.
const idempotentReplayedHeader = "Idempotent-Replayed"

// idempotent makes a creating POST idempotent (API.md): with an
// Idempotency-Key header, the first request runs and, if it succeeds (2xx),
// its status, Content-Type, Location and ETag are stored; a retry with the
// same key, route and body gets them again, with Idempotent-Replayed: true,
// without running the handler. A handler whose answer holds client data
// names the resource it made (setReplay): only that reference is stored,
// and a replay reads the resource again through today's access and erasure
// rules (render), so an erased client's data comes back erased and a
// caller locked out since gets the lock's answer (R-PRIV-8). Other answers
// are stored sealed (sealResponse) and repeated. The same key with a different body,
// or on another resource, is 422; a retry while the first is still running is 409; a key that is not
// 1–255 printable ASCII characters is 400. A failed first request (non-2xx
// or a panic) releases the key. Without the header the request runs as
// usual.
//
// With it, the ids the handler mints and the events it writes derive from
// the user, the key and the request (ledger.WithIdempotencyKey), so a
// request that runs again because a crash lost its claim or its stored
// answer finds what its first run wrote and answers from it: created once,
// whatever failed (R-OPS-1).
//
// It reads the body itself (413 over the limit) and hands the handler an
// identical copy. Use it per route, after the middleware that calls
// setUserID: keys are scoped to the user.
//
//	r.POST("/v1/referrals", authenticated, idempotent(store), s.createReferral)
func idempotent(store idempotency.Store, render replayRenderer) gin.HandlerFunc {
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

		same := sameBody(body)
		req := requestBytes(c.Request.Method, c.Request.URL.Path, same)
		scope, ctx := user.String(), c.Request.Context()
		// The ids the request mints and the events it writes derive from
		// it, so a rerun after a crash lost the claim below finds its own
		// writes instead of making them twice (R-OPS-1).
		c.Request = c.Request.WithContext(ledger.WithIdempotencyKey(ctx, requestSeed(scope, key, c.Request.Method, c.Request.URL.Path, same)))
		stored, err := store.Claim(ctx, scope, key, sha256.Sum256(req), time.Now())
		if err != nil {
			writeError(c, keyReused(err))
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
					zerolog.Ctx(ctx).Error().Err(err).Msg("releasing an idempotency key; retrying in the background")
					go releaseLater(ctx, store, scope, key)
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
		resp := idempotency.Response{Status: status, ContentType: h.Get("Content-Type"),
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

// releaseRetry is the first wait of releaseLater, doubled after each
// failure up to releaseRetryMax.
const (
	releaseRetry    = 100 * time.Millisecond
	releaseRetryMax = 30 * time.Second
)

// releaseLater gives up the key of a failed request whose release failed
// (the store briefly full or locked), retrying with backoff until it
// works or the key has expired anyway. Left claimed, the key would answer
// every retry of the request with 409 "still being processed" until it
// expired or the server restarted, so the retry could never run
// (R-OPS-1).
func releaseLater(ctx context.Context, store idempotency.Store, scope, key string) {
	wait, until := releaseRetry, time.Now().Add(idempotency.TTL)
	for time.Now().Before(until) {
		time.Sleep(wait)
		if err := store.Release(ctx, scope, key); err == nil {
			zerolog.Ctx(ctx).Warn().Msg("released an idempotency key after a failed attempt")
			return
		}
		wait = min(2*wait, releaseRetryMax)
	}
}

// replay answers with a stored response, or renders again the resource a
// stored reference names.
func replay(c *gin.Context, req []byte, scope, key string, stored *idempotency.Response, render replayRenderer) {
	defer c.Abort()
	body, err := openResponse(req, scope, key, stored.Body)
	if err != nil {
		writeError(c, err)
		return
	}
	c.Header(idempotentReplayedHeader, "true")
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

// keyReused names the Idempotency-Key header in the 422 of a key already
// used with a different request, as every 422 names what is at fault.
// Other errors are returned as they are.
func keyReused(err error) error {
	if domain.ErrorCode(err) != domain.Invalid || len(domain.ErrorFields(err)) > 0 {
		return err
	}
	return &domain.Error{Code: domain.Invalid, Message: domain.ErrorMessage(err), Cause: err,
		Fields: []domain.FieldError{{Field: idempotencyKeyHeader,
			Message: "was already used with a different request; send a new key for a new request"}}}
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

// sameBody is the form of a request body that identifies it: a JSON
// document compacted with its objects' keys in order, so that the same
// body sent again with its keys in another order or other spacing (as
// another JSON library writes it) is the same request, replayed, not one
// refused as different. Numbers and strings stay as written. A body that
// is not one JSON document (the handler refuses it) stays as sent.
func sameBody(body []byte) []byte {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return body
	}
	if _, err := d.Token(); err != io.EOF {
		return body
	}
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return body
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// requestBytes frames what identifies a request: method, path and body,
// NUL-separated so that no two requests frame alike. Its SHA-256 is the
// stored fingerprint. The path is the one requested, not its route's
// template: the same key and body sent to another resource (a note on
// another referral) is another request, refused with 422, not a replay of
// the first resource's answer.
func requestBytes(method, path string, body []byte) []byte {
	b := make([]byte, 0, len(method)+len(path)+len(body)+2)
	b = append(b, method...)
	b = append(b, 0)
	b = append(b, path...)
	b = append(b, 0)
	return append(b, body...)
}

// requestSeedLabel separates the seed of a request's ids from every other
// hash of the same bytes.
const requestSeedLabel = "referral-ledger idempotent request ids v1\x00"

// requestSeed is what the ids of an idempotent request derive from
// (ledger.WithIdempotencyKey): the user, the key and the request itself,
// its path included, so the same key with another body or on another
// resource derives other ids. It is a SHA-256, so no client data in the
// body can be read back from the ids.
func requestSeed(scope, key, method, path string, body []byte) []byte {
	h := sha256.New()
	for _, part := range []string{requestSeedLabel, scope, key, method, path} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	h.Write(body)
	return h.Sum(nil)
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
