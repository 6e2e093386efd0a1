package web

import (
	"net/http"

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
func (p *Pages) findPage(c *gin.Context) {
	u := currentUser(c)
	raw := c.Query("reference")
	v := findView{layout: p.base(c, "Find a referral", "find"), Reference: raw, Searched: raw != ""}
	v.Search = raw
	if raw == "" {
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
	v.Reference = ref.String()
	v.Items = p.listItems(found, now)
	p.render(c, http.StatusOK, "find", v)
}
