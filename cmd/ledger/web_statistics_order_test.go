package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestWebStatisticsErrorSummaryInFormOrder_UI2: with both months wrong, the
// error summary lists them in the order of the form, the first month
// first (GOV.UK error summary pattern).
func TestWebStatisticsErrorSummaryInFormOrder_UI2(t *testing.T) {
	n := newStatsNetwork(t)
	b := n.browser(t)
	b.signIn("admin", adminPassword, "/")
	p := b.get("/statistics?from=2026-13&to=nope")
	wantStatus(t, p, http.StatusUnprocessableEntity, `href="#from-month"`, `href="#to-month"`)
	if strings.Index(p.body, `href="#from-month"`) > strings.Index(p.body, `href="#to-month"`) {
		t.Errorf("the summary lists the last month before the first")
	}
}
