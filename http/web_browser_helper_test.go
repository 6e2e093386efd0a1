package http

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
)

// pagesBrowser is a browser without JavaScript on the web pages of a
// testAPI started withWebPages: it keeps cookies (the session, and the
// confirmation an action leaves for the next page), sends forms as a page
// of the same site does, and does not follow redirects, so tests see
// each one.
type pagesBrowser struct {
	tb   testing.TB
	base string
	c    *http.Client
}

// pagesAs is a browser signed in with token as its session cookie, as
// the sign-in page would set it; "" for one not signed in.
func (a *testAPI) pagesAs(tb testing.TB, token string) *pagesBrowser {
	tb.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		tb.Fatal(err)
	}
	u, err := url.Parse(a.URL)
	if err != nil {
		tb.Fatal(err)
	}
	if token != "" {
		jar.SetCookies(u, []*http.Cookie{{Name: "ledger_session", Value: token, Path: "/"}})
	}
	return &pagesBrowser{tb: tb, base: a.URL, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// send asks for a page; form, if not nil, is posted.
func (b *pagesBrowser) send(method, path string, form url.Values) *response {
	b.tb.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		b.tb.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", b.base)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.tb.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		b.tb.Fatal(err)
	}
	return &response{Status: res.StatusCode, Header: res.Header, Body: data}
}

func (b *pagesBrowser) get(path string) *response {
	b.tb.Helper()
	return b.send(http.MethodGet, path, nil)
}

func (b *pagesBrowser) post(path string, form url.Values) *response {
	b.tb.Helper()
	return b.send(http.MethodPost, path, form)
}

// follow GETs where r redirects to, until a page.
func (b *pagesBrowser) follow(r *response) *response {
	b.tb.Helper()
	for i := 0; r.Status == http.StatusSeeOther && i < 5; i++ {
		r = b.get(r.Header.Get("Location"))
	}
	return r
}

// showing fails the test unless the page r has status and holds each of
// texts; it returns the page's HTML.
func showing(tb testing.TB, r *response, status int, texts ...string) string {
	tb.Helper()
	page := string(r.Body)
	if r.Status != status {
		tb.Fatalf("status %d, want %d; location %q\n%s", r.Status, status, r.Header.Get("Location"), page)
	}
	for _, s := range texts {
		if !strings.Contains(page, s) {
			tb.Fatalf("the page lacks %q:\n%s", s, page)
		}
	}
	return page
}
