package http

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// TestClosedLeadInFlightRequestRefused_ORG3: an org lead's request to
// switch their organisation's intake or change its directory entry, made
// just before another lead closed their account or took their org lead
// role away, is decided after it, and is refused (403, nothing recorded):
// a closed account cannot act from that moment (R-ORG-3), as for the
// account commands.
func TestClosedLeadInFlightRequestRefused_ORG3(t *testing.T) {
	for _, tc := range []struct {
		name string
		end  map[string]any // nil: close the account; else the PATCH body
		act  func(ctx context.Context, n *network, actor domain.Actor, org uuid.UUID) error
	}{
		{"closed, switching intake off", nil,
			func(ctx context.Context, n *network, actor domain.Actor, org uuid.UUID) error {
				_, _, err := n.Server.Service.SetIntake(ctx, actor, org, domain.SetIntake{Reason: "Closed by a former lead."})
				return err
			}},
		{"closed, changing the admin contact", nil,
			func(ctx context.Context, n *network, actor domain.Actor, org uuid.UUID) error {
				email := "former-lead@elsewhere.example"
				_, _, err := n.Server.Service.UpdateOrganisation(ctx, actor, org, domain.UpdateOrganisation{AdminEmail: &email})
				return err
			}},
		{"demoted, switching intake off", map[string]any{"roles": []string{"adviser"}},
			func(ctx context.Context, n *network, actor domain.Actor, org uuid.UUID) error {
				_, _, err := n.Server.Service.SetIntake(ctx, actor, org, domain.SetIntake{Reason: "Closed by a former lead."})
				return err
			}},
		{"demoted, changing the entry", map[string]any{"roles": []string{"adviser"}},
			func(ctx context.Context, n *network, actor domain.Actor, org uuid.UUID) error {
				desc := "Changed by a former lead."
				_, _, err := n.Server.Service.UpdateOrganisation(ctx, actor, org, domain.UpdateOrganisation{Description: &desc})
				return err
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newNetwork(t)
			second := n.addUser(t, n.OrgB, "second.lead", domain.RoleOrgLead)
			ctx := context.Background()
			// The second lead's request has authenticated.
			asAuthenticated, err := n.Server.Accounts.SessionUser(ctx, second.Token)
			if err != nil {
				t.Fatal(err)
			}
			// Meanwhile the other lead closes their account or demotes them.
			path := "/v1/organisations/" + n.OrgB + "/users/" + second.ID
			if tc.end == nil {
				want(t, n.do(t, http.MethodDelete, path, n.LeadB.Token, nil), http.StatusNoContent)
			} else {
				want(t, n.do(t, http.MethodPatch, path, n.LeadB.Token, tc.end), http.StatusOK)
			}
			before := n.head(t)
			err = tc.act(ctx, n, asAuthenticated.Actor(), uuid.MustParse(n.OrgB))
			if got := domain.ErrorCode(err); got != domain.Forbidden {
				t.Fatalf("request decided after its lead was %s: %v (code %q), want Forbidden", tc.name, err, got)
			}
			if after := n.head(t); after != before {
				t.Fatalf("a refused request recorded something: head %d → %d", before, after)
			}
		})
	}
}
