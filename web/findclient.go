package web

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/referral-ledger/ledger/domain"
)

// Finding a known client (R-REF-14), as POST /v1/clients/search does: an
// adviser or org lead gives a client's name and date of birth and sees the
// clients their own organisation already referred with them, each with
// those referrals (reference, status, date made), never another
// organisation's nor an erased client. The form posts, and the results
// are the answer to the post, so that no client data is ever in a web
// address (R-PRIV-7).
func init() {
	addSection(section{
		Mount: func(p *Pages, a *gin.RouterGroup) {
			a.GET("/find-a-client", p.requireRole(mayFindClients), p.findClientPage)
			a.POST("/find-a-client", p.requireRole(mayFindClients), p.findClientPage)
		},
	})
}

// mayFindClients is who POST /v1/clients/search answers.
func mayFindClients(u domain.User) bool {
	return anyRole(domain.RoleAdviser, domain.RoleOrgLead)(u)
}

type findClientView struct {
	layout
	Name, DateOfBirth string
	Searched          bool
	Matches           []knownClientMatch
}

func (p *Pages) findClientPage(c *gin.Context) {
	v := findClientView{layout: p.base(c, "Find a client your organisation referred", "search")}
	if c.Request.Method != http.MethodPost {
		p.render(c, http.StatusOK, "find-client", v)
		return
	}
	v.Name, v.DateOfBirth = strings.TrimSpace(c.PostForm("client-name")), strings.TrimSpace(c.PostForm("client-dob"))
	// The ledger's own check of the lookup, its fields in the form's words.
	err := domain.ValidateClientSearch(currentUser(c).Actor(), domain.ClientSearch{Name: v.Name, DateOfBirth: readDate(v.DateOfBirth)})
	if domain.ErrorCode(err) == domain.Forbidden {
		p.fail(c, err)
		return
	}
	for _, f := range domain.ErrorFields(err) {
		switch {
		case f.Field == "name" && v.Name == "":
			v.Errors = append(v.Errors, fieldError{Field: "client-name", Message: "Enter the client's full name"})
		case f.Field == "name":
			v.Errors = append(v.Errors, fieldError{Field: "client-name", Message: "Enter the client's name as letters, no longer than a name needs"})
		case f.Field == "date_of_birth" && v.DateOfBirth == "":
			v.Errors = append(v.Errors, fieldError{Field: "client-dob", Message: "Enter the client's date of birth"})
		case f.Field == "date_of_birth":
			v.Errors = append(v.Errors, fieldError{Field: "client-dob", Message: "Enter a real date of birth, for example 27 3 1980"})
		}
	}
	if len(v.Errors) > 0 {
		v.Title = "Error: " + v.Title
		p.render(c, http.StatusUnprocessableEntity, "find-client", v)
		return
	}
	if err := p.settleHead(c.Request.Context()); err != nil {
		p.fail(c, err)
		return
	}
	matches, err := p.knownClients(c, makeForm{Name: v.Name, DateOfBirth: v.DateOfBirth})
	if err != nil {
		p.fail(c, err)
		return
	}
	v.Searched, v.Matches = true, matches
	p.render(c, http.StatusOK, "find-client", v)
}
