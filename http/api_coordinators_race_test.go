package http

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestCoordinatorsOfTwoOrganisationsCannotRemoveEachOther_AUTH7: two
// coordinators of different organisations demoting or closing each other
// at the same moment write to two organisation streams; exactly one of
// them succeeds and the other is refused (403), so the network always
// keeps a coordinator (R-AUTH-7), whichever of demotion and closure each
// uses.
func TestCoordinatorsOfTwoOrganisationsCannotRemoveEachOther_AUTH7(t *testing.T) {
	a := newTestAPI(t)
	demote := func(org, id string) (string, string, any) {
		return http.MethodPatch, "/v1/organisations/" + org + "/users/" + id, map[string]any{"roles": []string{"adviser"}}
	}
	closeAccount := func(org, id string) (string, string, any) {
		return http.MethodDelete, "/v1/organisations/" + org + "/users/" + id, nil
	}
	type action func(org, id string) (string, string, any)
	for round, acts := range [][2]action{{demote, demote}, {closeAccount, closeAccount}, {demote, closeAccount}, {closeAccount, demote}} {
		suffix := strconv.Itoa(round)
		orgs := [2]string{a.registerOrg(t, "North Network "+suffix), a.registerOrg(t, "South Network "+suffix)}
		coords := [2]testUser{a.addUser(t, orgs[0], "coord.north."+suffix, domain.RoleCoordinator),
			a.addUser(t, orgs[1], "coord.south."+suffix, domain.RoleCoordinator)}
		rs := a.race(t, 2, func(i int) (*response, error) {
			other := 1 - i
			method, path, body := acts[i](orgs[other], coords[other].ID)
			return a.doAsync(method, path, coords[i].Token, body)
		})
		won := -1
		for i, r := range rs {
			switch r.Status {
			case http.StatusOK, http.StatusNoContent:
				if won >= 0 {
					t.Fatalf("round %d: both coordinators removed each other: %d %s / %d %s", round,
						rs[0].Status, rs[0].Body, rs[1].Status, rs[1].Body)
				}
				won = i
			case http.StatusForbidden:
				r.problem(t, http.StatusForbidden)
			default:
				t.Fatalf("round %d: request %d: status %d, want 2xx or 403; body %s", round, i, r.Status, r.Body)
			}
		}
		if won < 0 {
			t.Fatalf("round %d: neither removal succeeded: %s / %s", round, rs[0].Body, rs[1].Body)
		}
		// The one who won is still a coordinator: they see another
		// organisation's accounts, which only the coordinator may.
		want(t, a.do(t, http.MethodGet, "/v1/organisations/"+orgs[1-won]+"/users", coords[won].Token, nil), http.StatusOK)
		if r := a.do(t, http.MethodGet, "/v1/organisations/"+orgs[won]+"/users", coords[1-won].Token, nil); r.Status == http.StatusOK {
			t.Fatalf("round %d: the removed coordinator still lists another organisation's accounts", round)
		}
	}
}
