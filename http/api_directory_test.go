package http

import (
	"net/http"
	"testing"
)

// TestDirectoryListsServices_VIEW4: the directory lists the organisations
// signed up to take referrals, with their services and whether they accept
// referrals now; the network's coordinating body is not among them.
func TestDirectoryListsServices_VIEW4(t *testing.T) {
	n := newNetwork(t)
	r := want(t, n.do(t, http.MethodGet, "/v1/directory", n.AdviserA.Token, nil), http.StatusOK)
	var body struct {
		Organisations []struct {
			ID                 string `json:"id"`
			AcceptingReferrals bool   `json:"accepting_referrals"`
		} `json:"organisations"`
	}
	decodeInto(t, r, &body)
	seen := map[string]bool{}
	for _, o := range body.Organisations {
		seen[o.ID] = o.AcceptingReferrals
	}
	if len(body.Organisations) != 3 || !seen[n.OrgA] || !seen[n.OrgB] || !seen[n.OrgC] {
		t.Fatalf("directory = %s, want exactly A, B and C accepting", r.Body)
	}
	if _, ok := seen[n.CoordinatorOrg]; ok {
		t.Fatal("the coordinating body is listed as a service")
	}
}

// TestDirectorySaysWhyIntakeIsOff_ORG2_VIEW4: while an organisation's
// intake is off the directory says so, with the reason its lead gave and
// the date it switches back on; an organisation accepting has neither.
func TestDirectorySaysWhyIntakeIsOff_ORG2_VIEW4(t *testing.T) {
	n := newNetwork(t)
	want(t, n.do(t, http.MethodPut, "/v1/organisations/"+n.OrgB+"/intake", n.LeadB.Token,
		map[string]any{"accepting": false, "reason": "Full until after the weekend.", "resume_on": "2026-12-21"}), http.StatusOK)
	r := want(t, n.do(t, http.MethodGet, "/v1/directory", n.AdviserA.Token, nil), http.StatusOK)
	var body struct {
		Organisations []struct {
			ID                 string  `json:"id"`
			AcceptingReferrals bool    `json:"accepting_referrals"`
			ResumeOn           *string `json:"resume_on"`
			IntakeReason       *string `json:"intake_reason"`
		} `json:"organisations"`
	}
	decodeInto(t, r, &body)
	for _, o := range body.Organisations {
		switch o.ID {
		case n.OrgB:
			if o.AcceptingReferrals || o.IntakeReason == nil || *o.IntakeReason != "Full until after the weekend." ||
				o.ResumeOn == nil || *o.ResumeOn != "2026-12-21" {
				t.Errorf("the directory's entry for an organisation with intake off: %s", r.Body)
			}
		default:
			if !o.AcceptingReferrals || o.IntakeReason != nil {
				t.Errorf("an organisation accepting referrals shows an intake reason: %s", r.Body)
			}
		}
	}
}
