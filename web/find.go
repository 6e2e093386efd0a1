package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/projections"
)

type findView struct {
	layout
	Reference string
	Items     []listItem
	Searched  bool
}

// findPage finds a referral by its reference (R-REF-13), as
// GET /v1/referrals?reference= does: among the referrals the user's
// organisation made or received, or the network's for coordinators and
// auditors. One found opens it; never a search by client data. The search
// page (/search) searches by more than the reference.
//
// The forms post what was typed, which may be a client's name typed by
// mistake, so that it never goes into a web address (R-PRIV-7): a
// reference goes on to the referral, or to the results at an address that
// holds the reference alone; anything else comes back with the error, in
// the page only. A link with ?reference= still opens as before.
func (p *Pages) findPage(c *gin.Context) {
	u := currentUser(c)
	posted := c.Request.Method == http.MethodPost
	raw := c.Query("reference")
	if posted {
		raw = strings.TrimSpace(c.PostForm("reference"))
	}
	v := findView{layout: p.base(c, "Find a referral", "find"), Reference: raw, Searched: raw != ""}
	v.Search = raw
	if raw == "" && !posted {
		p.render(c, http.StatusOK, "find", v)
		return
	}
	ref, err := domain.ParseReference(raw)
	if err != nil {
		v.Title = "Error: " + v.Title
		v.Errors = []fieldError{{Field: "reference", Message: "Enter a reference like 7KQ4-M2XD: eight letters and numbers"}}
		p.render(c, http.StatusUnprocessableEntity, "find", v)
		return
	}
	if err := p.settleHead(c.Request.Context()); err != nil {
		p.fail(c, err)
		return
	}
	now := p.Service.Now()
	page, err := p.Referrals.Search(projections.SearchQuery{Reference: ref, Organisation: projections.SearchScope(u.Actor()),
		Visible: p.lockVisible(u.Actor(), now)}, now)
	if err != nil {
		p.fail(c, err)
		return
	}
	found := page.Items
	if len(found) == 1 {
		c.Redirect(http.StatusSeeOther, "/referrals/"+found[0].ID.String())
		return
	}
	if posted { // the results at an address a reload does not post again
		c.Redirect(http.StatusSeeOther, "/find?"+url.Values{"reference": {ref.String()}}.Encode())
		return
	}
	v.Reference = ref.String()
	v.Items = p.listItems(found, now)
	p.render(c, http.StatusOK, "find", v)
}
