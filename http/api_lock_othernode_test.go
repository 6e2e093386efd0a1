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

// TestWithdrawAndDecideLockRequestMadeOnAnotherNode_LOCK1_LOCK10_VIEW1:
// another writer of the same log (as another API node of a cluster is)
// records a lock request; the very next withdrawal here, or decision,
// finds it (R-LOCK-1, R-LOCK-6, R-LOCK-10, R-VIEW-1), rather than the 404
// of a request that does not exist because this node's views had not yet
// read it from the log.
func TestWithdrawAndDecideLockRequestMadeOnAnotherNode_LOCK1_LOCK10_VIEW1(t *testing.T) {
	n := newLockNet(t)
	other, err := sqlite.Open(filepath.Join(n.Dir, node.EventsFile))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Close() })
	elsewhere := ledger.NewService(other, ledger.NewCodec(ledger.NewClientKeys(n.KeyStore, n.Server.Clients)), n.Clock.Now, uuid.New)
	elsewhere.SetPeople(n.Server.Orgs)
	manager := domain.Actor{UserID: uuid.MustParse(n.TeamManager.ID), OrganisationID: uuid.MustParse(n.OrgB),
		Roles: []domain.Role{domain.RoleTeamManager}}
	requestElsewhere := func() string {
		t.Helper()
		rec, _, err := elsewhere.RequestLock(context.Background(), manager, domain.RequestLock{ClientID: uuid.MustParse(n.Client),
			ResponsibleUserID: uuid.MustParse(n.AdviserB.ID), Reason: "a related member of staff"}, n.Server.cases())
		if err != nil {
			t.Fatal(err)
		}
		return rec.Lock.RequestID.String()
	}

	req := requestElsewhere()
	if got := want(t, n.do(t, http.MethodPost, "/v1/lock-requests/"+req+"/withdrawal", n.TeamManager.Token,
		map[string]any{"reason": "asked on the wrong case"}), http.StatusOK).str("status"); got != "withdrawn" {
		t.Fatalf("withdrawal of a request made elsewhere: status %q", got)
	}
	req = requestElsewhere()
	if got := want(t, n.do(t, http.MethodPost, "/v1/lock-requests/"+req+"/decision", n.ServiceManager.Token,
		map[string]any{"approve": true}), http.StatusOK).str("status"); got != "locked" {
		t.Fatalf("decision on a request made elsewhere: status %q", got)
	}
}
