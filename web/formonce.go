package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

// Every form that changes something carries a one-time key, drawn by the
// "form-key" template of fields.html: a random value made afresh each time
// the page is drawn (the make-a-referral form keeps its own through its
// steps). formOnce, the middleware of every signed-in route, claims the
// key in the FormKeys store (the API's Idempotency-Key store) before the
// handler runs, so that a form sent twice (a double click, or a reload or
// Back that makes the browser send it again) is acted on once, on any
// node: the second is sent where the first went, with the first's
// confirmation and a word that the form was sent more than once (R-UI-1).
// A form whose first sending failed (an error on the form, a refusal)
// gives its key up, so the corrected form can be sent again. The subject
// access export has no key: it is a read, and each showing of it is
// recorded as an export of its own.

// FormKeys keeps the one-time keys of the pages' forms, as the API's
// Idempotency-Key store keeps its keys: one entry per user and key, holding
// where the form's first sending went.
type FormKeys interface {
	// Claim takes key for scope. It returns a zero FormDone when the
	// caller now holds the key and must Complete or Release it; what the
	// key's first sending did, when it succeeded; a Conflict error while
	// the first is still being acted on; an Invalid error when the key was
	// used with another fingerprint.
	Claim(ctx context.Context, scope, key string, fingerprint [32]byte, now time.Time) (FormDone, error)
	// Complete records what the key's sending did.
	Complete(ctx context.Context, scope, key string, done FormDone) error
	// Release gives a claimed key up after a failed sending, so the
	// corrected form can use it again.
	Release(ctx context.Context, scope, key string) error
}

// FormDone is what a form's first sending did: the page it went to and
// the confirmation it left there (a flashes key, never anything typed).
type FormDone struct {
	Location, Flash string
}

// formKeyField is the name of the one-time key's hidden input.
const formKeyField = "form-key"

func newFormKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

var formKeyPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)

func validFormKey(k string) bool { return formKeyPattern.MatchString(k) }

// ctxFlash holds the confirmation an action left, for formOnce to keep
// with the form's key.
const ctxFlash = "web.flash"

// formOnceLabel separates the hashes below from every other hash of the
// same bytes.
const formOnceLabel = "referral-ledger web form v1\x00"

// formFingerprint ties a form's key to where the form was sent. The key
// alone decides what is a second sending, not what the form held: one sent
// again from a page Back went to goes where the first went, even if a field
// was changed meanwhile (the answer says it was sent before). A page opened
// again is drawn anew, with new keys, so its forms are new.
func formFingerprint(method, path string) [32]byte {
	if path == makePath {
		return sha256.Sum256([]byte("web make-a-referral"))
	}
	return sha256.Sum256([]byte(formOnceLabel + method + "\x00" + path))
}

// makePath is the make-a-referral form's, whose keys were kept before
// every form had one: its fingerprint and seed stay as they were, so a
// form sent to a node of the earlier version and again to one of this
// (during a rolling upgrade) still makes one referral.
const makePath = "/make-a-referral"

// formSeed is what the ids and events of a form's action derive from
// (ledger.WithIdempotencyKey): the user, the key and where it was sent.
func formSeed(scope, key, method, path string) []byte {
	if path == makePath {
		return []byte(scope + "\x00" + key)
	}
	h := sha256.New()
	for _, part := range []string{formOnceLabel, "seed", scope, key, method, path} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return h.Sum(nil)
}

// formOnce acts on a form sent with a one-time key once (see above). A
// form without a key, or one not a key (an older page, a script), is
// acted on as it comes. It runs after authenticate: keys are the user's
// own.
//
// The ids the handler mints and the events it writes derive from the
// user and the sending (ledger.WithIdempotencyKey), so a sending that runs
// again because a crash lost its claim finds what its first run wrote
// instead of writing it twice (R-OPS-1).
func (p *Pages) formOnce(c *gin.Context) {
	if c.Request.Method != http.MethodPost {
		c.Next()
		return
	}
	key := c.PostForm(formKeyField)
	u, signedIn := userFrom(c)
	if !validFormKey(key) || !signedIn {
		c.Next()
		return
	}
	scope := "web:" + u.ID.String()
	method, path := c.Request.Method, c.Request.URL.Path
	ctx := c.Request.Context()
	done, err := p.claimForm(ctx, scope, key, formFingerprint(method, path))
	switch {
	case domain.ErrorCode(err) == domain.Conflict:
		p.renderError(c, http.StatusConflict, "Your form is still being sent",
			"You pressed the button more than once, and the first press is still being dealt with. Look again in a moment: it is acted on once.")
		c.Abort()
		return
	case domain.ErrorCode(err) == domain.Invalid: // the key of another form: not a page of ours
		p.renderError(c, http.StatusUnprocessableEntity, "This form cannot be sent",
			"Open the page again and use the form on it. Nothing was changed.")
		c.Abort()
		return
	case err != nil:
		p.fail(c, err)
		c.Abort()
		return
	case done.Location != "":
		p.flash(c, againFlash+done.Flash)
		c.Redirect(http.StatusSeeOther, done.Location)
		c.Abort()
		return
	}

	c.Request = c.Request.WithContext(ledger.WithIdempotencyKey(ctx, formSeed(scope, key, method, path)))
	// The store outlives a browser that gave up waiting: finish the
	// bookkeeping whatever happens to the request.
	bg := context.WithoutCancel(ctx)
	completed := false
	defer func() { // also when the handler panics
		if !completed {
			if err := p.FormKeys.Release(bg, scope, key); err != nil {
				zerolog.Ctx(ctx).Error().Err(err).Msg("releasing a form key")
			}
		}
	}()
	c.Next()
	// A redirect is an action done (a failed one draws its page again, or
	// the error page). A redirect to sign in is none: nothing was done.
	// The answer is not sent until the handlers return, so a second press
	// finds the key complete once the first's redirect has reached the
	// browser.
	location := c.Writer.Header().Get("Location")
	if c.Writer.Status() != http.StatusSeeOther || location == "" || strings.HasPrefix(location, "/sign-in") {
		return
	}
	flash, _ := c.Get(ctxFlash)
	f, _ := flash.(string)
	if err := p.FormKeys.Complete(bg, scope, key, FormDone{Location: location, Flash: f}); err != nil {
		// The user has their answer; a second press will run again, and
		// finds the first's writes through the derived ids.
		zerolog.Ctx(ctx).Error().Err(err).Msg("completing a form key")
		return
	}
	completed = true
}

// claimForm claims a form's key, waiting (bounded, as for the read models
// after a write) while an earlier press of the same form is still being
// acted on: a double click's second press then goes where the first went.
func (p *Pages) claimForm(ctx context.Context, scope, key string, fingerprint [32]byte) (FormDone, error) {
	ctx, cancel := context.WithTimeout(ctx, p.ReadYourWritesTimeout)
	defer cancel()
	wait := 10 * time.Millisecond
	for {
		done, err := p.FormKeys.Claim(ctx, scope, key, fingerprint, p.now())
		if domain.ErrorCode(err) != domain.Conflict {
			return done, err
		}
		select {
		case <-ctx.Done():
			return done, err
		case <-time.After(wait):
		}
		wait = min(2*wait, 200*time.Millisecond)
	}
}

// now is the service's clock, which the keys' 24 hours are counted on.
func (p *Pages) now() time.Time {
	if p.Service == nil {
		return time.Now()
	}
	return p.Service.Now()
}

// againFlash marks the confirmation of a form sent more than once.
const againFlash = "again:"

// flashText is the confirmation a flash key names: for a form sent more
// than once, the first sending's, saying it was acted on once.
func flashText(key string) string {
	first, again := strings.CutPrefix(key, againFlash)
	if !again {
		return flashes[key]
	}
	if t, ok := flashes["already-"+first]; ok {
		return t
	}
	if t := flashes[first]; t != "" {
		return t + " " + sentTwice
	}
	return sentTwice
}

// sentTwice says a form sent more than once was acted on once.
const sentTwice = "You sent this form more than once: it was acted on once."
