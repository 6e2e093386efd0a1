package web

import (
	"testing"
	"text/template/parse"
)

// TestViewsParse: every page's template parses with the layout, so a broken
// template fails here and not in front of a user.
func TestViewsParse(t *testing.T) {
	v, err := parseViews()
	if err != nil {
		t.Fatal(err)
	}
	if len(v.pages) < 9 || v.pages["error"] == nil || v.pages["signin"] == nil {
		t.Fatalf("pages found: %d", len(v.pages))
	}
	for name := range v.pages {
		if v.pages[name] == nil || v.pages[name].Lookup("layout") == nil || v.pages[name].Lookup("content") == nil {
			t.Errorf("page %s lacks the layout or its content", name)
		}
	}
}

// TestSafeNext: after sign-in the browser goes back only to a page of this
// site, never another site or the JSON API.
func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/referrals/x": "/referrals/x", "": "/", "//evil.example/": "/", "https://evil.example/": "/",
		"/\\evil.example": "/", "/v1/inbox": "/", "/a\r\nSet-Cookie: x": "/",
		// Browsers drop tabs and line breaks from a URL: each would be //evil.example.
		"/\t/evil.example/": "/", "/\n/evil.example/": "/", "/\x0b/evil.example": "/", "/incoming\x7f": "/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestReadDate reads dates typed as day, month, year.
func TestReadDate(t *testing.T) {
	for in, want := range map[string]string{"27 3 1980": "1980-03-27", "27/03/1980": "1980-03-27", "1980-03-27": "1980-03-27",
		" 1.2.2027 ": "2027-02-01", "soon": "soon"} {
		if got := readDate(in); got != want {
			t.Errorf("readDate(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCookieNames: over https the session cookie is __Host- prefixed and
// Secure; over plain http (a developer's machine) it cannot be.
func TestCookieNames(t *testing.T) {
	if c := cookieNamesFor("https://referrals.example.org"); c.session != "__Host-ledger_session" || !c.secure {
		t.Errorf("https: %+v", c)
	}
	if c := cookieNamesFor("http://127.0.0.1:8080"); c.session != "ledger_session" || c.secure {
		t.Errorf("http: %+v", c)
	}
}

// TestViewsReferOnlyToDefinedTemplates: every {{template "name"}} a page
// draws, in its own file or a partial, is defined for that page, so a
// renamed or removed partial fails here and not when a form is drawn.
func TestViewsReferOnlyToDefinedTemplates(t *testing.T) {
	v, err := parseViews()
	if err != nil {
		t.Fatal(err)
	}
	for name, page := range v.pages {
		for _, tmpl := range page.Templates() {
			if tmpl.Tree == nil {
				continue
			}
			walkTemplateCalls(tmpl.Tree.Root, func(called string) {
				if page.Lookup(called) == nil {
					t.Errorf("page %s: template %s calls %q, which is not defined", name, tmpl.Name(), called)
				}
			})
		}
	}
}

// walkTemplateCalls calls f with the name of every template node under n.
func walkTemplateCalls(n parse.Node, f func(string)) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			walkTemplateCalls(c, f)
		}
	case *parse.TemplateNode:
		f(n.Name)
	case *parse.IfNode:
		walkTemplateCalls(n.List, f)
		walkTemplateCalls(n.ElseList, f)
	case *parse.RangeNode:
		walkTemplateCalls(n.List, f)
		walkTemplateCalls(n.ElseList, f)
	case *parse.WithNode:
		walkTemplateCalls(n.List, f)
		walkTemplateCalls(n.ElseList, f)
	}
}
