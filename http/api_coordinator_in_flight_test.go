package http

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// TestClosedCoordinatorInFlightRequestRefused_ORG3_AUTH7 proves R-ORG-3
// and R-AUTH-7 for a request a coordinator made just before another
// coordinator closed their account, or removed their coordinator role:
// the request, authenticated a moment before, is decided after, and is
// refused (403, nothing recorded), so two coordinators closing or
// demoting each other at once never leave the network without one.
func TestClosedCoordinatorInFlightRequestRefused_ORG3_AUTH7(t *testing.T) {
	for _, tc := range []struct {
		name string
		// end is what the admin does to the second coordinator meanwhile.
		end map[string]any // nil: close the account; else the PATCH body
		// act is the second coordinator's request in flight, against the admin.
		act func(ctx context.Context, n *network, actor domain.Actor, org, admin uuid.UUID) error
	}{
		{"closed, closing the other", nil,
			func(ctx context.Context, n *network, actor domain.Actor, org, admin uuid.UUID) error {
				_, err := n.Server.Accounts.CloseAccount(ctx, actor, org, admin)
				return err
			}},
		{"demoted, demoting the other", map[string]any{"roles": []string{"org_lead"}},
			func(ctx context.Context, n *network, actor domain.Actor, org, admin uuid.UUID) error {
				roles := []domain.Role{domain.RoleAdviser}
				_, _, err := n.Server.Accounts.UpdateUser(ctx, actor, org, domain.UpdateUser{UserID: admin, Roles: &roles})
				return err
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newNetwork(t)
			second := n.addUser(t, n.CoordinatorOrg, "second.coordinator", domain.RoleCoordinator, domain.RoleOrgLead)
			ctx := context.Background()
			// The second coordinator's request has authenticated.
			asAuthenticated, err := n.Server.Accounts.SessionUser(ctx, second.Token)
			if err != nil {
				t.Fatal(err)
			}
			// Meanwhile the admin ends their account or coordinator role.
			path := "/v1/organisations/" + n.CoordinatorOrg + "/users/" + second.ID
			if tc.end == nil {
				want(t, n.do(t, http.MethodDelete, path, n.Admin.Token, nil), http.StatusNoContent)
			} else {
				want(t, n.do(t, http.MethodPatch, path, n.Admin.Token, tc.end), http.StatusOK)
			}
			before := n.head(t)
			err = tc.act(ctx, n, asAuthenticated.Actor(), uuid.MustParse(n.CoordinatorOrg), uuid.MustParse(n.Admin.ID))
			if got := domain.ErrorCode(err); got != domain.Forbidden {
				t.Fatalf("request decided after its coordinator was %s: %v (code %q), want Forbidden", tc.name, err, got)
			}
			if after := n.head(t); after != before {
				t.Fatalf("a refused request recorded something: head %d → %d", before, after)
			}
			// The network keeps its coordinator.
			want(t, n.do(t, http.MethodGet, "/v1/statistics?from=2026-10&to=2026-11", n.Admin.Token, nil), http.StatusOK)
		})
	}
}
