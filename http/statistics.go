package http

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/projections"
	"github.com/referral-ledger/ledger/statistics"
)

// statisticsQuery is a validated GET /v1/statistics query.
type statisticsQuery struct {
	period  projections.StatisticsPeriod
	groupBy statistics.GroupBy
	csv     bool
}

// statistics answers the coordinator's anonymised statistics (R-STAT-1,
// R-STAT-4): JSON by default, CSV with format=csv, after disclosure
// control (R-STAT-3). It first waits for the read model to reach the
// store's head, so a report reflects every write made before it was asked
// for. Errors: 401, 403 for every role but coordinator, 422 for a bad
// query, 503 when the views cannot catch up. The coordinator's statistics
// page (package web) reads the period and publishes the same way.
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
	table, err := q.period.Table(c.Request.Context(), s.Statistics, s.Orgs, now)
	if err != nil {
		writeError(c, err)
		return
	}
	rep := q.period.Publish(table, s.Disclosure, q.groupBy, now)
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

// statisticsParams are the parameters GET /v1/statistics reads.
var statisticsParams = []string{"from", "to", "group_by", "format"}

// parseStatisticsQuery reads from and to (projections.ParseStatisticsPeriod:
// completed months under disclosure control, R-STAT-5), group_by and
// format. Errors: Invalid, naming every bad parameter.
func (s *Server) parseStatisticsQuery(c *gin.Context, now time.Time) (statisticsQuery, error) {
	var q statisticsQuery
	// Each parameter is read once: one given twice is ambiguous, and is
	// named rather than the first taken (as the referral lists do).
	var errs []domain.FieldError
	bad := func(field, msg string) { errs = append(errs, domain.FieldError{Field: field, Message: msg}) }
	for _, name := range statisticsParams {
		if vals := c.QueryArray(name); len(vals) > 1 {
			bad(name, "must be given once")
		}
	}
	// A mistyped ?form= would otherwise report the default period as if
	// it were the one asked for.
	var unknown validator
	takes := "statistics take only " + strings.Join(statisticsParams, ", ")
	unexpectedParams(c, &unknown, statisticsParams, "is not a parameter of the statistics: "+takes,
		"has a parameter the statistics do not take: "+takes)
	errs = append(errs, unknown.fields...)
	period, perr := projections.ParseStatisticsPeriod(c.GetQuery, s.Disclosure, s.Calendar.DateOf(now))
	q.period = period
	errs = append(errs, perr...)
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
