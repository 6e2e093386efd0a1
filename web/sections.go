package web

import (
	"slices"
	"sort"

	"github.com/gin-gonic/gin"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

// section is one part of the interface: the pages for one kind of work
// (an adviser's casework, an org lead's users, the coordinator's follow-up,
// …), with their navigation entries, routes, the confirmations their
// actions leave and the labels of their form fields. Each page file adds
// its own in init, so the router, the navigation and the tests of who may
// use which page all read one list.
type section struct {
	Nav     []navEntry
	Mount   func(p *Pages, a *gin.RouterGroup)
	Flashes map[string]string
	Labels  map[string]string
}

// navEntry is one item of the main navigation. For says who sees it: it
// must be exactly who may use the page, as the API's rule for the same
// data says, so no one is offered a page that refuses them.
type navEntry struct {
	Key   string // the layout's Nav value on its pages, marking it current
	Label string
	Path  string
	Order int // position in the menu, smallest first
	For   func(domain.User) bool
}

// menuItem is a navigation entry as a page draws it.
type menuItem struct {
	Label, Path string
	Current     bool
}

var (
	sections []section
	navAll   []navEntry
)

// addSection registers a section; called from init of the page files.
func addSection(s section) {
	sections = append(sections, s)
	navAll = append(navAll, s.Nav...)
	sort.SliceStable(navAll, func(i, j int) bool { return navAll[i].Order < navAll[j].Order })
	for k, v := range s.Flashes {
		flashes[k] = v
	}
	for k, v := range s.Labels {
		fieldLabels[k] = v
	}
}

// menuFor is the navigation of user u, with current marking the entry
// whose Key it is.
func menuFor(u domain.User, current string) []menuItem {
	var out []menuItem
	for _, e := range navAll {
		if e.For == nil || e.For(u) {
			out = append(out, menuItem{Label: e.Label, Path: e.Path, Current: e.Key == current})
		}
	}
	return out
}

// anyRole is a navEntry.For and requireRole predicate: the user holds at
// least one of roles with effect (a void network role grants nothing).
func anyRole(roles ...domain.Role) func(domain.User) bool {
	return func(u domain.User) bool {
		return slices.ContainsFunc(u.EffectiveRoles(), func(r domain.Role) bool { return slices.Contains(roles, r) })
	}
}

// caseworker is who works on referrals for their organisation: makes,
// receives and acts on them (the API's receiver and referrer users). The
// network's coordinating body takes no referrals and is not in the
// directory, so its people (the bootstrap coordinator is also its org lead)
// are not offered casework: their first page is the coordinator's.
func caseworker(u domain.User) bool {
	return u.Actor().Caseworker() && u.OrganisationID != ledger.CoordinatorOrganisationID()
}

// everyone is every signed-in user.
func everyone(domain.User) bool { return true }

// requireRole answers 403 with the error page, as the API does for a
// role's endpoint, to a user allowed does not let in.
func (p *Pages) requireRole(allowed func(domain.User) bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		if u, ok := userFrom(c); !ok || !allowed(u) {
			p.renderError(c, 403, "You cannot use this page", "Your role does not include this work. If you think it should, ask your organisation's lead.")
			c.Abort()
			return
		}
		c.Next()
	}
}
