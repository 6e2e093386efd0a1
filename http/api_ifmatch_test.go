package http

import (
	"net/http"
	"strings"
	"testing"
)

// TestIfMatchRFC9110_Issue16 checks If-Match as RFC 9110 section 13.1.1
// has it (issue 16, point 4): strong comparison, so a weak tag never
// matches; "*" matches any existing resource; a list matches when any of
// its tags does; a malformed value is a 400 problem naming the header.
// A refused request appends nothing.
func TestIfMatchRFC9110_Issue16(t *testing.T) {
	n := newNetwork(t)
	note := func(id, token string, header ...string) *response {
		return n.do(t, http.MethodPost, "/v1/referrals/"+id+"/notes", token, map[string]any{"text": "A note."}, header...)
	}
	// fresh makes a referral and returns it with its current ETag.
	fresh := func(t *testing.T) (string, string) {
		id := n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Precondition")
		etag := want(t, n.do(t, http.MethodGet, "/v1/referrals/"+id, n.AdviserA.Token, nil), http.StatusOK).Header.Get("ETag")
		if etag == "" {
			t.Fatal("no ETag")
		}
		return id, etag
	}
	refused := func(t *testing.T, r *response, status int) apiProblem {
		t.Helper()
		before := n.head(t)
		p := r.problem(t, status)
		if after := n.head(t); after != before {
			t.Fatalf("a refused write appended: head %d → %d", before, after)
		}
		return p
	}

	t.Run("StrongTagMatches", func(t *testing.T) {
		id, etag := fresh(t)
		want(t, note(id, n.AdviserA.Token, "If-Match", etag), http.StatusCreated)
	})
	t.Run("WeakTagNeverMatches", func(t *testing.T) {
		id, etag := fresh(t)
		refused(t, note(id, n.AdviserA.Token, "If-Match", "W/"+etag), http.StatusPreconditionFailed)
		// A weak tag beside a matching strong one does not spoil the list.
		want(t, note(id, n.AdviserA.Token, "If-Match", "W/"+etag+", "+etag), http.StatusCreated)
	})
	t.Run("StarMatchesAnExistingResource", func(t *testing.T) {
		id, _ := fresh(t)
		want(t, note(id, n.AdviserA.Token, "If-Match", "*"), http.StatusCreated)
		// Again at the next revision: "*" names no revision.
		want(t, note(id, n.AdviserA.Token, "If-Match", "*"), http.StatusCreated)
	})
	t.Run("StarOnAMissingResource", func(t *testing.T) {
		// No resource, so "*" fails; the caller learns nothing more than a
		// request without If-Match would tell (404 first, R-AUTH-4).
		missing := "/v1/referrals/00000000-0000-4000-8000-000000000001/notes"
		n.do(t, http.MethodPost, missing, n.AdviserA.Token, map[string]any{"text": "A note."}, "If-Match", "*").
			problem(t, http.StatusNotFound)
		id, _ := fresh(t)
		refused(t, n.do(t, http.MethodPost, "/v1/referrals/"+id+"/notes", n.AdviserC.Token, map[string]any{"text": "A note."}, "If-Match", "*"),
			http.StatusNotFound)
	})
	t.Run("ListMatchesWhenAnyTagDoes", func(t *testing.T) {
		id, etag := fresh(t)
		want(t, note(id, n.AdviserA.Token, "If-Match", `"999", `+etag+`, "1000"`), http.StatusCreated)
		// The list no longer holds the current revision.
		refused(t, note(id, n.AdviserA.Token, "If-Match", `"999", `+etag), http.StatusPreconditionFailed)
		// Empty list elements are allowed (RFC 9110 section 5.6.1).
		cur := want(t, n.do(t, http.MethodGet, "/v1/referrals/"+id, n.AdviserA.Token, nil), http.StatusOK).Header.Get("ETag")
		want(t, note(id, n.AdviserA.Token, "If-Match", ` , `+cur+` ,`), http.StatusCreated)
	})
	t.Run("ListOverSeveralHeaderLines", func(t *testing.T) {
		id, etag := fresh(t)
		want(t, note(id, n.AdviserA.Token, "If-Match", `"999"`, "If-Match", etag), http.StatusCreated)
	})
	t.Run("MalformedIs400NamingTheHeader", func(t *testing.T) {
		id, _ := fresh(t)
		for _, h := range []string{`abc`, `"abc"`, `"-1"`, `"1`, `1 2`, `*, "1"`, `"1" "2"`, `W/1`, `W/"a"b"`, `,`, `""`} {
			p := refused(t, note(id, n.AdviserA.Token, "If-Match", h), http.StatusBadRequest)
			if !p.hasField("If-Match") {
				t.Errorf("If-Match %s: problem does not name If-Match: %+v", h, p)
			}
		}
	})
	// A GET with If-Match answers only while the resource is at a tag it
	// names (RFC 9110 section 13.1.1): a stale one is 412 with no data. A
	// reader who may not see the resource gets 404 first, as without it.
	t.Run("ReadsAnswerOnlyWhileTheTagHolds", func(t *testing.T) {
		id, etag := fresh(t)
		path := "/v1/referrals/" + id
		want(t, n.do(t, http.MethodGet, path, n.AdviserA.Token, nil, "If-Match", etag), http.StatusOK)
		want(t, n.do(t, http.MethodGet, path, n.AdviserA.Token, nil, "If-Match", "*"), http.StatusOK)
		want(t, note(id, n.AdviserA.Token), http.StatusCreated)
		stale := n.do(t, http.MethodGet, path, n.AdviserA.Token, nil, "If-Match", etag)
		stale.problem(t, http.StatusPreconditionFailed)
		if strings.Contains(string(stale.Body), "Client Precondition") {
			t.Fatalf("a stale If-Match answered the client's data: %s", stale.Body)
		}
		n.do(t, http.MethodGet, path, n.AdviserA.Token, nil, "If-Match", `"999", `+etag+`, W/"1"`).problem(t, http.StatusPreconditionFailed)
		n.do(t, http.MethodGet, path, n.AdviserC.Token, nil, "If-Match", etag).problem(t, http.StatusNotFound)
		n.do(t, http.MethodGet, path, n.AdviserA.Token, nil, "If-Match", "W/1").problem(t, http.StatusBadRequest)

		org := "/v1/organisations/" + n.OrgB
		oetag := want(t, n.do(t, http.MethodGet, org, n.AdviserA.Token, nil), http.StatusOK).Header.Get("ETag")
		want(t, n.do(t, http.MethodGet, org, n.AdviserA.Token, nil, "If-Match", oetag), http.StatusOK)
		n.do(t, http.MethodGet, org, n.AdviserA.Token, nil, "If-Match", `"999999"`).problem(t, http.StatusPreconditionFailed)
	})
}

// TestLockRequestReadIfMatch_Issue16_LOCK9: a GET of a lock request with
// an If-Match that no longer holds is 412 and records no read of the
// reason (R-LOCK-9: only reads that show it are recorded); one that holds
// answers; anyone who may not see the request gets 404 first.
func TestLockRequestReadIfMatch_Issue16_LOCK9(t *testing.T) {
	n := newLockNet(t)
	request := n.requestLockOn(t, n.Client, nil)
	path := "/v1/lock-requests/" + request
	etag := want(t, n.do(t, http.MethodGet, path, n.ServiceManager.Token, nil), http.StatusOK).Header.Get("ETag")
	want(t, n.do(t, http.MethodGet, path, n.ServiceManager.Token, nil, "If-Match", etag), http.StatusOK)
	n.do(t, http.MethodGet, path, n.AdviserC.Token, nil, "If-Match", `"999999"`).problem(t, http.StatusNotFound)
	before := n.head(t)
	n.do(t, http.MethodGet, path, n.ServiceManager.Token, nil, "If-Match", `"999999"`).problem(t, http.StatusPreconditionFailed)
	if after := n.head(t); after != before {
		t.Fatalf("a refused read recorded something: head %d → %d", before, after)
	}
}
