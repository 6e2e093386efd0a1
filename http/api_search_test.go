package http

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/domain"
)

// TestSearchReferrals_VIEW_AUTH4 searches referrals with every filter,
// combined, a page at a time: a user finds only what their organisation
// made or received, the coordinator and the auditor the whole network
// (R-AUTH-4); newest made first, every page fitting the next with no
// referral twice or missed.
func TestSearchReferrals_VIEW_AUTH4(t *testing.T) {
	n := newNetwork(t)
	// n.Referral: A → B, Monday 14 December. Then, a day apart:
	// A → B, C → A, A → C, C → B, A → B.
	all := []string{n.Referral}
	day := func(d int) { n.Clock.Set(london(2026, time.December, d, 10, 0)) }
	day(15)
	ab2 := n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client One")
	day(16)
	ca := n.makeReferral(t, n.AdviserC.Token, n.OrgA, "Client Two")
	day(17)
	ac := n.makeReferral(t, n.AdviserA.Token, n.OrgC, "Client Three")
	day(18)
	cb := n.makeReferral(t, n.AdviserC.Token, n.OrgB, "Client Four")
	day(21)
	ab3 := n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Five")
	all = append(all, ab2, ca, ac, cb, ab3)
	slices.Reverse(all) // newest made first
	want(t, n.do(t, http.MethodPost, "/v1/referrals/"+ab2+"/acknowledgement", n.AdviserB.Token, map[string]any{}), http.StatusOK)
	only := func(keep ...string) []string {
		var out []string
		for _, id := range all {
			if slices.Contains(keep, id) {
				out = append(out, id)
			}
		}
		return out
	}
	cases := []struct {
		name  string
		user  testUser
		query string
		want  []string
	}{
		{"coordinator, everything", n.Admin, "", all},
		{"auditor, everything", n.Auditor, "", all},
		{"adviser of A, their organisation's", n.AdviserA, "", only(n.Referral, ab2, ca, ac, ab3)},
		{"lead of B, their organisation's", n.LeadB, "", only(n.Referral, ab2, cb, ab3)},
		{"helpdesk of B, like any user", n.HelpdeskB, "", only(n.Referral, ab2, cb, ab3)},
		{"adviser of C, their organisation's", n.AdviserC, "", only(ca, ac, cb)},
		{"from A", n.Auditor, "?from_organisation_id=" + n.OrgA, only(n.Referral, ab2, ac, ab3)},
		{"to B", n.Admin, "?to_organisation_id=" + n.OrgB, only(n.Referral, ab2, cb, ab3)},
		{"from A to B", n.Admin, "?from_organisation_id=" + n.OrgA + "&to_organisation_id=" + n.OrgB, only(n.Referral, ab2, ab3)},
		{"C's search to B", n.AdviserC, "?to_organisation_id=" + n.OrgB, only(cb)},
		{"C's search from A to B: none of theirs", n.AdviserC, "?from_organisation_id=" + n.OrgA + "&to_organisation_id=" + n.OrgB, nil},
		{"acknowledged", n.Admin, "?status=acknowledged", only(ab2)},
		{"made, from A", n.Admin, "?status=made&from_organisation_id=" + n.OrgA, only(n.Referral, ac, ab3)},
		{"closed", n.Admin, "?status=closed", nil},
		{"made 15 to 17 December, inclusive", n.Admin, "?made_from=2026-12-15&made_to=2026-12-17", only(ab2, ca, ac)},
		{"made from 18 December", n.AdviserA, "?made_from=2026-12-18", only(ab3)},
		{"made to 14 December", n.Auditor, "?made_to=2026-12-14", only(n.Referral)},
		{"made on a day with none", n.Admin, "?made_from=2026-12-19&made_to=2026-12-20", nil},
		{"empty filters filter nothing", n.AdviserC, "?reference=&status=&from_organisation_id=&made_from=", only(ca, ac, cb)},
	}
	for _, c := range cases {
		for _, limit := range []int{1, 2, 200} {
			if got := n.viewAll(t, c.user.Token, "/v1/referrals"+c.query, limit); !slices.Equal(got, c.want) {
				t.Errorf("%s (limit %d): %v, want %v", c.name, limit, got, c.want)
			}
		}
	}

	// By reference: found by those involved, coordinators and auditors;
	// another organisation's referral is not found by an adviser.
	ref := want(t, n.do(t, http.MethodGet, "/v1/referrals/"+cb, n.AdviserC.Token, nil), http.StatusOK).str("reference")
	for _, u := range []testUser{n.AdviserC, n.AdviserB, n.Admin, n.Auditor} {
		if got := listedIDs(n.viewList(t, u.Token, "/v1/referrals?reference="+ref)); !slices.Equal(got, []string{cb}) {
			t.Errorf("%s by reference: %v, want %v", u.Username, got, cb)
		}
	}
	if got := listedIDs(n.viewList(t, n.AdviserA.Token, "/v1/referrals?reference="+ref)); len(got) != 0 {
		t.Errorf("adviser of A finds C → B by its reference: %v", got)
	}
	if got := listedIDs(n.viewList(t, n.Admin.Token, "/v1/referrals?reference="+ref+"&status=acknowledged")); len(got) != 0 {
		t.Errorf("reference and another status: %v", got)
	}

	t.Run("ErrBadInput", func(t *testing.T) {
		for q, field := range map[string]string{
			"?status=lost":                             "status",
			"?status=made&status=closed":               "status",
			"?reference=ABC":                           "reference",
			"?from_organisation_id=alpha":              "from_organisation_id",
			"?to_organisation_id=1":                    "to_organisation_id",
			"?made_from=14/12/2026":                    "made_from",
			"?made_to=2026-02-30":                      "made_to",
			"?made_from=2026-12-18&made_to=2026-12-17": "made_to",
			"?limit=0":                                 "limit",
			"?limit=201":                               "limit",
			"?name=Client":                             "name",
			"?date_of_birth=2001-01-01":                "date_of_birth",
			"?Client%20Zero=1":                         "query",
		} {
			n.do(t, http.MethodGet, "/v1/referrals"+q, n.Admin.Token, nil).invalid(t, field)
		}
		// An unusual parameter name may be client data: not repeated.
		if p := n.do(t, http.MethodGet, "/v1/referrals?Client%20Zero=1", n.Admin.Token, nil); strings.Contains(string(p.Body), "Client") {
			t.Errorf("the problem repeats a parameter name: %s", p.Body)
		}
		n.do(t, http.MethodGet, "/v1/referrals?next=not-a-cursor", n.Admin.Token, nil).problem(t, http.StatusBadRequest)
		out := n.viewList(t, n.AdviserA.Token, "/v1/outbox?limit=1")
		n.do(t, http.MethodGet, "/v1/referrals?next="+*out.Next, n.AdviserA.Token, nil).problem(t, http.StatusBadRequest)
	})
}

// TestSearchLockedCase_LOCK2 lists a locked case only to those the lock
// lets in, exactly as the inbox does: the responsible person and the
// allowed team, not the rest of the receiving organisation, not helpdesk,
// not the referrer, and not the coordinator or the auditor either, though
// they search the whole network (R-LOCK-2, R-AUTH-4).
func TestSearchLockedCase_LOCK2(t *testing.T) {
	n := newLockNet(t)
	other := n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Other")
	n.lock(t, n.Client, nil)
	found := func(u testUser) bool {
		t.Helper()
		got := n.viewAll(t, u.Token, "/v1/referrals", 1)
		if !slices.Contains(got, other) {
			t.Fatalf("%s does not find the unlocked referral: %v", u.Username, got)
		}
		return slices.Contains(got, n.Referral)
	}
	for _, u := range []testUser{n.AdviserB, n.DutyMember} {
		if !found(u) {
			t.Errorf("%s, let in by the lock, does not find the locked case", u.Username)
		}
	}
	for _, u := range []testUser{n.LeadB, n.HelpdeskB, n.TeamManager, n.AdviserA, n.Admin, n.Auditor} {
		if found(u) {
			t.Errorf("%s finds a locked case they may not enter", u.Username)
		}
	}
}

// TestSearchStatusesDocumented: the statuses the search accepts are the
// domain's, and the OpenAPI document lists the same, so a status added to
// domain.Statuses is searchable and this test names the document to update.
func TestSearchStatusesDocumented(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name   string `json:"name"`
				Schema struct {
					Enum []string `json:"enum"`
				} `json:"schema"`
			} `json:"parameters"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, st := range domain.Statuses() {
		want = append(want, string(st))
	}
	found := false
	for _, p := range doc.Paths["/v1/referrals"]["get"].Parameters {
		if p.Name == "status" {
			found = true
			if !slices.Equal(p.Schema.Enum, want) {
				t.Errorf("openapi.json GET /v1/referrals status enum %v, want domain.Statuses() %v", p.Schema.Enum, want)
			}
		}
	}
	if !found {
		t.Error("openapi.json GET /v1/referrals has no status parameter")
	}
}
