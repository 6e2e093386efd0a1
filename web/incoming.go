package web

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/projections"
)

type incomingView struct {
	layout
	Items           []listItem
	Mine            bool   // only those assigned to the signed-in user
	Status          string // "", "made" or "acknowledged"
	Next            string // the cursor of the next page, "" on the last
	Overdue, Urgent int    // of all the open incoming referrals shown to the user
	Paged           bool   // this is not the first page
	// Assigned is the assignment filter, as GET /v1/inbox?assigned= takes
	// it: "" for anyone, "me", or the id of one of the organisation's
	// advisers (R-VIEW-1, per assigned adviser); Advisers are those offered.
	Assigned string
	Advisers []domain.User
}

// incomingPage is the inbox (R-VIEW-1): the organisation's open incoming
// referrals, soonest deadline first, from the read model the API's inbox
// reads, with the same need to know and case-lock rule.
func (p *Pages) incomingPage(c *gin.Context) {
	u := currentUser(c)
	v := incomingView{layout: p.base(c, "Incoming referrals", "incoming"), Mine: c.Query("assigned") == "me",
		Status: c.Query("status"), Paged: c.Query("next") != ""}
	if !slices.Contains(domain.Statuses(), domain.Status(v.Status)) {
		v.Status = ""
	}
	q := projections.InboxQuery{Organisation: u.OrganisationID, Status: domain.Status(v.Status), After: c.Query("next"), Limit: pageSize}
	v.Advisers = p.advisers(c.Request.Context(), u.OrganisationID)
	switch a := c.Query("assigned"); {
	case v.Mine:
		v.Assigned, q.Assignee = "me", u.ID
	case a != "":
		// One of the organisation's advisers; anyone else, as the
		// filter offers no one else, is no filter.
		for _, adv := range v.Advisers {
			if adv.ID.String() == a {
				v.Assigned, q.Assignee = a, adv.ID
			}
		}
	}
	if err := p.settleHead(c.Request.Context()); err != nil {
		p.fail(c, err)
		return
	}
	now := p.Service.Now()
	q.Visible = p.lockVisible(u.Actor(), now)
	page, err := p.Referrals.Inbox(q, now)
	if err != nil { // a cursor no page gave: start again
		q.After, v.Paged = "", false
		page, _ = p.Referrals.Inbox(q, now)
	}
	v.Items, v.Next = p.listItems(page.Items, now), page.Next
	v.Overdue, v.Urgent = p.inboxCounts(projections.InboxQuery{Organisation: u.OrganisationID, Visible: q.Visible}, now)
	p.render(c, http.StatusOK, "incoming", v)
}

// Caption says in what order the list comes, as projections.Inbox sorts
// it: open referrals soonest deadline first, ended ones latest first.
func (v incomingView) Caption() string {
	switch domain.Status(v.Status) {
	case "", domain.StatusMade, domain.StatusAcknowledged:
		return "Incoming referrals, soonest deadline first"
	}
	return "Incoming referrals, latest " + strings.ToLower(statusText(domain.Status(v.Status))) + " first"
}

// pageSize is how many referrals a list page shows.
const pageSize = 25

// inboxCounts counts the overdue and the urgent among every open incoming
// referral q lists.
func (p *Pages) inboxCounts(q projections.InboxQuery, now time.Time) (overdue, urgent int) {
	q.Limit = projections.MaxLimit
	for {
		page, err := p.Referrals.Inbox(q, now)
		if err != nil {
			return overdue, urgent
		}
		for _, r := range page.Items {
			if r.Overdue {
				overdue++
			}
			if r.Urgent {
				urgent++
			}
		}
		if page.Next == "" {
			return overdue, urgent
		}
		q.After = page.Next
	}
}
