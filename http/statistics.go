package http

import (
	"bytes"
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/statistics"
)

// maxStatisticsMonths bounds the period of one statistics request: ten
// years is more than any report needs and keeps the work bounded.
const maxStatisticsMonths = 120

// statisticsQuery is a validated GET /v1/statistics query.
type statisticsQuery struct {
	from, to calendar.Date
	groupBy  statistics.GroupBy
	csv      bool
}

// statistics answers the coordinator's anonymised statistics (R-STAT-1,
// R-STAT-4): JSON by default, CSV with format=csv, after disclosure
// control (R-STAT-3). It first waits for the read model to reach the
// store's head, so a report reflects every write made before it was asked
// for. Errors: 401, 403 for every role but coordinator, 422 for a bad
// query, 503 when the views cannot catch up.
func (s *Server) statistics(c *gin.Context) {
	if !currentUser(c).Actor().Has(domain.RoleCoordinator) {
		writeError(c, domain.Errorf(domain.Forbidden, "only the coordinator can produce statistics"))
		return
	}
	now := s.Service.Now()
	q, err := s.parseStatisticsQuery(c, now)
	if err != nil {
		writeError(c, err)
		return
	}
	if err := s.settleAll(c); err != nil {
		writeError(c, err)
		return
	}
	table := s.Statistics.Table(q.from, q.to, now)
	for _, o := range s.Orgs.Directory(now) {
		table.AddOrganisation(o.ID.String(), o.Name)
	}
	rep := statistics.Publish(table, s.Disclosure, q.groupBy)
	rep.From, rep.To, rep.GeneratedAt = q.from.String(), q.to.String(), now
	if !q.csv {
		c.JSON(http.StatusOK, rep)
		return
	}
	var buf bytes.Buffer
	if err := rep.WriteCSV(&buf); err != nil {
		writeError(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="referral-statistics-`+rep.From+`-to-`+rep.To+`.csv"`)
	c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// settleAll waits (bounded) until the views have applied every event the
// store held when the request arrived.
func (s *Server) settleAll(c *gin.Context) error {
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.Options.ReadYourWritesTimeout)
	defer cancel()
	head, err := s.Service.Store().Head(ctx)
	if err != nil {
		return &domain.Error{Code: domain.Unavailable, Message: "the event store cannot be reached; retry shortly", Cause: err}
	}
	return s.settle(c, head)
}

// parseStatisticsQuery reads from and to, group_by and format. With
// disclosure control on, from and to are months (YYYY-MM) and to must be a
// completed month (R-STAT-5), or the current one where the network allows
// it; the default period is the last twelve completed months. With it off
// (exact counts) a bound may also be a day (YYYY-MM-DD), and the default is
// the current month and the eleven before it, up to today. Errors:
// Invalid, naming every bad parameter.
func (s *Server) parseStatisticsQuery(c *gin.Context, now time.Time) (statisticsQuery, error) {
	var (
		q    statisticsQuery
		errs []domain.FieldError
		bad  = func(field, msg string) { errs = append(errs, domain.FieldError{Field: field, Message: msg}) }
		rule = s.Disclosure
	)
	today := s.Calendar.DateOf(now)
	current := statistics.MonthOf(today.Year, today.Month)
	last := rule.LastMonth(current)
	// bound reads one end of the period; end says it is the last day.
	bound := func(field, v string, end bool) (calendar.Date, bool) {
		if !rule.WholeMonths() {
			d, ok := parsePeriodDay(v, end)
			if !ok {
				bad(field, "must be a month (YYYY-MM) or a date (YYYY-MM-DD)")
			}
			return d, ok
		}
		m, ok := statistics.ParseMonth(v)
		switch {
		case !ok:
			bad(field, "must be a month (YYYY-MM): with disclosure control on, statistics cover whole months only")
		case last.Before(m):
			bad(field, "must be a completed month, "+last.String()+" or earlier: with disclosure control on, "+
				"statistics cover completed months only")
			ok = false
		}
		return monthBound(m, end), ok
	}
	_, defaultTo := rule.DefaultMonths(current)
	q.to = monthBound(defaultTo, true)
	if !rule.WholeMonths() {
		q.to = today
	}
	if v, ok := c.GetQuery("to"); ok {
		if d, ok := bound("to", v, true); ok {
			q.to = d
		}
	}
	q.from = calendar.NewDate(q.to.Year, q.to.Month-11, 1)
	if v, ok := c.GetQuery("from"); ok {
		if d, ok := bound("from", v, false); ok {
			q.from = d
		}
	}
	if len(errs) == 0 {
		months := (q.to.Year-q.from.Year)*12 + int(q.to.Month) - int(q.from.Month) + 1
		switch {
		case q.to.Before(q.from):
			bad("to", "must not be before from")
		case months > maxStatisticsMonths:
			bad("from", "the period must not span more than 120 months")
		}
	}
	var err error
	if q.groupBy, err = statistics.ParseGroupBy(c.Query("group_by")); err != nil {
		bad("group_by", "must be organisation, month, or both separated by a comma")
	}
	switch c.DefaultQuery("format", "json") {
	case "json":
	case "csv":
		q.csv = true
	default:
		bad("format", "must be json or csv")
	}
	if len(errs) > 0 {
		return statisticsQuery{}, domain.InvalidFields(errs...)
	}
	return q, nil
}

// monthBound is the first day of m, or its last when end is set.
func monthBound(m statistics.Month, end bool) calendar.Date {
	if end {
		return calendar.NewDate(m.Year, m.Month+1, 0)
	}
	return calendar.NewDate(m.Year, m.Month, 1)
}

// parsePeriodDay reads YYYY-MM-DD, or YYYY-MM as its first day (or its
// last, when end is set).
func parsePeriodDay(s string, end bool) (calendar.Date, bool) {
	if d, err := calendar.ParseDate(s); err == nil {
		return d, true
	}
	t, err := time.Parse("2006-01", s)
	if err != nil || len(s) != len("2006-01") {
		return calendar.Date{}, false
	}
	if end {
		return calendar.NewDate(t.Year(), t.Month()+1, 0), true
	}
	return calendar.NewDate(t.Year(), t.Month(), 1), true
}
