package http

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// TestEveryListPaginates_Issue16 walks each list that the read models hand
// over whole (directory, locked cases, lock and erasure requests waiting,
// a client's access log and messages) one item a page with ?limit=1 and
// the opaque ?next= cursor, and checks the pages add up to the whole list
// in its order, the last page's next is null, limit outside 1..200 is a
// 422 naming limit and a cursor that is not one of this list's a 400
// naming next (issue 16, point 5).
func TestEveryListPaginates_Issue16(t *testing.T) {
	n := newLockNet(t)
	// Three locked cases, with messages and reads on the first.
	clients := []string{n.Client}
	for _, name := range []string{"Client Paged One", "Client Paged Two"} {
		_, c := n.newClient(t, name)
		clients = append(clients, c)
	}
	for _, c := range clients {
		n.lock(t, c, nil)
	}
	for _, text := range []string{"first", "second", "third"} {
		want(t, n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/messages", n.HelpdeskB.Token,
			map[string]any{"text": "message " + text}), http.StatusAccepted)
	}
	for range 3 {
		want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil), http.StatusOK)
	}
	// Three lock requests and three erasure requests waiting.
	for range 3 {
		_, c := n.newClient(t, "Client Waiting")
		want(t, n.do(t, http.MethodPost, "/v1/clients/"+c+"/lock-requests", n.TeamManager.Token, map[string]any{
			"responsible_user_id": n.AdviserB.ID, "reason": "a related member of staff",
			"allow": []map[string]any{}, "deny": []map[string]any{}}), http.StatusCreated)
		want(t, n.do(t, http.MethodPost, "/v1/clients/"+c+"/erasure-requests", n.AdviserA.Token,
			map[string]any{"reason": "The client asked."}), http.StatusCreated)
	}

	lists := []struct {
		name, path, token string
		growing           bool // a log that a read of it may lengthen
	}{
		{"Directory", "/v1/directory", n.Admin.Token, false},
		{"LockedCases", "/v1/locked-cases", n.Admin.Token, false},
		{"LockRequests", "/v1/lock-requests?status=requested", n.ServiceManager.Token, false},
		{"ErasureRequests", "/v1/erasure-requests?status=requested", n.Admin.Token, false},
		{"AccessLog", "/v1/clients/" + n.Client + "/access-log", n.Auditor.Token, true},
		{"Messages", "/v1/clients/" + n.Client + "/messages", n.AdviserB.Token, true},
	}
	page := func(t *testing.T, path, token string, query url.Values) ([]any, *string) {
		t.Helper()
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		r := want(t, n.do(t, http.MethodGet, path+sep+query.Encode(), token, nil), http.StatusOK)
		var body map[string]json.RawMessage
		decodeInto(t, r, &body)
		raw, ok := body["next"]
		if !ok {
			t.Fatalf("%s: no next member: %s", path, r.Body)
		}
		var next *string
		if err := json.Unmarshal(raw, &next); err != nil {
			t.Fatal(err)
		}
		var items []any
		if err := json.Unmarshal(body[memberOf(body)], &items); err != nil {
			t.Fatal(err)
		}
		return items, next
	}
	var otherCursor string
	for _, l := range lists {
		t.Run(l.name, func(t *testing.T) {
			all, next := page(t, l.path, l.token, url.Values{"limit": {"200"}})
			if next != nil {
				t.Fatalf("one page of 200 has a next: %q", *next)
			}
			if len(all) < 3 {
				t.Fatalf("%d items; the test needs at least 3", len(all))
			}
			var walked []any
			cursor := ""
			for pages := 0; ; pages++ {
				if pages > len(all)+5 {
					t.Fatalf("the pages do not end: %d so far", pages)
				}
				q := url.Values{"limit": {"1"}}
				if cursor != "" {
					q.Set("next", cursor)
				}
				items, next := page(t, l.path, l.token, q)
				if len(items) > 1 {
					t.Fatalf("limit=1 gave %d items", len(items))
				}
				walked = append(walked, items...)
				if next == nil {
					break
				}
				cursor = *next
			}
			if l.growing && len(walked) >= len(all) {
				walked = walked[:len(all)] // the reads while walking were logged after these
			}
			if !reflect.DeepEqual(walked, all) {
				t.Fatalf("the pages give\n%v\nthe whole list is\n%v", walked, all)
			}
			for _, limit := range []string{"0", "201", "x"} {
				n.do(t, http.MethodGet, l.path+sepOf(l.path)+"limit="+limit, l.token, nil).invalid(t, "limit")
			}
			for _, bad := range []string{"not-a-cursor!", otherCursor} {
				if bad == "" {
					continue
				}
				p := n.do(t, http.MethodGet, l.path+sepOf(l.path)+"next="+url.QueryEscape(bad), l.token, nil).problem(t, http.StatusBadRequest)
				if !p.hasField("next") {
					t.Errorf("a bad cursor: the problem does not name next: %+v", p)
				}
			}
			_, otherCursor = firstCursor(t, page, l.path, l.token)
		})
	}
}

func sepOf(path string) string {
	if strings.Contains(path, "?") {
		return "&"
	}
	return "?"
}

// memberOf names the array member of a list body (the one that is not
// next or client_id).
func memberOf(body map[string]json.RawMessage) string {
	for k, v := range body {
		if k != "next" && k != "client_id" && len(v) > 0 && v[0] == '[' {
			return k
		}
	}
	return ""
}

// firstCursor returns the first page's cursor, for the next list to refuse.
func firstCursor(t *testing.T, page func(*testing.T, string, string, url.Values) ([]any, *string), path, token string) ([]any, string) {
	items, next := page(t, path, token, url.Values{"limit": {"1"}})
	if next == nil {
		t.Fatal("the first page of one has no next")
	}
	return items, *next
}
