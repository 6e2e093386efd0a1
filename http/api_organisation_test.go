package http

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/domain"
)

// directoryEntry returns org's entry in GET /v1/directory.
func (n *network) directoryEntry(tb testing.TB, token, org string) map[string]any {
	tb.Helper()
	r := want(tb, n.do(tb, http.MethodGet, "/v1/directory", token, nil), http.StatusOK)
	list, _ := r.get("organisations").([]any)
	for _, e := range list {
		if m, _ := e.(map[string]any); m["id"] == org {
			return m
		}
	}
	tb.Fatalf("organisation %s not in the directory: %s", org, r.Body)
	return nil
}

// TestOrganisations covers registering organisations and keeping their
// directory entries (R-ORG-1, R-VIEW-4) and switching intake (R-ORG-2,
// R-REF-4).
func TestOrganisations(t *testing.T) {
	n := newNetwork(t) // Monday 14 December 2026
	org := func(id string) string { return "/v1/organisations/" + id }

	t.Run("OnlyTheCoordinatorRegisters", func(t *testing.T) {
		body := map[string]any{"name": "Delta Care", "admin_email": "intake@delta.example", "services": []any{}, "description": ""}
		before := n.head(t)
		for _, u := range []testUser{n.LeadA, n.AdviserB, n.Auditor} {
			n.do(t, http.MethodPost, "/v1/organisations", u.Token, body).problem(t, http.StatusForbidden)
		}
		if after := n.head(t); after != before {
			t.Fatalf("refused registrations appended: head %d → %d", before, after)
		}
		r := want(t, n.do(t, http.MethodPost, "/v1/organisations", n.Admin.Token, body), http.StatusCreated)
		if r.Header.Get("Location") != org(r.str("id")) || r.get("accepting_referrals") != true {
			t.Errorf("registered: Location %q body %s", r.Header.Get("Location"), r.Body)
		}
		n.directoryEntry(t, n.AdviserC.Token, r.str("id"))
	})

	t.Run("LeadKeepsTheEntry", func(t *testing.T) {
		r := want(t, n.do(t, http.MethodGet, org(n.OrgA), n.AdviserC.Token, nil), http.StatusOK)
		etag := r.Header.Get("ETag")
		r = want(t, n.do(t, http.MethodPatch, org(n.OrgA), n.LeadA.Token, map[string]any{
			"description": "Advice on benefits and debt.", "admin_email": "referrals@alpha.example",
			"services": []map[string]string{{"name": "Benefits", "description": "Claims and appeals."}},
		}, "If-Match", etag), http.StatusOK)
		if r.Header.Get("ETag") == etag || r.Header.Get("ETag") == "" {
			t.Errorf("ETag %q after a change, was %q", r.Header.Get("ETag"), etag)
		}
		if r.str("admin_email") != "referrals@alpha.example" || r.str("description") != "Advice on benefits and debt." {
			t.Errorf("patched organisation %s", r.Body)
		}
		e := n.directoryEntry(t, n.AdviserB.Token, n.OrgA)
		if services, _ := e["services"].([]any); len(services) != 1 {
			t.Errorf("directory services %v", e["services"])
		}
		// A write based on the old ETag is refused.
		n.do(t, http.MethodPatch, org(n.OrgA), n.LeadA.Token, map[string]any{"description": "Stale."}, "If-Match", etag).
			problem(t, http.StatusPreconditionFailed)
		// The lead of another organisation, and an adviser, may not.
		n.do(t, http.MethodPatch, org(n.OrgA), n.LeadB.Token, map[string]any{"description": "Hijacked."}).problem(t, http.StatusForbidden)
		n.do(t, http.MethodPatch, org(n.OrgA), n.AdviserA.Token, map[string]any{"description": "Mine."}).problem(t, http.StatusForbidden)
		// The coordinator may.
		want(t, n.do(t, http.MethodPatch, org(n.OrgA), n.Admin.Token, map[string]any{"admin_email": "intake@alpha.example"}), http.StatusOK)
		// Invalid fields are named.
		n.do(t, http.MethodPatch, org(n.OrgA), n.LeadA.Token, map[string]any{"admin_email": "nobody"}).invalid(t, "admin_email")
		n.do(t, http.MethodGet, org("5f0c7b8e-0000-4000-8000-000000000000"), n.LeadA.Token, nil).problem(t, http.StatusNotFound)
	})

	t.Run("IntakeOffUntilADate", func(t *testing.T) {
		// Only B's lead switches B's intake.
		n.do(t, http.MethodPut, org(n.OrgB)+"/intake", n.LeadA.Token, map[string]any{"accepting": false, "reason": "x"}).
			problem(t, http.StatusForbidden)
		n.do(t, http.MethodPut, org(n.OrgB)+"/intake", n.AdviserB.Token, map[string]any{"accepting": false, "reason": "x"}).
			problem(t, http.StatusForbidden)
		n.do(t, http.MethodPut, org(n.OrgB)+"/intake", n.LeadB.Token, map[string]any{"accepting": false, "reason": "Full.", "resume_on": "2026-12-14"}).
			invalid(t, "resume_on")

		r := want(t, n.do(t, http.MethodPut, org(n.OrgB)+"/intake", n.LeadB.Token,
			map[string]any{"accepting": false, "reason": "Full until after the weekend.", "resume_on": "2026-12-21"}), http.StatusOK)
		if r.get("accepting_referrals") != false || r.str("intake", "resume_on") != "2026-12-21" {
			t.Fatalf("intake off: %s", r.Body)
		}
		etag := r.Header.Get("ETag")

		// The directory and the organisation say so (R-VIEW-4).
		e := n.directoryEntry(t, n.AdviserA.Token, n.OrgB)
		if e["accepting_referrals"] != false || e["resume_on"] != "2026-12-21" {
			t.Errorf("directory entry while off: %v", e)
		}
		r = want(t, n.do(t, http.MethodGet, org(n.OrgB), n.AdviserA.Token, nil), http.StatusOK)
		if r.get("accepting_referrals") != false {
			t.Errorf("organisation while off: %s", r.Body)
		}

		// New referrals are refused with the reason (R-REF-4); referrals
		// already made carry on (R-ORG-2).
		before := n.head(t)
		p := n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, validReferral(n.OrgB, "Client Waiting")).
			problem(t, http.StatusConflict)
		if !strings.HasPrefix(p.Detail, "Beta Housing is not accepting referrals") {
			t.Errorf("detail %q", p.Detail)
		}
		if after := n.head(t); after != before {
			t.Fatalf("a refused referral appended: head %d → %d", before, after)
		}
		want(t, n.do(t, http.MethodPost, "/v1/referrals/"+n.Referral+"/acknowledgement", n.AdviserB.Token, map[string]any{}), http.StatusOK)

		// Still off in the last second of Sunday 20 December in London.
		n.Clock.Set(time.Date(2026, time.December, 20, 23, 59, 59, 0, time.UTC))
		if e := n.directoryEntry(t, n.AdviserA.Token, n.OrgB); e["accepting_referrals"] != false {
			t.Errorf("accepting before the resume date: %v", e)
		}

		// On the resume date intake is on again by itself: no event is
		// written for it, yet the directory, the organisation and new
		// referrals all see it.
		n.Clock.Set(time.Date(2026, time.December, 21, 0, 0, 0, 0, time.UTC))
		before = n.head(t)
		if e := n.directoryEntry(t, n.AdviserA.Token, n.OrgB); e["accepting_referrals"] != true || e["resume_on"] != nil {
			t.Errorf("directory entry on the resume date: %v", e)
		}
		r = want(t, n.do(t, http.MethodGet, org(n.OrgB), n.AdviserA.Token, nil), http.StatusOK)
		if r.get("accepting_referrals") != true || r.Header.Get("ETag") != etag {
			t.Errorf("organisation on the resume date: ETag %q (was %q) %s", r.Header.Get("ETag"), etag, r.Body)
		}
		if after := n.head(t); after != before {
			t.Fatalf("resuming intake appended: head %d → %d", before, after)
		}
		n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Resumed")
		if after := n.head(t); after != before+1 {
			t.Errorf("making a referral appended %d events, want 1", after-before)
		}
		if got := n.countEvents(t, domain.OrganisationIntakeSwitchedOnType); got != 0 {
			t.Errorf("%d intake_switched_on events, want none", got)
		}
	})

	t.Run("IntakeOffAndOn", func(t *testing.T) {
		want(t, n.do(t, http.MethodPut, org(n.OrgC)+"/intake", n.Admin.Token, map[string]any{"accepting": false, "reason": "x"}),
			http.StatusForbidden)
		lead := n.addUser(t, n.OrgC, "lead.c", domain.RoleOrgLead)
		want(t, n.do(t, http.MethodPut, org(n.OrgC)+"/intake", lead.Token, map[string]any{"accepting": false, "reason": "Staff shortage."}), http.StatusOK)
		n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, validReferral(n.OrgC, "Client C")).problem(t, http.StatusConflict)
		r := want(t, n.do(t, http.MethodPut, org(n.OrgC)+"/intake", lead.Token, map[string]any{"accepting": true}), http.StatusOK)
		if r.get("accepting_referrals") != true {
			t.Errorf("intake on: %s", r.Body)
		}
		n.makeReferral(t, n.AdviserA.Token, n.OrgC, "Client C")
		n.do(t, http.MethodPut, org(n.OrgC)+"/intake", lead.Token, map[string]any{"reason": "?"}).invalid(t, "accepting")
	})
}

// TestIntakeEditWhileOffKeepsSwitchedOffAt_ORG2: a lead who changes the
// reason or the resume date while intake is off does not restart it: the
// organisation still says when intake went off, through the API and on
// the intake page, with the days it has been off counted from then.
func TestIntakeEditWhileOffKeepsSwitchedOffAt_ORG2(t *testing.T) {
	n := newNetwork(t, withWebPages()) // Monday 14 December 2026, 09:00
	intake := "/v1/organisations/" + n.OrgB + "/intake"
	r := want(t, n.do(t, http.MethodPut, intake, n.LeadB.Token, map[string]any{"accepting": false, "reason": "Staff shortage."}),
		http.StatusOK)
	offAt := r.str("intake", "switched_off_at")
	if offAt != "2026-12-14T09:00:00Z" {
		t.Fatalf("switched_off_at %q, want the time of the switch-off: %s", offAt, r.Body)
	}

	n.Clock.Advance(3 * 24 * time.Hour)
	r = want(t, n.do(t, http.MethodPut, intake, n.LeadB.Token, map[string]any{"accepting": false,
		"reason": "Staff shortage until the new year.", "resume_on": "2027-01-04"}), http.StatusOK)
	if r.str("intake", "reason") != "Staff shortage until the new year." || r.str("intake", "resume_on") != "2027-01-04" ||
		r.str("intake", "switched_off_at") != offAt {
		t.Errorf("after editing the reason and the resume date: %s; want switched_off_at %s", r.Body, offAt)
	}
	n.Clock.Advance(24 * time.Hour)
	want(t, n.do(t, http.MethodPut, intake, n.LeadB.Token, map[string]any{"accepting": false,
		"reason": "Staff shortage until the new year.", "resume_on": "2027-01-11"}), http.StatusOK)
	r = want(t, n.do(t, http.MethodGet, "/v1/organisations/"+n.OrgB, n.AdviserA.Token, nil), http.StatusOK)
	if r.str("intake", "resume_on") != "2027-01-11" || r.str("intake", "switched_off_at") != offAt {
		t.Errorf("after moving the resume date: %s; want switched_off_at %s", r.Body, offAt)
	}

	req, err := n.newRequest(http.MethodGet, "/organisations/"+n.OrgB+"/intake", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(&http.Cookie{Name: "ledger_session", Value: n.LeadB.Token})
	page, err := n.send(req)
	if err != nil {
		t.Fatal(err)
	}
	body := string(page.Body)
	if page.Status != http.StatusOK || !strings.Contains(body, "Not accepting referrals") {
		t.Fatalf("intake page: %d\n%s", page.Status, body)
	}
	for _, s := range []string{"<dt>Switched off</dt><dd>14 December 2026 at 9:00am</dd>", "<dt>Off for</dt><dd>4 days</dd>",
		"Staff shortage until the new year.", "11 January 2027"} {
		if !strings.Contains(body, s) {
			t.Errorf("the intake page lacks %q:\n%s", s, body)
		}
	}

	// Switched on and off again, intake is off from the new switch-off.
	want(t, n.do(t, http.MethodPut, intake, n.LeadB.Token, map[string]any{"accepting": true}), http.StatusOK)
	n.Clock.Advance(time.Hour)
	r = want(t, n.do(t, http.MethodPut, intake, n.LeadB.Token, map[string]any{"accepting": false, "reason": "Again."}), http.StatusOK)
	if r.str("intake", "switched_off_at") != "2026-12-18T10:00:00Z" {
		t.Errorf("off again after a switch-on: %s; want switched_off_at 2026-12-18T10:00:00Z", r.Body)
	}
}
