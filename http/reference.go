package http

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/projections"
)

// searchParams are the query parameters GET /v1/referrals accepts. Anything
// else is refused, so that nobody believes they searched by a client's
// name or date of birth (never searchable by client data).
var searchParams = []string{"reference", "status", "from_organisation_id", "to_organisation_id",
	"made_from", "made_to", "limit", "next"}

// plainParam is a parameter name the answer may repeat: anything else is
// named only as "query", since a caller could type client data there.
var plainParam = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// findReferrals searches referrals by their public fields:
// GET /v1/referrals?reference=&status=&from_organisation_id=
// &to_organisation_id=&made_from=&made_to=&limit=&next=. Every filter is
// optional and they combine; made_from and made_to are London dates,
// inclusive; a filter given empty does not filter. Newest made first, a page at a time (?limit=, ?next=).
//
// Need to know (R-AUTH-4): a user sees the referrals their organisation
// made or received, whatever their role, except coordinators and auditors,
// who search the whole network; a locked case only to those its lock lets
// in, as in every list (R-LOCK-2). Never by client data. Errors: 422 naming
// each bad or unknown parameter.
func (s *Server) findReferrals(c *gin.Context) {
	user := currentUser(c)
	actor := user.Actor()
	var v validator
	q := projections.SearchQuery{Organisation: projections.SearchScope(actor)}
	unknownParams(c, &v, searchParams)
	q.Limit, q.After = pageParams(c, &v)
	if raw, ok := filterQuery(c, &v, "reference"); ok {
		ref, err := domain.ParseReference(raw)
		v.check(err == nil, "reference", "must be a referral's reference, eight letters and numbers such as 7KQ4-M2XD")
		q.Reference = ref
	}
	if raw, ok := filterQuery(c, &v, "status"); ok {
		q.Status = domain.Status(raw)
		v.check(slices.Contains(domain.Statuses(), q.Status), "status", "must be one of "+statusList())
	}
	q.From = queryUUID(c, &v, "from_organisation_id")
	q.To = queryUUID(c, &v, "to_organisation_id")
	from, fromOK := queryDate(c, &v, "made_from")
	to, toOK := queryDate(c, &v, "made_to")
	if fromOK {
		q.MadeFrom = from
	}
	if toOK {
		q.MadeBefore = to.AddDate(0, 0, 1)
		v.check(!fromOK || !to.Before(from), "made_to", "must be the same day as made_from or later")
	}
	if err := v.err(); err != nil {
		writeError(c, err)
		return
	}
	s.listReferrals(c, func(now time.Time) (projections.Page[projections.ReferralSummary], error) {
		q.Visible = s.lockVisible(actor, now)
		return s.Referrals.Search(q, now)
	})
}

// filterQuery is singleQuery for a search filter: given empty, as a form
// with a field left blank sends it, it does not filter.
func filterQuery(c *gin.Context, v *validator, name string) (string, bool) {
	raw, ok := singleQuery(c, v, name)
	return raw, ok && raw != ""
}

// unknownParams adds a field error for every query parameter not in known.
func unknownParams(c *gin.Context, v *validator, known []string) {
	searchBy := "search by " + strings.Join(known[:6], ", ") + "; never by client data"
	unexpectedParams(c, v, known, "is not a search filter: "+searchBy,
		"has a parameter that is not a search filter: "+searchBy)
}

// unexpectedParams adds to v, for each query parameter of the request not
// in known, in name order, the mistake says under its name; names that are
// not plain words are not repeated back but reported once, as query, with
// saysQuery.
func unexpectedParams(c *gin.Context, v *validator, known []string, says, saysQuery string) {
	var unknown []string
	for name := range c.Request.URL.Query() {
		if !slices.Contains(known, name) {
			unknown = append(unknown, name)
		}
	}
	slices.Sort(unknown)
	named := false
	for _, name := range unknown {
		switch {
		case plainParam.MatchString(name):
			v.add(name, says)
		case !named:
			named = true
			v.add("query", saysQuery)
		}
	}
}

// statusList is the statuses the domain defines, for messages.
func statusList() string {
	var b strings.Builder
	for i, st := range domain.Statuses() {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(`"` + string(st) + `"`)
	}
	return b.String()
}

// queryUUID reads an optional id parameter.
func queryUUID(c *gin.Context, v *validator, name string) uuid.UUID {
	raw, ok := filterQuery(c, v, name)
	if !ok {
		return uuid.Nil
	}
	id, valid := parseUUID(raw)
	v.check(valid, name, "must be an organisation id (a UUID)")
	return id
}

// queryDate reads an optional YYYY-MM-DD parameter as the first instant of
// that day in London.
func queryDate(c *gin.Context, v *validator, name string) (time.Time, bool) {
	raw, ok := filterQuery(c, v, name)
	if !ok {
		return time.Time{}, false
	}
	d, err := time.Parse(domain.DateLayout, raw)
	if err != nil {
		v.add(name, "must be a date in the form YYYY-MM-DD")
		return time.Time{}, false
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, domain.London()), true
}
