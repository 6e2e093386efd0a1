package main

// The web interface in a real browser (R-UI-1, R-UI-2): Debian's Chromium,
// headless, driven through the DevTools protocol (chromedp). axe-core,
// installed pinned by scripts/install-axe.sh, checks every page and state
// and any violation fails the test. Each page is also checked at 320 px
// wide for sideways scrolling and saved as a screenshot (desktop and 375 px)
// in .cache/screenshots. Without Chromium or axe the tests skip loudly; with
// CI set they fail instead.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// repoRoot is the module's root, from this package's directory.
const repoRoot = "../.."

// chromiumPath finds Debian's Chromium: the binary itself, not the
// wrapper script, when it can.
func chromiumPath() string {
	for _, p := range []string{"/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	return ""
}

// browserTools returns Chromium's path and axe-core's source, or skips the
// test (fails it under CI) when either is missing.
func browserTools(t *testing.T) (string, string) {
	t.Helper()
	missing := func(what string) {
		msg := "BROWSER TESTS NOT RUN: " + what
		if os.Getenv("CI") != "" {
			t.Fatal(msg + " (required under CI)")
		}
		fmt.Fprintln(os.Stderr, "\n*** "+msg+" ***")
		t.Skip(msg)
	}
	if testing.Short() {
		t.Skip("browser tests skipped with -short")
	}
	chromium := chromiumPath()
	if chromium == "" {
		missing("Chromium is not installed (apt-get install -y chromium)")
	}
	axe, err := os.ReadFile(filepath.Join(repoRoot, ".cache/axe/node_modules/axe-core/axe.min.js"))
	if err != nil {
		missing("axe-core is not installed (bash scripts/install-axe.sh)")
	}
	return chromium, string(axe)
}

// chrome is one headless browser with a fresh profile, and what the test
// checks on every page.
type chrome struct {
	t     *testing.T
	ctx   context.Context
	axe   string
	shots string
	jsOff bool

	mu   sync.Mutex
	urls []string // every URL the browser asked for
}

func newChrome(t *testing.T, jsOff bool) *chrome {
	t.Helper()
	path, axe := browserTools(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 4*time.Minute) // generous: CI runs every package at once, under -race
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	c := &chrome{t: t, ctx: ctx, axe: axe, shots: filepath.Join(repoRoot, ".cache/screenshots"), jsOff: jsOff}
	if err := os.MkdirAll(c.shots, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			c.mu.Lock()
			c.urls = append(c.urls, e.Request.URL+e.Request.URLFragment)
			c.mu.Unlock()
		}
	}); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	c.call(func() error { _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); return err })
	if jsOff {
		c.call(func() error {
			_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return err
		})
	}
	return c
}

func (c *chrome) call(f func() error) {
	c.t.Helper()
	if err := f(); err != nil {
		c.t.Fatalf("browser: %v", err)
	}
}

// run runs the steps in order, failing the test at the first error.
func (c *chrome) run(steps ...chromedp.Action[chromedp.Void]) {
	c.t.Helper()
	if err := chromedp.Do(c.ctx, steps...); err != nil {
		loc, _ := chromedp.Run(c.ctx, chromedp.Location())
		title, _ := chromedp.Run(c.ctx, chromedp.Title())
		c.t.Fatalf("browser: %v (at %s, %q)", err, loc, title)
	}
}

// eval evaluates a script in the page and returns its value.
func eval[T any](c *chrome, script string, opts ...chromedp.EvaluateOption) T {
	c.t.Helper()
	v, err := chromedp.Run(c.ctx, chromedp.Evaluate[T](script, opts...))
	if err != nil {
		c.t.Fatalf("browser: evaluating %.60q: %v", script, err)
	}
	return v
}

// visit opens a page and waits for its main content.
func (c *chrome) visit(url string) {
	c.t.Helper()
	c.run(chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("#main-content")))
}

// submit clicks a button and waits for the next page.
func (c *chrome) submit(sel string) {
	c.t.Helper()
	var before string
	if !c.jsOff {
		before = eval[string](c, `String(performance.timeOrigin)`)
	}
	c.run(chromedp.Click(chromedp.CSS(sel)))
	c.waitNavigated(before)
}

// waitNavigated waits until a new document (one whose time origin is not
// before) has loaded: the navigation a click or key started has finished.
// With JavaScript off it waits for the next page load event instead.
func (c *chrome) waitNavigated(before string) {
	c.t.Helper()
	c.waitNavigatedWithin(before, 20*time.Second)
}

// waitNavigatedWithin is waitNavigated for a navigation that may take up
// to d to begin, such as one the page starts by itself.
func (c *chrome) waitNavigatedWithin(before string, d time.Duration) {
	c.t.Helper()
	if c.jsOff {
		c.run(chromedp.Sleep(300*time.Millisecond), chromedp.WaitReady(chromedp.CSS("#main-content")))
		return
	}
	// Poll by hand: a poll inside the page dies with the page it polls.
	cond := `String(performance.timeOrigin) !== ` + strconv.Quote(before) +
		` && document.readyState === "complete" && !!document.querySelector("#main-content")`
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if done, err := chromedp.Run(c.ctx, chromedp.Evaluate[bool](cond)); err == nil && done {
			return
		}
		if _, err := chromedp.Run(c.ctx, chromedp.Sleep(20*time.Millisecond)); err != nil {
			break
		}
	}
	c.t.Fatalf("browser: the next page did not load")
}

func (c *chrome) text(sel string) string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		page, _ := chromedp.Run(c.ctx, chromedp.Evaluate[string](`location.href + "\n" + document.body.innerText`))
		c.t.Fatalf("browser: no %s on the page: %v\n%s", sel, err, page)
	}
	return s
}

func (c *chrome) value(sel string) string {
	c.t.Helper()
	s, err := chromedp.Run(c.ctx, chromedp.Value(chromedp.CSS(sel)))
	if err != nil {
		c.t.Fatalf("browser: value of %s: %v", sel, err)
	}
	return s
}

func (c *chrome) wantText(sel string, want ...string) {
	c.t.Helper()
	got := c.text(sel)
	for _, w := range want {
		if !strings.Contains(got, w) {
			c.t.Fatalf("%s does not say %q:\n%s", sel, w, got)
		}
	}
}

type axeResult struct {
	Violations []struct {
		ID    string `json:"id"`
		Help  string `json:"help"`
		Nodes []struct {
			Target []any  `json:"target"`
			HTML   string `json:"html"`
		} `json:"nodes"`
	} `json:"violations"`
}

// check runs axe-core on the page as it is and fails on any violation
// (WCAG 2.2 AA and best practices), checks that it fits 320 px without
// sideways scrolling, and saves screenshots at desktop width and 375 px.
func (c *chrome) check(name string) {
	c.t.Helper()
	eval[chromedp.Void](c, c.axe)
	raw := eval[string](c, `axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r))`, chromedp.EvalAwaitPromise)
	var res axeResult
	if err := json.Unmarshal([]byte(raw), &res); err != nil {
		c.t.Fatalf("axe on %s: %v", name, err)
	}
	for _, v := range res.Violations {
		var where []string
		for _, n := range v.Nodes {
			where = append(where, fmt.Sprint(n.Target)+" "+n.HTML)
		}
		c.t.Errorf("axe on %s: %s (%s):\n  %s", name, v.ID, v.Help, strings.Join(where, "\n  "))
	}
	c.layoutChecks(name)
}

// layoutChecks: the page fits 320 px without sideways scrolling (WCAG
// reflow), and screenshots at 1280 and 375 px.
func (c *chrome) layoutChecks(name string) {
	c.t.Helper()
	c.run(chromedp.EmulateViewport(1280, 900))
	c.save(name+"-desktop.png", c.screenshot())
	c.run(chromedp.EmulateViewport(320, 800, chromedp.EmulateMobile))
	if eval[bool](c, `document.documentElement.scrollWidth > document.documentElement.clientWidth`) {
		c.t.Errorf("%s scrolls sideways at 320 px", name)
	}
	c.run(chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile))
	c.save(name+"-375.png", c.screenshot())
	c.run(chromedp.EmulateViewport(1280, 900))
}

func (c *chrome) screenshot() []byte {
	c.t.Helper()
	b, err := chromedp.Run(c.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		c.t.Fatalf("browser: screenshot: %v", err)
	}
	return b
}

func (c *chrome) save(name string, b []byte) {
	if err := os.WriteFile(filepath.Join(c.shots, name), b, 0o644); err != nil {
		c.t.Errorf("screenshot %s: %v", name, err)
	}
}

// signIn fills in the sign-in form.
func (c *chrome) signIn(base, user, password string) {
	c.t.Helper()
	c.visit(base + "/sign-in")
	c.run(chromedp.SendKeys(chromedp.CSS("#username"), user), chromedp.SendKeys(chromedp.CSS("#password"), password))
	c.submit(`form[action="/sign-in"] button`)
}

func (c *chrome) signOut() {
	c.t.Helper()
	c.submit(`form[action="/sign-out"] button`)
}

// requested returns every URL the browser asked for.
func (c *chrome) requested() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.urls...)
}

// noClientDataIn fails if any URL the browser asked for holds client data.
// The ids in a URL are left out of the search: a birth year such as
// "1980" is four hex digits, found by chance in about one random id of
// 2,300.
func noClientDataIn(t *testing.T, urls []string, data ...string) {
	t.Helper()
	for _, u := range urls {
		u := withoutIDs(u)
		for _, d := range data {
			if strings.Contains(strings.ToLower(u), strings.ToLower(d)) ||
				strings.Contains(strings.ToLower(u), strings.ToLower(strings.ReplaceAll(d, " ", "+"))) {
				t.Errorf("client data %q in a URL: %s", d, u)
			}
		}
	}
}

// idPattern matches an id as URLs and pages print them.
var idPattern = regexp.MustCompile(`(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// withoutIDs is s with every id in it replaced by a placeholder, so that a
// search for client data cannot match the random digits of an id.
func withoutIDs(s string) string { return idPattern.ReplaceAllString(s, "<id>") }

// fillReferral fills in the make-a-referral form; name "" leaves the
// client's name out, a mistake.
func (c *chrome) fillReferral(to, name string) {
	c.t.Helper()
	eval[chromedp.Void](c, fmt.Sprintf(`document.querySelector("#to").value = %q;
		for (const id of ["client-name", "client-dob", "reason"]) document.getElementById(id).value = "";`, to))
	if name != "" {
		c.run(chromedp.SendKeys(chromedp.CSS("#client-name"), name))
	}
	c.run(chromedp.SendKeys(chromedp.CSS("#client-dob"), "27 3 1980"),
		chromedp.SendKeys(chromedp.CSS("#reason"), "Rent arrears and a notice to quit."),
		chromedp.Click(chromedp.CSS("#basis")))
	if !eval[bool](c, `document.querySelector("#consent-confirmed").checked`) {
		c.run(chromedp.Click(chromedp.CSS("#consent-confirmed")))
	}
	if !eval[bool](c, `document.querySelector("#privacy-notice").checked`) {
		c.run(chromedp.Click(chromedp.CSS("#privacy-notice")))
	}
}

// TestWebBrowserFlow: a referral's whole life in the browser, every page
// and state checked by axe-core: sign in; make a referral with a mistake,
// then right; the receiving adviser finds it in Incoming, acknowledges,
// assigns, adds a note with an agreed date and closes it; the referrer sees
// it closed in Outgoing. A double submit makes one referral; a forged
// cross-site form is refused; no URL holds client data (R-UI-1, R-UI-2).
func TestWebBrowserFlow(t *testing.T) {
	n := newWebNetwork(t)
	c := newChrome(t, false)
	base := n.base

	c.visit(base + "/")
	c.wantText("h1", "Sign in")
	c.check("sign-in")
	c.run(chromedp.SendKeys(chromedp.CSS("#username"), "ann"))
	c.submit(`form[action="/sign-in"] button`)
	c.wantText(".error-summary", "There is a problem", "Enter your password")
	c.check("sign-in-error")
	c.run(chromedp.SendKeys(chromedp.CSS("#password"), annPassword))
	c.submit(`form[action="/sign-in"] button`)
	c.wantText("h1", "Incoming referrals")
	c.check("incoming-empty")

	c.visit(base + "/directory")
	c.wantText("main", "Housing Trust", "Tenancy support", "Not accepting referrals")
	c.check("directory")

	c.visit(base + "/make-a-referral")
	c.check("make-a-referral")
	c.fillReferral(n.orgB, "")
	c.submit(`form[action="/make-a-referral"] button[type=submit]`)
	c.wantText(".error-summary", "There is a problem")
	if kept := c.value("#reason"); kept != "Rent arrears and a notice to quit." {
		t.Fatalf("the reason typed was not kept: %q", kept)
	}
	c.check("make-a-referral-error")
	c.run(chromedp.SendKeys(chromedp.CSS("#client-name"), "Client Person"))
	c.submit(`form[action="/make-a-referral"] button[type=submit]`)
	c.wantText(".banner", "Referral made")
	ref := strings.TrimSpace(c.text("h1"))
	c.check("referral-made")
	c.signOut()

	c.signIn(base, "ben", benPassword)
	c.wantText("main", ref, "Acknowledge by", "working days left")
	c.check("incoming-with-referral")
	c.submit(`a.reference`)
	c.wantText("h1", ref)
	c.submit(`form[action$="/acknowledge"] button`)
	c.wantText(".banner", "Referral acknowledged")
	c.check("referral-acknowledged")
	eval[chromedp.Void](c, fmt.Sprintf(`document.querySelector("#assignee").value = %q`, optionValue(c, "#assignee", "Bob Caseworker")))
	c.submit(`form[action$="/assign"] button`)
	c.wantText(".banner", "Referral assigned")
	typed, shown := agreedCloseBy(t)
	c.run(chromedp.SendKeys(chromedp.CSS("#note-text"), "Called the landlord."),
		chromedp.SendKeys(chromedp.CSS("#agreed-close-by"), typed))
	c.submit(`form[action$="/notes"] button`)
	c.wantText(".banner", "Note added")
	c.wantText("main", "Agreed new close-by date: "+shown)
	c.submit(`form[action$="/close"] button`) // no outcome: an error
	c.wantText(".error-summary", "There is a problem")
	c.check("referral-close-error")
	c.run(chromedp.Click(chromedp.CSS("#outcome")), chromedp.SendKeys(chromedp.CSS("#comment"), "Tenancy saved."))
	c.submit(`form[action$="/close"] button`)
	c.wantText(".banner", "Referral closed")
	c.check("referral-closed")
	c.visit(base + "/incoming")
	c.check("incoming")
	c.signOut()

	c.signIn(base, "ann", annPassword)
	c.visit(base + "/outgoing")
	c.wantText("main", ref, "Closed: Taken forward")
	c.check("outgoing")
	c.visit(base + "/find?reference=nothing")
	c.check("find-error")

	// Pressed twice: both posts of one form make one referral.
	c.visit(base + "/make-a-referral")
	c.fillReferral(n.orgB, "Second Client")
	statuses := eval[[]int](c, `(async () => {
		const f = document.querySelector('form[action="/make-a-referral"]');
		const body = () => new URLSearchParams(new FormData(f));
		const a = await fetch(f.action, {method: "POST", body: body(), redirect: "manual"});
		const b = await fetch(f.action, {method: "POST", body: body(), redirect: "manual"});
		return [a.status, b.status];
	})()`, chromedp.EvalAwaitPromise)
	c.visit(base + "/outgoing")
	rows := eval[int](c, `document.querySelectorAll("a.reference").length`)
	if rows != 2 {
		t.Fatalf("after a double submit outgoing lists %d referrals, want 2 (statuses %v)", rows, statuses)
	}

	// A form on another site posting here is refused.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, `<!DOCTYPE html><html lang="en"><title>Win a prize</title><main id="main-content">
<form method="post" action="%s/make-a-referral"><input name="to" value="%s"><button id="go">Go</button></form></main>`, base, n.orgB)
	}))
	defer evil.Close()
	c.visit(strings.Replace(evil.URL, "127.0.0.1", "localhost", 1))
	c.submit("#go")
	c.wantText("h1", "This form was sent from another website")
	c.visit(base + "/outgoing")
	rows = eval[int](c, `document.querySelectorAll("a.reference").length`)
	if rows != 2 {
		t.Fatalf("the forged form made a referral: %d listed", rows)
	}

	noClientDataIn(t, c.requested(), "Client Person", "Second Client", "1980", "Rent arrears")
}

// optionValue returns the value of the option of the select whose text
// contains label.
func optionValue(c *chrome, sel, label string) string {
	c.t.Helper()
	return eval[string](c, fmt.Sprintf(`[...document.querySelectorAll(%q + " option")].find(o => o.text.includes(%q)).value`, sel, label))
}

// TestWebBrowserKeyboardOnly makes a referral with the keyboard alone:
// every field is reached with Tab in order and set with keys; nothing
// needs a mouse (R-UI-2).
func TestWebBrowserKeyboardOnly(t *testing.T) {
	n := newWebNetwork(t)
	c := newChrome(t, false)
	c.signIn(n.base, "ann", annPassword)
	c.visit(n.base + "/make-a-referral")
	tabTo := func(id string) {
		t.Helper()
		for range 60 {
			c.run(chromedp.KeyEvent(kb.Tab))
			if eval[string](c, `document.activeElement.id`) == id {
				return
			}
		}
		t.Fatalf("Tab never reaches #%s", id)
	}
	tabTo("to")
	c.run(chromedp.KeyEvent("Housing"))
	for _, f := range []struct{ id, keys string }{{"client-name", "Keyboard Client"}, {"client-dob", "1 2 1990"}, {"reason", "Needs advice on benefits."}} {
		tabTo(f.id)
		c.run(chromedp.KeyEvent(f.keys))
	}
	tabTo("basis")
	c.run(chromedp.KeyEvent(" "))
	tabTo("consent-confirmed")
	c.run(chromedp.KeyEvent(" "))
	tabTo("privacy-notice")
	c.run(chromedp.KeyEvent(" "))
	if to := c.value("#to"); to != n.orgB {
		t.Fatalf("typing on the organisation list chose %q, want Housing Trust %s", to, n.orgB)
	}
	before := eval[string](c, `String(performance.timeOrigin)`)
	c.run(chromedp.KeyEvent(kb.Enter)) // submits the form from a checkbox
	c.waitNavigated(before)
	c.wantText(".banner", "Referral made")
	c.check("keyboard-referral-made")
}

// TestWebBrowserWithoutJavaScript makes a referral with JavaScript
// switched off, a mistake first: every page works as plain forms (R-UI-1).
func TestWebBrowserWithoutJavaScript(t *testing.T) {
	n := newWebNetwork(t)
	c := newChrome(t, true)
	c.signIn(n.base, "ann", annPassword)
	c.visit(n.base + "/make-a-referral")
	c.run(chromedp.SendKeys(chromedp.CSS("#client-dob"), "27 3 1980"),
		chromedp.SendKeys(chromedp.CSS("#reason"), "Rent arrears."),
		chromedp.Click(chromedp.CSS("#basis-verbal")), chromedp.Click(chromedp.CSS("#consent-confirmed")),
		chromedp.Click(chromedp.CSS("#privacy-notice")))
	c.submit(`form[action="/make-a-referral"] button[type=submit]`)
	c.wantText(".error-summary", "There is a problem")
	c.run(chromedp.SetValue(chromedp.CSS("#to"), n.orgB), chromedp.SendKeys(chromedp.CSS("#client-name"), "No Script"))
	c.submit(`form[action="/make-a-referral"] button[type=submit]`)
	c.wantText(".banner", "Referral made")
	c.wantText("main", "verbal consent")
}

// TestWebBrowserStates checks with axe-core and at 320 px the pages and
// states the main flow does not reach: the change-password page, also when
// a change is forced (R-AUTH-6); a search by reference that finds the
// referral and one that finds nothing; the "this referral changed while
// you were looking at it" page; the page not found. A referral's page has
// its reference in the window's title, a list page its own (R-REF-13,
// R-UI-2).
func TestWebBrowserStates(t *testing.T) {
	n := newWebNetwork(t)
	n.must(t, 201, "POST", "/v1/organisations/"+n.orgA+"/users", n.admin, map[string]any{"username": "cat",
		"display_name": "Cat New", "email": "cat@example.org", "roles": []string{"adviser"}, "password": "Set-By-Lead#Quokka7"})
	ann := n.signIn(t, "ann", annPassword)
	ben := n.signIn(t, "ben", benPassword)
	r := n.must(t, 201, "POST", "/v1/referrals", ann, map[string]any{"to_organisation_id": n.orgB,
		"client": map[string]string{"name": "Open Client", "date_of_birth": "1980-03-27"}, "reason": "rent arrears",
		"consent": map[string]any{"method": "written", "confirmed": true}, "privacy_notice_given": true})
	open, openRef := r["id"].(string), r["reference"].(string)

	c := newChrome(t, false)
	base := n.base

	// A forced change of password: the only page is the change form.
	c.signIn(base, "cat", "Set-By-Lead#Quokka7")
	c.wantText("main", "You need to choose a new password")
	c.check("password-forced")
	c.run(chromedp.SendKeys(chromedp.CSS("#current-password"), "Set-By-Lead#Quokka7"),
		chromedp.SendKeys(chromedp.CSS("#new-password"), "password"), chromedp.SendKeys(chromedp.CSS("#confirm-password"), "password"))
	c.submit(`form[action="/password"] button`)
	c.wantText(".error-summary", "There is a problem")
	c.check("password-error")

	c.signIn(base, "ann", annPassword)
	c.visit(base + "/password")
	c.wantText("h1", "Change your password")
	c.check("password")

	// Searching by reference: found opens the referral, whose title has it.
	c.visit(base + "/find?reference=" + url.QueryEscape(strings.ToLower(strings.ReplaceAll(openRef, "-", ""))))
	c.wantText("h1", openRef)
	if title := eval[string](c, `document.title`); !strings.Contains(title, openRef) {
		t.Errorf("the referral page's title %q lacks its reference %s", title, openRef)
	}
	c.check("find-found")
	c.visit(base + "/find?reference=ZZZZ-ZZZZ")
	c.wantText("main", "ZZZZ-ZZZZ")
	c.check("find-not-found")
	c.visit(base + "/find")
	if title := eval[string](c, `document.title`); !strings.HasPrefix(title, "Find a referral") {
		t.Errorf("the find page's title is %q", title)
	}

	c.visit(base + "/nowhere")
	c.wantText("h1", "Page not found")
	c.check("not-found")
	c.visit(base + "/incoming")
	c.signOut()

	// Someone changes the referral while it is on the page.
	c.signIn(base, "ben", benPassword)
	c.visit(base + "/referrals/" + open)
	c.run(chromedp.SendKeys(chromedp.CSS("#note-text"), "Called the landlord."))
	n.must(t, 201, "POST", "/v1/referrals/"+open+"/notes", ben, map[string]any{"text": "A note from elsewhere."})
	c.submit(`form[action$="/notes"] button`)
	c.wantText("main", "This referral changed while you were looking at it", "A note from elsewhere.")
	if kept := c.value("#note-text"); kept != "Called the landlord." {
		t.Errorf("the note typed was not kept: %q", kept)
	}
	if title := eval[string](c, `document.title`); !strings.Contains(title, openRef) {
		t.Errorf("the changed page's title %q lacks the reference %s", title, openRef)
	}
	c.check("referral-changed")
}

// TestWebBrowserLockedCase: a case locked through the API is refused in
// the browser as in the API: the referrer is shown the API's refusal
// naming the responsible person; a case whose lock is hidden is not found
// (R-LOCK-12, R-UI-2).
func TestWebBrowserLockedCase(t *testing.T) {
	n := newWebNetwork(t)
	for _, u := range []struct{ name, role, initial string }{
		{"tess", "team_manager", "Initial#Tern4455"},
		{"sam", "service_manager", "Initial#Swift667"},
	} {
		n.must(t, 201, "POST", "/v1/organisations/"+n.orgB+"/users", n.admin, map[string]any{"username": u.name,
			"display_name": u.name, "email": u.name + "@example.org", "roles": []string{u.role}, "password": u.initial})
	}
	tess := n.firstSignIn(t, "tess", "Initial#Tern4455", "Tern#Glide4455")
	sam := n.firstSignIn(t, "sam", "Initial#Swift667", "Swift#Dart667")
	ann := n.signIn(t, "ann", annPassword)
	benID := n.must(t, 201, "POST", "/v1/sessions", "", map[string]string{"username": "ben", "password": benPassword})["user"].(map[string]any)["id"].(string)
	lock := func(name string, hidden bool) string {
		r := n.must(t, 201, "POST", "/v1/referrals", ann, map[string]any{"to_organisation_id": n.orgB,
			"client": map[string]string{"name": name, "date_of_birth": "1980-03-27"}, "reason": "rent arrears",
			"consent": map[string]any{"method": "written", "confirmed": true}, "privacy_notice_given": true})
		req := n.must(t, 201, "POST", "/v1/clients/"+r["client_id"].(string)+"/lock-requests", tess, map[string]any{
			"responsible_user_id": benID, "reason": "a related member of staff", "allow": []any{}, "deny": []any{},
			"hide_notification": hidden})
		n.must(t, 200, "POST", "/v1/lock-requests/"+req["id"].(string)+"/decision", sam, map[string]any{"approve": true})
		return r["id"].(string)
	}
	locked, hidden := lock("Locked Client", false), lock("Hidden Client", true)
	_, refusal := n.call(t, "GET", "/v1/referrals/"+locked, ann, nil)
	detail, _ := refusal["detail"].(string)
	if !strings.Contains(detail, "Ben Adviser") {
		t.Fatalf("the API's refusal does not name the responsible person: %v", refusal)
	}
	if status, _ := n.call(t, "GET", "/v1/referrals/"+hidden, ann, nil); status != http.StatusNotFound {
		t.Fatalf("the API answers a hidden locked case with %d, want 404", status)
	}

	c := newChrome(t, false)
	c.signIn(n.base, "ann", annPassword)
	c.visit(n.base + "/referrals/" + locked)
	c.wantText("h1", "You cannot do this")
	c.wantText("main", "Ben Adviser", strings.ToUpper(detail[:1])+detail[1:])
	if strings.Contains(c.text("main"), "Locked Client") {
		t.Fatal("a locked case's page shows the client")
	}
	c.check("locked-refused")

	c.visit(n.base + "/referrals/" + hidden)
	c.wantText("h1", "Page not found")
	if m := c.text("main"); strings.Contains(m, "Ben Adviser") || strings.Contains(m, "locked") {
		t.Errorf("the page tells someone the lock hides the case from about the lock:\n%s", m)
	}
	c.check("locked-hidden")
	noClientDataIn(t, c.requested(), "Locked Client", "Hidden Client", "1980", "rent arrears")
}
