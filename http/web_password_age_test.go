package http

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestWebOldPasswordPromptSaysWhy_AUTH2_UI2: under the network policy a
// password older than six months is due for a change (R-AUTH-2): signing
// in on the web leads to the change-password page, which says the
// password is more than six months old and offers to go on without
// changing it now, since nothing else is refused, as the API refuses
// nothing. It does not claim the password was set by someone else, or
// that nothing can be done before it changes: that is said only of a
// one-time password, set by someone else, which must be changed first.
func TestWebOldPasswordPromptSaysWhy_AUTH2_UI2(t *testing.T) {
	n := newNetwork(t, withWebPages())
	n.Clock.Advance(7 * 31 * 24 * time.Hour)
	b := n.pagesAs(t, "")
	r := b.post("/sign-in", url.Values{"username": {n.AdviserA.Username}, "password": {testUserPassword}, "next": {"/"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/password" {
		t.Fatalf("sign-in with a seven-month-old password: %d to %q", r.Status, r.Header.Get("Location"))
	}
	page := showing(t, b.get("/password"), http.StatusOK, "more than six months old", "change it later")
	if strings.Contains(page, "before you can continue") || strings.Contains(page, "set by someone else") {
		t.Errorf("the page says the password must be changed before anything else:\n%s", page)
	}
	showing(t, b.get("/incoming"), http.StatusOK)

	// A one-time password set by the lead must be changed first.
	want(t, n.do(t, http.MethodPut, "/v1/organisations/"+n.OrgA+"/users/"+n.AdviserA.ID+"/password", n.Admin.Token,
		map[string]string{"password": "Marmot#Kettle-Blue7"}), http.StatusNoContent)
	b = n.pagesAs(t, "")
	r = b.post("/sign-in", url.Values{"username": {n.AdviserA.Username}, "password": {"Marmot#Kettle-Blue7"}, "next": {"/"}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/password" {
		t.Fatalf("sign-in with a one-time password: %d to %q", r.Status, r.Header.Get("Location"))
	}
	page = showing(t, b.get("/password"), http.StatusOK, "before you can continue", "set by someone else")
	if strings.Contains(page, "six months") {
		t.Errorf("the one-time password's page speaks of its age:\n%s", page)
	}
	if r := b.get("/incoming"); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/password" {
		t.Errorf("another page with a one-time password: %d to %q", r.Status, r.Header.Get("Location"))
	}
}
