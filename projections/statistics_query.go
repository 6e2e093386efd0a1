package projections

import (
	"context"
	"time"

	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/statistics"
)

// maxStatisticsMonths bounds the period of one statistics request: ten
// years is more than any report needs and keeps the work bounded.
const maxStatisticsMonths = 120

// StatisticsPeriod is the validated period of a statistics request, from
// its first day to its last, both included. The API (GET /v1/statistics)
// and the coordinator's statistics page read it the same way, so both
// answer the same question with the same numbers.
type StatisticsPeriod struct {
	From, To calendar.Date
}

// ParseStatisticsPeriod reads the bounds from and to through get (a query
// parameter's value, and whether it was given) for a report made today
// under rule. With disclosure control on, from and to are months (YYYY-MM)
// and to must be a completed month (R-STAT-5), or the current one where
// the network allows it; the default period is the last twelve completed
// months. With it off (exact counts) a bound may also be a day
// (YYYY-MM-DD), and the default is the current month and the eleven
// before it, up to today. It returns a field error for every bad bound,
// named from or to.
func ParseStatisticsPeriod(get func(name string) (string, bool), rule statistics.Rule, today calendar.Date) (StatisticsPeriod, []domain.FieldError) {
	var (
		q    StatisticsPeriod
		errs []domain.FieldError
		bad  = func(field, msg string) { errs = append(errs, domain.FieldError{Field: field, Message: msg}) }
	)
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
	q.To = monthBound(defaultTo, true)
	if !rule.WholeMonths() {
		q.To = today
	}
	if v, ok := get("to"); ok {
		if d, ok := bound("to", v, true); ok {
			q.To = d
		}
	}
	q.From = calendar.NewDate(q.To.Year, q.To.Month-11, 1)
	if v, ok := get("from"); ok {
		if d, ok := bound("from", v, false); ok {
			q.From = d
		}
	}
	if len(errs) == 0 {
		months := (q.To.Year-q.From.Year)*12 + int(q.To.Month) - int(q.From.Month) + 1
		switch {
		case q.To.Before(q.From):
			bad("to", "must not be before the first month")
		case months > maxStatisticsMonths:
			bad("from", "the period must not span more than 120 months")
		}
	}
	if len(errs) > 0 {
		return StatisticsPeriod{}, errs
	}
	return q, nil
}

// Table returns the exact statistics of the period at now, with a row for
// every organisation of the directory, named: what Publish is given.
// Errors: the views database's.
func (q StatisticsPeriod) Table(ctx context.Context, st *Statistics, orgs *Organisations, now time.Time) (*statistics.Table, error) {
	table, err := st.Query(ctx, q.From, q.To, now)
	if err != nil {
		return nil, err
	}
	for _, o := range orgs.Directory(now) {
		table.AddOrganisation(o.ID.String(), o.Name)
	}
	return table, nil
}

// Publish applies rule to the period's table, grouped by by, and stamps
// the report with the period and now.
func (q StatisticsPeriod) Publish(t *statistics.Table, rule statistics.Rule, by statistics.GroupBy, now time.Time) statistics.Report {
	rep := statistics.Publish(t, rule, by)
	rep.From, rep.To, rep.GeneratedAt = q.From.String(), q.To.String(), now
	return rep
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
