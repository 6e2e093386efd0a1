package web

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

// The coordinator's pages: the network's organisations and users, the
// overdue follow-up (shared with the org leads, for their own
// organisation), erasure requests, subject access and retention. Each page
// reads through the same ledger service call or read model as the API's
// endpoint for the same data, with the signed-in user as actor, so it
// refuses exactly whom the API refuses.
func init() {
	coordinator := anyRole(domain.RoleCoordinator)
	addSection(section{
		Nav: []navEntry{
			{Key: "overdue", Label: "Overdue", Path: "/overdue", Order: 40, For: anyRole(domain.RoleCoordinator, domain.RoleOrgLead)},
			{Key: "erasure", Label: "Erasure requests", Path: "/erasure-requests", Order: 50, For: coordinator},
			{Key: "organisations", Label: "Organisations", Path: "/organisations", Order: 60, For: coordinator},
			{Key: "users", Label: "Users", Path: "/users", Order: 61, For: coordinator},
			{Key: "retention", Label: "Retention", Path: "/retention", Order: 70, For: coordinator},
		},
		Mount: func(p *Pages, a *gin.RouterGroup) {
			a.GET("/overdue", p.overduePage)
			a.GET("/overdue.csv", p.overdueCSV)
			a.GET("/organisations", p.requireRole(coordinator), p.organisationsPage)
			a.GET("/organisations/new", p.requireRole(coordinator), p.newOrganisationPage)
			a.POST("/organisations/new", p.requireRole(coordinator), p.registerOrganisation)
			a.GET("/organisations/:id", p.organisationPage)
			a.GET("/users", p.usersPage)
			a.GET("/erasure-requests", p.erasureRequestsPage)
			a.GET("/erasure-requests/:id", p.erasureRequestPage)
			a.POST("/erasure-requests/:id", p.decideErasure)
			a.GET("/clients/:id/erasure-request", p.requestErasurePage)
			a.POST("/clients/:id/erasure-request", p.requestErasure)
			a.GET("/subject-access", p.requireRole(coordinator), p.subjectAccessFind)
			a.POST("/subject-access", p.requireRole(coordinator), p.subjectAccessFind)
			a.GET("/clients/:id/subject-access", p.subjectAccessPage)
			a.POST("/clients/:id/subject-access", p.subjectAccessPage)
			a.GET("/clients/:id/subject-access.json", p.subjectAccessJSON)
			a.POST("/clients/:id/subject-access.json", p.subjectAccessJSON)
			a.GET("/retention", p.retentionPage)
		},
		Flashes: map[string]string{
			"org-registered":      "Organisation registered. It is in the directory and accepting referrals.",
			"erasure-requested":   "The client's erasure request was passed to the coordinator, who will decide it.",
			"erasure-carried-out": "Erasure carried out: the client's details can no longer be read by anyone.",
			"erasure-refused":     "Erasure request refused. Your reason is recorded.",
		},
		Labels: map[string]string{
			"org-name": "the organisation's name", "admin-email": "the admin contact email", "description": "the description",
			"services": "the services", "decision": "the decision", "decision-reason": "the reason",
			"erasure-reason": "the reason", "sar-reason": "the reason",
		},
	})
}

// pager is one page of a list drawn from a slice: ?page=N, pageSize a
// page, with the links to its neighbours.
type pager struct {
	Page, Pages, Total int
	PrevURL, NextURL   string
}

// paginate returns the items of the page ?page= asks for, and the links to
// the pages before and after it: path with query (the filters, may be "").
func paginate[T any](c *gin.Context, path, query string, items []T) ([]T, pager) {
	n, _ := strconv.Atoi(c.Query("page"))
	pages := max(1, (len(items)+pageSize-1)/pageSize)
	n = min(max(n, 1), pages)
	lo := (n - 1) * pageSize
	hi := min(lo+pageSize, len(items))
	g := pager{Page: n, Pages: pages, Total: len(items)}
	link := func(page int) string {
		q := "page=" + strconv.Itoa(page)
		if query != "" {
			q = query + "&" + q
		}
		return path + "?" + q
	}
	if n > 1 {
		g.PrevURL = link(n - 1)
	}
	if n < pages {
		g.NextURL = link(n + 1)
	}
	return items[lo:hi], g
}

// queryID reads an optional id from the query: uuid.Nil when absent or
// not an id.
func queryID(c *gin.Context, key string) uuid.UUID {
	id, err := uuid.Parse(c.Query(key))
	if err != nil {
		return uuid.Nil
	}
	return id
}

// ---- Organisations and users (R-ORG-1) ----

type orgRow struct {
	ID, Name, AdminEmail string
	Accepting            bool
	// Coordinating: the network's coordinating body, which takes no
	// referrals whatever its intake says (a referral to it is refused).
	Coordinating bool
	ResumeOn     string
	Users        int
}

type organisationsView struct {
	layout
	Organisations []orgRow
}

// organisationsPage lists the network's organisations for the
// coordinator, with their admin contact and intake, linking to their
// users and directory entry.
func (p *Pages) organisationsPage(c *gin.Context) {
	if err := p.settleHead(c.Request.Context()); err != nil {
		p.fail(c, err)
		return
	}
	v := organisationsView{layout: p.base(c, "Organisations", "organisations")}
	users, err := p.Service.NetworkUsers(currentUser(c).Actor(), p.Orgs, uuid.Nil)
	if err != nil {
		p.fail(c, err)
		return
	}
	count := map[uuid.UUID]int{}
	for _, u := range users {
		if !u.Closed {
			count[u.OrganisationID]++
		}
	}
	for _, e := range p.Orgs.Directory(p.Service.Now()) {
		row := orgRow{ID: e.ID.String(), Name: e.Name, Accepting: e.AcceptingReferrals, ResumeOn: e.ResumeOn, Users: count[e.ID],
			Coordinating: e.ID == ledger.CoordinatorOrganisationID()}
		if o, err := p.Service.Organisation(c.Request.Context(), e.ID); err == nil {
			row.AdminEmail = o.AdminEmail
		}
		v.Organisations = append(v.Organisations, row)
	}
	p.render(c, http.StatusOK, "organisations", v)
}

type orgForm struct {
	Name, AdminEmail, Description, Services string
}

type newOrganisationView struct {
	layout
	Form orgForm
}

// Err returns the message for the field with id, "" when none.
func (v newOrganisationView) Err(id string) string { return errorFor(v.Errors, id) }

func (p *Pages) newOrganisationPage(c *gin.Context) {
	p.render(c, http.StatusOK, "organisation-new", newOrganisationView{layout: p.base(c, "Register an organisation", "organisations")})
}

// registerOrganisation registers the organisation through the ledger
// service, as POST /v1/organisations does, then shows it.
func (p *Pages) registerOrganisation(c *gin.Context) {
	f := orgForm{Name: c.PostForm("org-name"), AdminEmail: c.PostForm("admin-email"),
		Description: c.PostForm("description"), Services: c.PostForm("services")}
	services, lineErr := readServices(f.Services)
	var (
		o   domain.Organisation
		w   ledger.Written
		err error
	)
	if lineErr != nil {
		err = lineErr
	} else {
		o, w, err = p.Service.RegisterOrganisation(p.request(c, nil), currentUser(c).Actor(), domain.RegisterOrganisation{
			Name: strings.TrimSpace(f.Name), AdminEmail: strings.TrimSpace(f.AdminEmail),
			Description: strings.TrimSpace(f.Description), Services: services})
	}
	if err != nil {
		err = p.withNameTaken(c, err, uuid.Nil, f.Name)
		code := domain.ErrorCode(err)
		if code != domain.Invalid && code != domain.Conflict {
			p.fail(c, err)
			return
		}
		v := newOrganisationView{layout: p.base(c, "Error: Register an organisation", "organisations"), Form: f}
		v.Errors = fieldErrors(err, map[string]string{"name": "org-name", "admin_email": "admin-email", "description": "description"})
		v.Errors = servicesBoxErrors(v.Errors)
		if code == domain.Conflict && len(v.Errors) == 1 {
			v.Errors[0].Field = "org-name"
		}
		p.render(c, http.StatusUnprocessableEntity, "organisation-new", v)
		return
	}
	p.done(c, w.Position, "org-registered", "/organisations/"+o.ID.String())
}

// serviceField is the input id fieldErrors gives a service's field:
// "services[1]-name" for the ledger's "services[1].name".
var serviceField = regexp.MustCompile(`^services\[(\d+)\]-(name|description)$`)

// servicesBoxErrors gathers the errors of the services, typed one a line
// in one box, into one beside the box, saying which service and which
// part of it ("The name of service 2 must be …"); the errors then follow
// the order of the form.
func servicesBoxErrors(errs []fieldError) []fieldError {
	out := errs[:0]
	seen := false
	for _, e := range errs {
		if !strings.HasPrefix(e.Field, "services") {
			out = append(out, e)
			continue
		}
		if seen {
			continue
		}
		seen = true
		if m := serviceField.FindStringSubmatch(e.Field); m != nil && e.Message != "" {
			n, _ := strconv.Atoi(m[1])
			what := "The name of service "
			if m[2] == "description" {
				what = "The description of service "
			}
			e.Message = what + strconv.Itoa(n+1) + " " + strings.ToLower(e.Message[:1]) + e.Message[1:]
		}
		e.Field = "services"
		out = append(out, e)
	}
	inFormOrder(out, []string{"org-name", "admin-email", "description", "services"})
	return out
}

// readServices reads the services typed one a line, "Name: description".
func readServices(s string) ([]domain.Service, error) {
	var out []domain.Service
	for line := range strings.SplitSeq(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		name, desc, _ := strings.Cut(line, ":")
		name, desc = strings.TrimSpace(name), strings.TrimSpace(desc)
		if name == "" {
			return nil, domain.InvalidFields(domain.FieldError{Field: "services", Message: "each service needs a name before the colon"})
		}
		out = append(out, domain.Service{Name: name, Description: desc})
	}
	return out, nil
}

type organisationView struct {
	layout
	O         domain.Organisation
	Accepting bool
	// Coordinating: the network's coordinating body, which takes no referrals.
	Coordinating bool
	Coordinator  bool // may manage it: its users and entry
	Lead         bool // the user's own organisation, as its lead
}

// organisationPage shows an organisation's entry and contact, as GET
// /v1/organisations/{id} does to every signed-in user.
func (p *Pages) organisationPage(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		p.fail(c, domain.Errorf(domain.NotFound, "no such organisation"))
		return
	}
	o, err := p.Service.Organisation(c.Request.Context(), id)
	if err != nil {
		p.fail(c, err)
		return
	}
	u := currentUser(c)
	a := u.Actor()
	v := organisationView{layout: p.base(c, o.Name, ""), O: o, Accepting: o.AcceptingOn(domain.LondonDate(p.Service.Now())),
		Coordinating: o.ID == ledger.CoordinatorOrganisationID(),
		Coordinator:  a.Has(domain.RoleCoordinator), Lead: a.Has(domain.RoleOrgLead) && u.OrganisationID == o.ID}
	if v.Coordinator {
		v.Nav = "organisations"
		v.Menu = menuFor(u, "organisations")
	}
	p.render(c, http.StatusOK, "organisation", v)
}

type networkUserRow struct {
	ID, OrgID, Name, Organisation, Team string
	Roles                               []string
	Closed                              bool
}

type networkUsersView struct {
	layout
	Users         []networkUserRow
	Organisations []orgRow
	Roles         []roleChoice
	Org, Role     string
	Pager         pager
}

type roleChoice struct{ Value, Label string }

func (v networkUsersView) query() string {
	q := url.Values{}
	if v.Org != "" {
		q.Set("organisation", v.Org)
	}
	if v.Role != "" {
		q.Set("role", v.Role)
	}
	return q.Encode()
}

// usersPage lists the network's users across organisations for the
// coordinator, filterable by organisation and role, through the ledger's
// coordinator-only read.
func (p *Pages) usersPage(c *gin.Context) {
	if err := p.settleHead(c.Request.Context()); err != nil {
		p.fail(c, err)
		return
	}
	u := currentUser(c)
	org := queryID(c, "organisation")
	users, err := p.Service.NetworkUsers(u.Actor(), p.Orgs, org)
	if err != nil {
		p.fail(c, err)
		return
	}
	v := networkUsersView{layout: p.base(c, "Users", "users"), Role: c.Query("role")}
	if org != uuid.Nil {
		v.Org = org.String()
	}
	names := p.orgNames()
	for _, e := range p.Orgs.Directory(p.Service.Now()) {
		v.Organisations = append(v.Organisations, orgRow{ID: e.ID.String(), Name: e.Name})
	}
	for _, r := range domain.Roles() {
		v.Roles = append(v.Roles, roleChoice{Value: string(r), Label: roleName(r)})
	}
	var rows []networkUserRow
	for _, x := range users {
		if v.Role != "" && !slices.Contains(x.Roles, domain.Role(v.Role)) {
			continue
		}
		row := networkUserRow{ID: x.ID.String(), OrgID: x.OrganisationID.String(), Name: x.DisplayName, Team: x.Team,
			Organisation: names[x.OrganisationID], Closed: x.Closed}
		for _, r := range x.Roles {
			label := roleName(r)
			if slices.Contains(x.VoidRoles, r) {
				label += " (void)"
			}
			row.Roles = append(row.Roles, label)
		}
		rows = append(rows, row)
	}
	slices.SortStableFunc(rows, func(a, b networkUserRow) int { return strings.Compare(a.Organisation, b.Organisation) })
	v.Users, v.Pager = paginate(c, "/users", v.query(), rows)
	p.render(c, http.StatusOK, "users", v)
}
