package http

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestWebPasswordChangeThrottledSaysWhen_AUTH5_UI2: wrong current
// passwords on the change-password page count against the same limit as
// PUT /v1/users/me/password (R-AUTH-5). Past it, the page answers as the
// API does, 429 with the API's Retry-After, and says in words that too
// many attempts failed and in how many minutes to try again, beside the
// current password, to which the error summary links; it does not blame
// the password typed, and nothing is changed: the old password still
// signs in.
func TestWebPasswordChangeThrottledSaysWhen_AUTH5_UI2(t *testing.T) {
	n := newNetwork(t, withWebPages())
	b := n.pagesAs(t, n.AdviserA.Token)
	change := func(current string) *response {
		return b.post("/password", url.Values{"current-password": {current},
			"new-password": {"Otter#Stream-58"}, "confirm-password": {"Otter#Stream-58"}})
	}
	for i := range 5 {
		showing(t, change("not-it-"+strconv.Itoa(i)), http.StatusUnprocessableEntity, "not your current password")
	}
	r := change(testUserPassword)
	api := n.do(t, http.MethodPut, "/v1/users/me/password", n.AdviserA.Token,
		map[string]string{"current_password": testUserPassword, "new_password": "Otter#Stream-58"})
	api.problem(t, http.StatusTooManyRequests)
	secs, err := strconv.Atoi(api.Header.Get("Retry-After"))
	if err != nil || secs <= 60 {
		t.Fatalf("the API's Retry-After %q", api.Header.Get("Retry-After"))
	}
	page := showing(t, r, http.StatusTooManyRequests, "<title>Error: ", `href="#current-password"`,
		`id="current-password-error"`, "Try again in "+strconv.Itoa((secs+59)/60)+" minutes.")
	if got := r.Header.Get("Retry-After"); got != strconv.Itoa(secs) {
		t.Errorf("Retry-After %q, the API's %d", got, secs)
	}
	if strings.Contains(page, "not your current password") || strings.Contains(page, "try again later") {
		t.Errorf("the page blames the password, or does not say when to try again:\n%s", page)
	}
	n.Clock.Advance(time.Duration(secs) * time.Second)
	n.signIn(t, n.AdviserA.Username, testUserPassword)
}
