package http

import (
	"net/http"
	"testing"
)

// TestWebSessionEndedByPasswordChangeSaysSo_AUTH6_UI2: a password change
// ends every other session of the user (R-AUTH-6), made by the user on
// another device or by their lead setting a one-time password. The page
// the ended session next asks for comes to the sign-in page, which names
// that among the reasons it was signed out, not only time or a sign-out
// elsewhere, so the user knows why their old password may no longer work.
func TestWebSessionEndedByPasswordChangeSaysSo_AUTH6_UI2(t *testing.T) {
	n := newNetwork(t, withWebPages())
	b := n.pagesAs(t, n.AdviserA.Token)
	showing(t, b.get("/incoming"), http.StatusOK)
	want(t, n.do(t, http.MethodPut, "/v1/organisations/"+n.OrgA+"/users/"+n.AdviserA.ID+"/password", n.LeadA.Token,
		map[string]string{"password": "Marmot#Kettle-Blue7"}), http.StatusNoContent)
	showing(t, b.follow(b.get("/incoming")), http.StatusOK, "You were signed out", "your password was changed")
}
