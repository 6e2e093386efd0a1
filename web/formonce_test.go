package web

import (
	"context"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// notOnce are the forms that carry no one-time key: signing in and out,
// which make nothing twice and come before a user has keys; the
// coordinator's subject access export, a read of which every showing is
// recorded as an export of its own (R-PRIV-6); and the forms that find a
// referral by its reference or a client by their id, or name and date of
// birth (/find-a-client), which change nothing
// and are posted only to keep what is typed out of web addresses
// (R-PRIV-7).
var notOnce = map[string]bool{"/sign-in": true, "/sign-in/code": true, "/sign-out": true,
	"/clients/{{.ClientID}}/subject-access": true, "/clients/{{.ClientID}}/subject-access.json": true,
	"/find": true, "/search": true, "/subject-access": true, "/find-a-client": true}

var postForm = regexp.MustCompile(`(?s)<form method="post" action="([^"]*)"[^>]*>(.*?)</form>`)

// TestEveryFormCarriesAOneTimeKey_UI1: every form of the pages that
// changes something carries a one-time key, so sending it twice acts once;
// the key is new each time a page is drawn.
func TestEveryFormCarriesAOneTimeKey_UI1(t *testing.T) {
	files, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	forms := 0
	for _, f := range files {
		b, _ := fs.ReadFile(templateFiles, f)
		for _, m := range postForm.FindAllStringSubmatch(string(b), -1) {
			if notOnce[m[1]] {
				continue
			}
			forms++
			if !strings.Contains(m[2], `{{template "form-key"}}`) && !strings.Contains(m[2], `name="form-key"`) &&
				!strings.Contains(m[2], `{{template "make-hidden"`) {
				t.Errorf("%s: the form posting to %s has no one-time key", f, m[1])
			}
		}
	}
	if forms < 30 {
		t.Fatalf("found %d forms: the search is broken", forms)
	}
	v, err := parseViews()
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for range 2 {
		var b strings.Builder
		if err := v.pages["error"].ExecuteTemplate(&b, "form-key", nil); err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`^<input type="hidden" name="form-key" value="([0-9a-f]{32})">$`).FindStringSubmatch(b.String())
		if m == nil {
			t.Fatalf("the key field is %q", b.String())
		}
		keys = append(keys, m[1])
	}
	if keys[0] == keys[1] {
		t.Errorf("two forms drawn with the same key %s", keys[0])
	}
}

// fakeKeys is a FormKeys whose claims answer from a script.
type fakeKeys struct {
	mu        sync.Mutex
	answers   []claimAnswer // the next claims' answers, then "held"
	claims    int
	completed map[string]FormDone
	released  []string
}

type claimAnswer struct {
	done FormDone
	err  error
}

func (f *fakeKeys) Claim(_ context.Context, scope, key string, _ [32]byte, _ time.Time) (FormDone, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.claims++
	if len(f.answers) == 0 {
		return FormDone{}, nil
	}
	a := f.answers[0]
	f.answers = f.answers[1:]
	return a.done, a.err
}

func (f *fakeKeys) Complete(_ context.Context, scope, key string, done FormDone) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.completed[scope+" "+key] = done
	return nil
}

func (f *fakeKeys) Release(_ context.Context, scope, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.released = append(f.released, scope+" "+key)
	return nil
}

// TestFormOnce_UI1: the middleware acts on a keyed form once. The first
// sending runs the handler and keeps where it went and its confirmation;
// one that fails (drawn again with its errors, or a panic) gives the key
// up; a second sending while the first is still running waits for it and
// goes where it went, without running the handler; a form without a key
// runs as it comes.
func TestFormOnce_UI1(t *testing.T) {
	gin.SetMode(gin.TestMode)
	user := domain.User{ID: uuid.MustParse("00000000-0000-4000-8000-0000000000aa")}
	scope := "web:" + user.ID.String()
	const key = "0123456789abcdef0123456789abcdef"
	serve := func(keys *fakeKeys, form url.Values, handler func(p *Pages) gin.HandlerFunc) (*httptest.ResponseRecorder, int) {
		t.Helper()
		p := &Pages{Deps: Deps{FormKeys: keys, ReadYourWritesTimeout: time.Minute}, cookie: cookieNamesFor("")}
		r := gin.New()
		ran := 0
		r.POST("/referrals/:id/notes", func(c *gin.Context) {
			defer func() {
				if recover() != nil {
					c.AbortWithStatus(http.StatusInternalServerError)
				}
			}()
			c.Set(ctxUser, user)
			c.Next()
		}, p.formOnce, func(c *gin.Context) { ran++; handler(p)(c) })
		req := httptest.NewRequest(http.MethodPost, "/referrals/x/notes", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		return w, ran
	}
	done := func(p *Pages) gin.HandlerFunc { // a note added
		return func(c *gin.Context) {
			p.flash(c, "note")
			c.Redirect(http.StatusSeeOther, "/referrals/x")
		}
	}
	keyed := url.Values{"form-key": {key}, "note-text": {"Called."}}

	// The first sending: done, and kept.
	keys := &fakeKeys{completed: map[string]FormDone{}}
	w, ran := serve(keys, keyed, done)
	if ran != 1 || w.Code != http.StatusSeeOther {
		t.Fatalf("first sending: ran %d, %d", ran, w.Code)
	}
	if got := keys.completed[scope+" "+key]; got != (FormDone{Location: "/referrals/x", Flash: "note"}) || len(keys.released) != 0 {
		t.Fatalf("kept %+v, released %v", got, keys.released)
	}

	// A failed sending, or one that panics, gives its key up.
	for name, h := range map[string]gin.HandlerFunc{
		"refused": func(c *gin.Context) { c.String(http.StatusUnprocessableEntity, "errors") },
		"panic":   func(*gin.Context) { panic("handler") },
		"sign in": func(c *gin.Context) { c.Redirect(http.StatusSeeOther, "/sign-in") },
	} {
		keys := &fakeKeys{completed: map[string]FormDone{}}
		serve(keys, keyed, func(*Pages) gin.HandlerFunc { return h })
		if len(keys.completed) != 0 || len(keys.released) != 1 || keys.released[0] != scope+" "+key {
			t.Errorf("%s: completed %v, released %v", name, keys.completed, keys.released)
		}
	}

	// A second sending while the first is still running waits for it.
	keys = &fakeKeys{completed: map[string]FormDone{}, answers: []claimAnswer{
		{err: domain.Errorf(domain.Conflict, "in flight")}, {err: domain.Errorf(domain.Conflict, "in flight")},
		{done: FormDone{Location: "/referrals/x", Flash: "note"}}}}
	w, ran = serve(keys, keyed, done)
	if ran != 0 || w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/referrals/x" || keys.claims != 3 {
		t.Fatalf("second sending: ran %d, %d %q after %d claims", ran, w.Code, w.Header().Get("Location"), keys.claims)
	}
	if ck := w.Header().Get("Set-Cookie"); !strings.HasPrefix(ck, "ledger_flash="+againFlash+"note;") {
		t.Errorf("the second sending's confirmation cookie %q", ck)
	}
	if len(keys.completed) != 0 || len(keys.released) != 0 {
		t.Errorf("the second sending touched the key: %v %v", keys.completed, keys.released)
	}

	// Without a key the form runs as it comes.
	keys = &fakeKeys{completed: map[string]FormDone{}}
	_, ran = serve(keys, url.Values{"note-text": {"Called."}}, done)
	if ran != 1 || keys.claims != 0 {
		t.Fatalf("a form without a key: ran %d, %d claims", ran, keys.claims)
	}
}

// TestFlashOfASecondSending_UI1: the page after a second sending shows the
// first's confirmation and says the form was acted on once.
func TestFlashOfASecondSending_UI1(t *testing.T) {
	if got := flashText(againFlash + "note"); got != "Note added. "+sentTwice {
		t.Errorf("a note sent twice: %q", got)
	}
	if got := flashText(againFlash + "made"); got != flashes["already-made"] {
		t.Errorf("a referral made twice: %q", got)
	}
	if got := flashText("note"); got != "Note added." {
		t.Errorf("a note: %q", got)
	}
}
