package http

import (
	"net/http"
	"strings"
	"testing"
)

// TestListsRefuseUnknownParameters_VIEW1_VIEW2_VIEW3: the inbox, the
// outbox and the overdue list answer a parameter they do not take
// (a mistyped filter such as ?stauts=made, or client data) with 422
// naming it, as search does, instead of an unfiltered list that looks
// filtered; the parameters they take still work.
func TestListsRefuseUnknownParameters_VIEW1_VIEW2_VIEW3(t *testing.T) {
	n := newNetwork(t)
	for _, tt := range []struct {
		path, token string
	}{
		{"/v1/inbox", n.AdviserB.Token},
		{"/v1/outbox", n.AdviserA.Token},
		{"/v1/overdue", n.Admin.Token},
	} {
		t.Run(strings.TrimPrefix(tt.path, "/v1/"), func(t *testing.T) {
			p := n.do(t, http.MethodGet, tt.path+"?stauts=made", tt.token, nil).invalid(t, "stauts")
			if !strings.Contains(p.Errors[0].Message, "limit") {
				t.Errorf("the message does not say what the list takes: %+v", p.Errors)
			}
			// A name that is not plain words is not repeated back.
			p = n.do(t, http.MethodGet, tt.path+"?Sam%20Example=1", tt.token, nil).invalid(t, "query")
			for _, f := range p.Errors {
				if strings.Contains(f.Field+f.Message, "Sam") {
					t.Errorf("the problem repeats the parameter's name: %+v", p.Errors)
				}
			}
			want(t, n.do(t, http.MethodGet, tt.path+"?limit=5", tt.token, nil), http.StatusOK)
		})
	}
	want(t, n.do(t, http.MethodGet, "/v1/inbox?status=made&assigned=me&limit=5", n.AdviserB.Token, nil), http.StatusOK)
	want(t, n.do(t, http.MethodGet, "/v1/outbox?status=made&limit=5", n.AdviserA.Token, nil), http.StatusOK)
}

// TestPagedListsRefuseUnknownParameters_VIEW4_PRIV2_LOCK7: the lists
// paged over what the read models hand over whole (the directory, an
// organisation's users, the erasure and lock requests waiting, the
// locked cases, a client's access log and messages) took any parameter
// and ignored it, so ?stauts=decided listed what was waiting as if it
// had filtered; they now refuse one they do not take as the inbox does,
// and twice-given filters too.
func TestPagedListsRefuseUnknownParameters_VIEW4_PRIV2_LOCK7(t *testing.T) {
	n := newLockNet(t)
	for _, tt := range []struct {
		path, token, takes string
	}{
		{"/v1/directory", n.AdviserA.Token, "limit"},
		{"/v1/organisations/" + n.OrgB + "/users", n.LeadB.Token, "limit"},
		{"/v1/erasure-requests", n.Admin.Token, "status"},
		{"/v1/lock-requests", n.ServiceManager.Token, "status"},
		{"/v1/locked-cases", n.Admin.Token, "limit"},
		{"/v1/clients/" + n.Client + "/access-log", n.Admin.Token, "limit"},
		{"/v1/clients/" + n.Client + "/messages", n.AdviserB.Token, "limit"},
	} {
		t.Run(strings.TrimPrefix(tt.path, "/v1/"), func(t *testing.T) {
			before := n.head(t)
			p := n.do(t, http.MethodGet, tt.path+"?stauts=decided", tt.token, nil).invalid(t, "stauts")
			if !strings.Contains(p.Errors[0].Message, tt.takes) {
				t.Errorf("the message does not say what the list takes: %+v", p.Errors)
			}
			p = n.do(t, http.MethodGet, tt.path+"?Sam%20Example=1", tt.token, nil).invalid(t, "query")
			for _, f := range p.Errors {
				if strings.Contains(f.Field+f.Message, "Sam") {
					t.Errorf("the problem repeats the parameter's name: %+v", p.Errors)
				}
			}
			if after := n.head(t); after != before {
				t.Errorf("a refused list appended: head %d → %d", before, after)
			}
			want(t, n.do(t, http.MethodGet, tt.path+"?limit=5", tt.token, nil), http.StatusOK)
		})
	}
	want(t, n.do(t, http.MethodGet, "/v1/erasure-requests?status=requested&limit=5", n.Admin.Token, nil), http.StatusOK)
	want(t, n.do(t, http.MethodGet, "/v1/lock-requests?status=requested&limit=5", n.ServiceManager.Token, nil), http.StatusOK)
	n.do(t, http.MethodGet, "/v1/lock-requests?status=requested&status=decided", n.ServiceManager.Token, nil).invalid(t, "status")
}

// TestHistoryAndStatisticsRefuseUnknownParameters_LEDGER5_STAT1: a
// mistyped ?revison=0 or ?asof= showed a referral's history with its
// state now, as if it were the state asked for, and a mistyped ?form= the
// statistics of the default period; a parameter given twice was taken
// once. They are now 422 naming the parameter, as on the lists.
func TestHistoryAndStatisticsRefuseUnknownParameters_LEDGER5_STAT1(t *testing.T) {
	n := newNetwork(t)
	history := "/v1/referrals/" + n.Referral + "/history"
	for _, q := range []string{"?revison=0", "?asof=2026-12-14T09:00:00Z"} {
		p := n.do(t, http.MethodGet, history+q, n.Auditor.Token, nil).invalid(t, strings.Split(q[1:], "=")[0])
		if !strings.Contains(p.Errors[0].Message, "as_of, revision") {
			t.Errorf("the message does not say what the history takes: %+v", p.Errors)
		}
	}
	n.do(t, http.MethodGet, history+"?revision=0&revision=1", n.Auditor.Token, nil).invalid(t, "revision")
	n.do(t, http.MethodGet, history+"?Sam%20Example=1", n.Auditor.Token, nil).invalid(t, "query")
	want(t, n.do(t, http.MethodGet, history+"?revision=0", n.Auditor.Token, nil), http.StatusOK)

	p := n.do(t, http.MethodGet, "/v1/statistics?form=2026-11", n.Admin.Token, nil).invalid(t, "form")
	if !strings.Contains(p.Errors[0].Message, "from, to, group_by, format") {
		t.Errorf("the message does not say what the statistics take: %+v", p.Errors)
	}
	n.do(t, http.MethodGet, "/v1/statistics?Sam%20Example=1", n.Admin.Token, nil).invalid(t, "query")
	want(t, n.do(t, http.MethodGet, "/v1/statistics?format=json", n.Admin.Token, nil), http.StatusOK)
}
