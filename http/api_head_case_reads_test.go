package http

import (
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// headCase is one target asked for by HEAD and then GET.
type headCase struct {
	name, path, token string
	headers           []string // a web page's session cookie
	status            int      // what both answer
	reads             bool     // the GET records a read of the case
}

// headWritesNothing sends a HEAD, checks that it wrote nothing to the
// ledger (no access record, no signed checkpoint, nothing else) and sent
// no body, then sends the GET and checks that both answered status with
// the same Content-Type and Content-Disposition, and that the GET recorded
// a read when tc.reads says it does: what shows the measure sees a read.
func headWritesNothing(t *testing.T, a *testAPI, tc headCase) {
	t.Helper()
	before := a.head(t)
	reads := a.countEvents(t, domain.AccessRecordedType)
	head := a.do(t, http.MethodHead, tc.path, tc.token, nil, tc.headers...)
	if after := a.head(t); after != before {
		t.Errorf("HEAD %s wrote to the ledger: head %d → %d (%d reads recorded, %d checkpoints signed in all)", tc.path, before, after,
			a.countEvents(t, domain.AccessRecordedType)-reads, a.countEvents(t, domain.CheckpointSignedType))
	}
	if len(head.Body) != 0 {
		t.Errorf("HEAD %s answered a body of %d bytes", tc.path, len(head.Body))
	}
	get := a.do(t, http.MethodGet, tc.path, tc.token, nil, tc.headers...)
	if head.Status != tc.status || get.Status != tc.status {
		t.Errorf("%s: HEAD %d, GET %d, want %d: %s", tc.path, head.Status, get.Status, tc.status, get.Body)
	}
	for _, h := range []string{"Content-Type", "Content-Disposition"} {
		if x, y := head.Header.Get(h), get.Header.Get(h); x != y {
			t.Errorf("%s: HEAD's %s is %q, GET's %q", tc.path, h, x, y)
		}
	}
	if got := a.countEvents(t, domain.AccessRecordedType) - reads; (got > 0) != tc.reads {
		t.Errorf("GET %s recorded %d reads, want a read: %v", tc.path, got, tc.reads)
	}
}

// TestHeadOfCaseRecordsNoRead_LOCK9: a HEAD is answered as the GET of the
// same target without the body, and the GET ran in full, so a HEAD of a
// referral, its history, a case's messages or the web pages showing them
// recorded a read of the case in its access log, though it shows nobody
// the client's data. It is checked as the GET is and answers the GET's
// status, for a reader let in, one refused, one a hidden lock keeps out
// (R-LOCK-12: the answer for a referral that does not exist) and a
// referral that does not exist, but records nothing; the GET still
// records its read.
func TestHeadOfCaseRecordsNoRead_LOCK9(t *testing.T) {
	n := newLockNet(t, withWebPages())
	cookie := func(u testUser) []string { return []string{"Cookie", "ledger_session=" + u.Token} }
	referral := "/v1/referrals/" + n.Referral
	page := "/referrals/" + n.Referral
	unknown := uuid.NewString()
	run := func(t *testing.T, cases []headCase) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) { headWritesNothing(t, n.testAPI, tc) })
		}
	}

	t.Run("NotLocked", func(t *testing.T) {
		run(t, []headCase{
			{name: "Referral", path: referral, token: n.AdviserB.Token, status: http.StatusOK, reads: true},
			{name: "History", path: referral + "/history", token: n.AdviserB.Token, status: http.StatusOK, reads: true},
			{name: "Page", path: page, headers: cookie(n.AdviserB), status: http.StatusOK, reads: true},
			{name: "HistoryPage", path: page + "/history", headers: cookie(n.AdviserB), status: http.StatusOK, reads: true},
			{name: "NoNeedToKnow", path: referral, token: n.AdviserC.Token, status: http.StatusNotFound},
			{name: "Unknown", path: "/v1/referrals/" + unknown, token: n.AdviserB.Token, status: http.StatusNotFound},
			{name: "UnknownPage", path: "/referrals/" + unknown, headers: cookie(n.AdviserB), status: http.StatusNotFound},
		})
	})

	n.lock(t, n.Client, nil) // allow: the duty team
	t.Run("Locked", func(t *testing.T) {
		run(t, []headCase{
			{name: "Allowed", path: referral, token: n.DutyMember.Token, status: http.StatusOK, reads: true},
			{name: "AllowedHistory", path: referral + "/history", token: n.DutyMember.Token, status: http.StatusOK, reads: true},
			{name: "AllowedMessages", path: "/v1/clients/" + n.Client + "/messages", token: n.DutyMember.Token, status: http.StatusOK, reads: true},
			{name: "AllowedPage", path: page, headers: cookie(n.DutyMember), status: http.StatusOK, reads: true},
			{name: "Refused", path: referral, token: n.AdviserA.Token, status: http.StatusForbidden},
			{name: "RefusedPage", path: page, headers: cookie(n.AdviserA), status: http.StatusForbidden},
		})
	})

	hidden, client := n.newClient(t, "Client Hidden")
	n.lock(t, client, map[string]any{"hide_notification": true})
	t.Run("HiddenLock", func(t *testing.T) {
		run(t, []headCase{
			{name: "Allowed", path: "/v1/referrals/" + hidden, token: n.DutyMember.Token, status: http.StatusOK, reads: true},
			{name: "KeptOut", path: "/v1/referrals/" + hidden, token: n.AdviserA.Token, status: http.StatusNotFound},
			{name: "KeptOutPage", path: "/referrals/" + hidden, headers: cookie(n.AdviserA), status: http.StatusNotFound},
		})
	})
}
