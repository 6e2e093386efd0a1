package http

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/node"
)

// TestDirectoryShowsAnotherNodesWrite_VIEW4_ORG2 checks read your writes
// for the directory when the write was made elsewhere: another writer of
// the same log (as another API node of a cluster is) switches an
// organisation's intake off, and the very next GET /v1/directory here
// must say it is not accepting referrals (R-VIEW-4, R-ORG-2), as the inbox
// shows a referral made elsewhere. This node's views learn of a write
// they did not make only from the log, so a list must wait for them to
// reach the log's head before answering, not answer from what they held.
func TestDirectoryShowsAnotherNodesWrite_VIEW4_ORG2(t *testing.T) {
	n := newNetwork(t)
	other, err := sqlite.Open(filepath.Join(n.Dir, node.EventsFile))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Close() })
	elsewhere := ledger.NewService(other, ledger.NewCodec(nil), n.Clock.Now, uuid.New)
	actor := func(u testUser, roles ...domain.Role) domain.Actor {
		return domain.Actor{UserID: uuid.MustParse(u.ID), OrganisationID: uuid.MustParse(u.OrgID), Roles: roles}
	}

	if _, _, err := elsewhere.SetIntake(context.Background(), actor(n.LeadB, domain.RoleOrgLead), uuid.MustParse(n.OrgB),
		domain.SetIntake{Accepting: false, Reason: "Closed for refurbishment."}); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range want(t, n.do(t, http.MethodGet, "/v1/directory", n.AdviserA.Token, nil), http.StatusOK).get("organisations").([]any) {
		if e := e.(map[string]any); e["id"] == n.OrgB {
			found = true
			if e["accepting_referrals"] != false {
				t.Fatalf("the directory still shows the organisation accepting referrals after its intake was switched off: %v", e)
			}
		}
	}
	if !found {
		t.Fatal("the organisation is not in the directory")
	}

	if _, _, err := elsewhere.UpdateOrganisation(context.Background(), actor(n.LeadB, domain.RoleOrgLead), uuid.MustParse(n.OrgB),
		domain.UpdateOrganisation{Description: ptr("Homes for everyone.")}); err != nil {
		t.Fatal(err)
	}
	for _, e := range want(t, n.do(t, http.MethodGet, "/v1/directory", n.AdviserA.Token, nil), http.StatusOK).get("organisations").([]any) {
		if e := e.(map[string]any); e["id"] == n.OrgB && e["description"] != "Homes for everyone." {
			t.Fatalf("the directory does not show the description changed elsewhere: %v", e)
		}
	}
}
