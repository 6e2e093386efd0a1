package web

import (
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/projections"
)

type outgoingView struct {
	layout
	Items  []listItem
	Next   string
	Paged  bool
	Status string // only referrals of this status, as GET /v1/outbox?status= lists them; "" for every one
}

// outgoingPage is the outbox (R-VIEW-2): the referrals the organisation
// made, newest first, each with its current status.
func (p *Pages) outgoingPage(c *gin.Context) {
	u := currentUser(c)
	v := outgoingView{layout: p.base(c, "Outgoing referrals", "outgoing"), Paged: c.Query("next") != "", Status: c.Query("status")}
	if !slices.Contains(domain.Statuses(), domain.Status(v.Status)) {
		v.Status = ""
	}
	if err := p.settleHead(c.Request.Context()); err != nil {
		p.fail(c, err)
		return
	}
	now := p.Service.Now()
	q := projections.OutboxQuery{Organisation: u.OrganisationID, Status: domain.Status(v.Status), After: c.Query("next"), Limit: pageSize,
		Visible: p.lockVisible(u.Actor(), now)}
	page, err := p.Referrals.Outbox(q, now)
	if err != nil {
		q.After, v.Paged = "", false
		page, _ = p.Referrals.Outbox(q, now)
	}
	v.Items, v.Next = p.listItems(page.Items, now), page.Next
	p.render(c, http.StatusOK, "outgoing", v)
}
