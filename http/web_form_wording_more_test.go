package http

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestWebUsernameErrorNamesTheField_AUTH1_UI2: a username the add-a-user
// form refuses is refused naming the username, as every other field's
// error names its field, not with a message that starts mid-sentence
// ("May contain only …").
func TestWebUsernameErrorNamesTheField_AUTH1_UI2(t *testing.T) {
	n := newNetwork(t, withWebPages())
	admin := n.pagesAs(t, n.Admin.Token)
	form := url.Values{"display-name": {"Nell New"}, "username": {"nell new"}, "email": {"nell@example.org"},
		"roles": {"adviser"}, "password": {"Set-By-Lead#Quokka7"}}
	page := showing(t, admin.post("/organisations/"+n.OrgB+"/users", form), http.StatusUnprocessableEntity,
		`<a href="#username">The username may contain only letters, digits and . _ - @.</a>`, `value="nell new"`)
	if strings.Contains(page, ">May contain") {
		t.Error("the username's error does not say what it is about")
	}
	form.Set("username", "nl")
	showing(t, admin.post("/organisations/"+n.OrgB+"/users", form), http.StatusUnprocessableEntity,
		`<a href="#username">The username must be 3 to 64 characters long.</a>`)
}
