package http

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

// TestLockApprovalReasonKept_LOCK1_PRIV1: the reason a service manager
// gives with an approval ({approve: true, reason}) was accepted and
// dropped. It is now recorded with the approval, sealed under the client's
// key like every free text (R-PRIV-1), so the coordinator's subject access
// export holds it (R-PRIV-6); one too long is refused naming the field,
// and nothing is decided.
func TestLockApprovalReasonKept_LOCK1_PRIV1(t *testing.T) {
	const marker = "zqapprovalzq"
	n := newLockNet(t)
	req := want(t, n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/lock-requests", n.TeamManager.Token,
		map[string]any{"responsible_user_id": n.AdviserB.ID, "reason": "a related member of staff"}), http.StatusCreated).str("id")
	decide := "/v1/lock-requests/" + req + "/decision"

	p := n.do(t, http.MethodPost, decide, n.ServiceManager.Token,
		map[string]any{"approve": true, "reason": strings.Repeat("x", domain.MaxLongText+1)}).problem(t, http.StatusUnprocessableEntity)
	if len(p.Errors) != 1 || p.Errors[0].Field != "reason" {
		t.Errorf("a reason too long: errors %+v; want one naming reason", p.Errors)
	}
	if c := n.countEvents(t, domain.LockApprovedType); c != 0 {
		t.Fatalf("%d approvals recorded for a refused decision", c)
	}

	d := want(t, n.do(t, http.MethodPost, decide, n.ServiceManager.Token,
		map[string]any{"approve": true, "reason": "Agreed with the LADO " + marker}), http.StatusOK)
	if d.str("status") != "locked" {
		t.Fatalf("decision: %s", d.Body)
	}
	stored, err := n.Store.ReadStream(context.Background(), ledger.ClientStream(uuid.MustParse(n.Client)), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	approvals := 0
	for _, ev := range stored {
		if bytes.Contains(ev.Data, []byte(marker)) {
			t.Errorf("%s stores the reason in the clear: %s", ev.Type, ev.Data)
		}
		if ev.Type == domain.LockApprovedType {
			approvals++
		}
	}
	if approvals != 1 {
		t.Fatalf("%d approvals stored; want 1", approvals)
	}
	export := want(t, n.do(t, http.MethodGet, "/v1/clients/"+n.Client+"/subject-access?reason=SAR-2026-31", n.Admin.Token, nil), http.StatusOK)
	if !strings.Contains(string(export.Body), marker) {
		t.Errorf("the subject access export lacks the approval's reason: %s", export.Body)
	}
}
