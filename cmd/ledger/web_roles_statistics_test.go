package main

import (
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestWebStatisticsPagesByRole_UI2: the statistics page and its downloads
// are the coordinator's alone, as GET /v1/statistics is (R-STAT-1): 403 for
// every other role, and only the coordinator's navigation offers them.
func TestWebStatisticsPagesByRole_UI2(t *testing.T) {
	n := newRolesNetwork(t)
	coordinator := []domain.Role{domain.RoleCoordinator}
	checkPageRoles(t, n, []pageRule{
		{Path: "/statistics", Allowed: coordinator, Denied: 403, Nav: true},
		{Path: "/statistics.csv", Allowed: coordinator, Denied: 403},
		{Path: "/statistics.json", Allowed: coordinator, Denied: 403},
		{Path: "/statistics.json?organisation=" + n.orgB, Allowed: coordinator, Denied: 403},
	})
}
