package web

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

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
	// it: "" for anyone, "me", or the id of a user of the organisation
	// (R-VIEW-1, per assigned adviser); Advisers are those offered: its
	// open accounts that can work referrals, and anyone else an open
	// incoming referral is still assigned to (an adviser who has left, so
	// that their referrals can be found and reassigned).
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
	if err := p.settleHead(c.Request.Context()); err != nil {
		p.fail(c, err)
		return
	}
	now := p.Service.Now()
	q.Visible = p.lockVisible(u.Actor(), now)
	var assignees map[uuid.UUID]bool
	v.Overdue, v.Urgent, assignees = p.inboxCounts(projections.InboxQuery{Organisation: u.OrganisationID, Visible: q.Visible}, now)
	users := p.orgUsers(c.Request.Context(), u.OrganisationID)
	v.Advisers = offeredAssignees(users, assignees)
	switch a := c.Query("assigned"); {
	case v.Mine:
		v.Assigned, q.Assignee = "me", u.ID
	case a != "":
		// Any user of the organisation, as the API takes it, offered in
		// the filter if they are not already; anyone else is no filter.
		if id, err := uuid.Parse(a); err == nil && id == u.ID {
			// The user's own id is "me", which the filter offers.
			v.Mine, v.Assigned, q.Assignee = true, "me", u.ID
		} else if err == nil {
			if who, ok := users[id]; ok {
				v.Assigned, q.Assignee = id.String(), id
				if !slices.ContainsFunc(v.Advisers, func(o domain.User) bool { return o.ID == id }) {
					v.Advisers = append(v.Advisers, who)
				}
			}
		}
	}
	page, err := p.Referrals.Inbox(q, now)
	if err != nil { // a cursor no page gave: start again
		q.After, v.Paged = "", false
		page, _ = p.Referrals.Inbox(q, now)
	}
	v.Items, v.Next = p.listItems(page.Items, now), page.Next
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
// referral q lists, and returns whom they are assigned to.
func (p *Pages) inboxCounts(q projections.InboxQuery, now time.Time) (overdue, urgent int, assignees map[uuid.UUID]bool) {
	q.Limit = projections.MaxLimit
	assignees = map[uuid.UUID]bool{}
	for {
		page, err := p.Referrals.Inbox(q, now)
		if err != nil {
			return overdue, urgent, assignees
		}
		for _, r := range page.Items {
			if r.Overdue {
				overdue++
			}
			if r.Urgent {
				urgent++
			}
			if r.AssignedTo != uuid.Nil {
				assignees[r.AssignedTo] = true
			}
		}
		if page.Next == "" {
			return overdue, urgent, assignees
		}
		q.After = page.Next
	}
}

// orgUsers returns every account of org, open or closed, by id.
func (p *Pages) orgUsers(ctx context.Context, org uuid.UUID) map[uuid.UUID]domain.User {
	o, err := p.Service.Organisation(ctx, org)
	if err != nil {
		return nil
	}
	return o.Users
}

// offeredAssignees is whom the Incoming page's filter offers: the open
// accounts that can work referrals (as the assignment form offers them),
// then anyone else an open incoming referral is assigned to (an adviser
// whose account has closed, or who no longer works referrals), by name.
func offeredAssignees(users map[uuid.UUID]domain.User, assignees map[uuid.UUID]bool) []domain.User {
	var out, others []domain.User
	for _, u := range users {
		switch {
		case !u.Closed && u.Actor().Caseworker():
			out = append(out, u)
		case assignees[u.ID]:
			others = append(others, u)
		}
	}
	byName := func(a, b domain.User) int {
		if c := strings.Compare(a.DisplayName, b.DisplayName); c != 0 {
			return c
		}
		return strings.Compare(a.ID.String(), b.ID.String())
	}
	slices.SortFunc(out, byName)
	slices.SortFunc(others, byName)
	return append(out, others...)
}
