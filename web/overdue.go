package web

import (
	"encoding/csv"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/projections"
)

// overdueRow is an overdue referral as the follow-up page and its CSV show
// it: ids, organisations and timescales, never client data (R-LEDGER-6).
type overdueRow struct {
	ID, Reference        string
	Status               string
	Urgent               bool
	From, To             string
	FromID, ToID         string
	Stage                string // "acknowledge" or "close"
	StageText            string
	Due                  time.Time
	WorkingDaysOverdue   int
	DaysText             string
	Organisation         string // the organisation expected to act: the receiver
	organisationSortName string
}

type overdueView struct {
	layout
	Rows          []overdueRow
	Organisations []orgRow
	Coordinator   bool
	Org, Stage    string
	Order         string
	Query         string // the filters as a query string, for the CSV link and pages
	Pager         pager
}

// overdueFilter is what the page's filters ask for.
type overdueFilter struct {
	org   uuid.UUID
	stage string
	order string
}

func readOverdueFilter(c *gin.Context) overdueFilter {
	f := overdueFilter{org: queryID(c, "organisation"), stage: c.Query("stage"), order: c.Query("order")}
	if f.stage != string(domain.StageAcknowledge) && f.stage != string(domain.StageClose) {
		f.stage = ""
	}
	if f.order != "organisation" && f.order != "stage" {
		f.order = ""
	}
	return f
}

func (f overdueFilter) query() string {
	q := make([]string, 0, 3)
	if f.org != uuid.Nil {
		q = append(q, "organisation="+f.org.String())
	}
	if f.stage != "" {
		q = append(q, "stage="+f.stage)
	}
	if f.order != "" {
		q = append(q, "order="+f.order)
	}
	return strings.Join(q, "&")
}

// overdueRows reads every overdue referral the user may see, as GET
// /v1/overdue lists them (R-VIEW-3): the coordinator's network-wide, an org
// lead's to or from their organisation, locked cases only to those their
// lock lets in; then applies the page's filters and order. Anyone else is
// refused as the API refuses them.
func (p *Pages) overdueRows(c *gin.Context, f overdueFilter) ([]overdueRow, error) {
	u := currentUser(c)
	actor := u.Actor()
	var q projections.OverdueQuery
	switch {
	case actor.Has(domain.RoleCoordinator):
	case actor.Has(domain.RoleOrgLead):
		q.Organisation = u.OrganisationID
	default:
		return nil, domain.Errorf(domain.Forbidden, "only the coordinator and organisation leads can list overdue referrals")
	}
	if err := p.settleHead(c.Request.Context()); err != nil {
		return nil, err
	}
	now := p.Service.Now()
	q.Visible = p.lockVisible(actor, now)
	q.Limit = projections.MaxLimit
	names := p.orgNames()
	name := func(id uuid.UUID) string {
		if n, ok := names[id]; ok {
			return n
		}
		return "Unknown organisation"
	}
	var rows []overdueRow
	for {
		page, err := p.Referrals.Overdue(q, now)
		if err != nil {
			return nil, err
		}
		for _, o := range page.Items {
			if f.org != uuid.Nil && o.FromOrganisationID != f.org && o.ToOrganisationID != f.org {
				continue
			}
			if f.stage != "" && string(o.Stage) != f.stage {
				continue
			}
			r := overdueRow{ID: o.ID.String(), Reference: domain.ReferenceOf(o.ID).String(), Status: statusText(o.Status),
				Urgent: o.Urgent, From: name(o.FromOrganisationID), To: name(o.ToOrganisationID),
				FromID: o.FromOrganisationID.String(), ToID: o.ToOrganisationID.String(), Stage: string(o.Stage),
				StageText: stageName(o.Stage), Due: o.Due, WorkingDaysOverdue: o.WorkingDaysOverdue}
			r.Organisation = r.To
			r.organisationSortName = strings.ToLower(r.To)
			r.DaysText = strconv.Itoa(o.WorkingDaysOverdue) + " working " + pluralWord(o.WorkingDaysOverdue, "day", "days")
			rows = append(rows, r)
		}
		if page.Next == "" {
			break
		}
		q.After = page.Next
	}
	// The list comes oldest deadline first; the other orders keep that
	// within each organisation or stage.
	switch f.order {
	case "organisation":
		slices.SortStableFunc(rows, func(a, b overdueRow) int { return strings.Compare(a.organisationSortName, b.organisationSortName) })
	case "stage":
		slices.SortStableFunc(rows, func(a, b overdueRow) int { return strings.Compare(a.Stage, b.Stage) })
	}
	return rows, nil
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func stageName(s domain.Stage) string {
	switch s {
	case domain.StageAcknowledge:
		return "Acknowledge"
	case domain.StageClose:
		return "Close"
	}
	return string(s)
}

// overduePage is the overdue follow-up page (R-VIEW-3).
func (p *Pages) overduePage(c *gin.Context) {
	f := readOverdueFilter(c)
	rows, err := p.overdueRows(c, f)
	if err != nil {
		p.fail(c, err)
		return
	}
	v := overdueView{layout: p.base(c, "Overdue referrals", "overdue"), Org: "", Stage: f.stage, Order: f.order,
		Query: f.query(), Coordinator: currentUser(c).Actor().Has(domain.RoleCoordinator)}
	if f.org != uuid.Nil {
		v.Org = f.org.String()
	}
	if v.Coordinator {
		for _, e := range p.Orgs.Directory(p.Service.Now()) {
			v.Organisations = append(v.Organisations, orgRow{ID: e.ID.String(), Name: e.Name})
		}
	}
	v.Rows, v.Pager = paginate(c, "/overdue", f.query(), rows)
	p.render(c, http.StatusOK, "overdue", v)
}

// overdueCSV downloads the overdue list with the page's filters: ids,
// organisations and timescales only, never client data.
func (p *Pages) overdueCSV(c *gin.Context) {
	rows, err := p.overdueRows(c, readOverdueFilter(c))
	if err != nil {
		p.fail(c, err)
		return
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"reference", "referral_id", "status", "urgent", "from_organisation", "to_organisation",
		"stage", "due", "working_days_overdue"})
	for _, r := range rows {
		_ = w.Write([]string{r.Reference, r.ID, r.Status, strconv.FormatBool(r.Urgent), csvSafe(r.From), csvSafe(r.To),
			r.Stage, r.Due.UTC().Format(time.RFC3339), strconv.Itoa(r.WorkingDaysOverdue)})
	}
	w.Flush()
	name := "overdue-referrals-" + domain.LondonDate(p.Service.Now()) + ".csv"
	c.Header("Content-Disposition", `attachment; filename="`+name+`"`)
	c.Header("Cache-Control", "no-store")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, "text/csv; charset=utf-8", []byte(b.String()))
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
