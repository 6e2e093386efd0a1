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
