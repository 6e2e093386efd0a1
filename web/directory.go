package web

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/projections"
)

type directoryView struct {
	layout
	Query         string
	Organisations []projections.DirectoryEntry
	Total         int
	// CanRefer: the user may make referrals (mayRefer), to any accepting
	// organisation but their own, Own.
	CanRefer bool
	Own      uuid.UUID
}

// directoryPage lists the organisations, their services and whether they
// accept referrals (R-VIEW-4), as GET /v1/directory does, with a search
// over names, descriptions and services.
func (p *Pages) directoryPage(c *gin.Context) {
	q := strings.TrimSpace(c.Query("q"))
	u := currentUser(c)
	v := directoryView{layout: p.base(c, "Directory of organisations", "directory"), Query: q, CanRefer: mayRefer(u), Own: u.OrganisationID}
	for _, e := range p.directory() {
		v.Total++
		if q == "" || matches(e, q) {
			v.Organisations = append(v.Organisations, e)
		}
	}
	p.render(c, http.StatusOK, "directory", v)
}

// directory is the network's organisations one can refer to: every one but
// the coordinator's, which leads the network and takes no referrals.
func (p *Pages) directory() []projections.DirectoryEntry {
	var out []projections.DirectoryEntry
	for _, e := range p.Orgs.Directory(p.Service.Now()) {
		if e.ID != ledger.CoordinatorOrganisationID() {
			out = append(out, e)
		}
	}
	return out
}

func matches(e projections.DirectoryEntry, q string) bool {
	q = strings.ToLower(q)
	if strings.Contains(strings.ToLower(e.Name), q) || strings.Contains(strings.ToLower(e.Description), q) {
		return true
	}
	for _, s := range e.Services {
		if strings.Contains(strings.ToLower(s.Name), q) || strings.Contains(strings.ToLower(s.Description), q) {
			return true
		}
	}
	return false
}
