package main

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// searchNetwork is a web network with an auditor, and a helper to make
// referrals from Advice Centre to Housing Trust.
type searchNetwork struct {
	*webNetwork
	ann string // Ann Adviser's token
}

const auditorPassword = "Puffin#Burrow-2049"

func newSearchNetwork(t *testing.T) *searchNetwork {
	t.Helper()
	n := &searchNetwork{webNetwork: newWebNetwork(t)}
	me := n.must(t, 201, "POST", "/v1/sessions", "", map[string]string{"username": "admin", "password": adminPassword})
	org := me["user"].(map[string]any)["organisation_id"].(string)
	n.must(t, 201, "POST", "/v1/organisations/"+org+"/users", n.admin, map[string]any{"username": "audrey",
		"display_name": "Audrey Auditor", "email": "audrey@example.org", "roles": []string{"auditor"}, "password": "Initial#Puffin-2049"})
	n.firstSignIn(t, "audrey", "Initial#Puffin-2049", auditorPassword)
	n.ann = n.signIn(t, "ann", annPassword)
	return n
}

func (n *searchNetwork) makeReferral(t *testing.T, client string) (id, clientID, ref string) {
	t.Helper()
	r := n.must(t, 201, "POST", "/v1/referrals", n.ann, map[string]any{"to_organisation_id": n.orgB,
		"client": map[string]string{"name": client, "date_of_birth": "1980-03-27"}, "reason": "rent arrears",
		"consent": map[string]any{"method": "written", "confirmed": true}, "privacy_notice_given": true})
	return r["id"].(string), r["client_id"].(string), r["reference"].(string)
}

var listedRef = regexp.MustCompile(`class="reference">([0-9A-Z]{4}-[0-9A-Z]{4})</a>`)

// TestWebSearchPage_VIEW_AUTH4 searches through the page as the API
// searches: filters combine, pages follow "Next page" with no referral
// twice or missed, bad input gets an error summary naming the field, a
// user sees only their organisation's referrals and the coordinator
// everyone's; the header's box finds by reference for the coordinator too.
func TestWebSearchPage_VIEW_AUTH4(t *testing.T) {
	n := newSearchNetwork(t)
	var refs []string
	for _, name := range []string{"One", "Two", "Three"} {
		_, _, ref := n.makeReferral(t, "Client "+name)
		refs = append([]string{ref}, refs...) // newest first
	}
	ben := n.signIn(t, "ben", benPassword)
	id, _, _ := n.makeReferral(t, "Client Four")
	n.must(t, 200, "POST", "/v1/referrals/"+id+"/acknowledgement", ben, map[string]any{})

	admin := n.browser(t)
	admin.signIn("admin", adminPassword, "/")
	p := admin.get("/search?status=made&from=" + n.orgA + "&to=" + n.orgB)
	wantStatus(t, p, http.StatusOK, "Referrals found", `<option value="made" selected>`)
	if got := listedRef.FindAllStringSubmatch(p.body, -1); len(got) != 3 || got[0][1] != refs[0] || got[2][1] != refs[2] {
		t.Fatalf("made A → B: %v, want %v", got, refs)
	}
	if strings.Contains(p.body, "Client One") {
		t.Fatal("the search page shows client data")
	}
	ack := admin.get("/search?status=acknowledged")
	if got := listedRef.FindAllStringSubmatch(ack.body, -1); len(got) != 1 {
		t.Fatalf("acknowledged: %v, want one", got)
	}
	// Dates typed as people type them, both days included.
	today := admin.get("/search?made-from=1+1+2000&made-to=31%2F12%2F2099")
	if got := listedRef.FindAllStringSubmatch(today.body, -1); len(got) != 4 {
		t.Fatalf("made between 2000 and 2099: %d, want 4", len(got))
	}
	none := admin.get("/search?made-to=1+1+2000")
	wantStatus(t, none, http.StatusOK, "No referral matches your search")

	bad := admin.get("/search?reference=ABC&made-from=31+2+2026&status=lost&from=nobody")
	wantStatus(t, bad, http.StatusUnprocessableEntity, "<title>Error: Search referrals", "There is a problem",
		`href="#reference"`, `href="#made-from"`, `href="#status"`, `href="#from"`, `id="made-from-error"`, `value="31 2 2026"`)
	order := admin.get("/search?made-from=2+1+2026&made-to=1+1+2026")
	wantStatus(t, order, http.StatusUnprocessableEntity, `href="#made-to"`, "same as or after the first date")

	// Need to know: Debt Line's lead finds nothing of A → B; Housing
	// Trust's adviser finds them; the header box finds by reference for
	// the coordinator, who is party to nothing.
	cleo := n.browser(t)
	cleo.signIn("cleo", "Plover#Shore19", "/")
	if got := listedRef.FindAllStringSubmatch(cleo.get("/search").body, -1); len(got) != 0 {
		t.Fatalf("Debt Line's lead finds %v", got)
	}
	wantStatus(t, cleo.get("/find?reference="+refs[0]), http.StatusOK, "No referral with reference")
	bob := n.browser(t)
	bob.signIn("bob", bobPassword, "/")
	if got := listedRef.FindAllStringSubmatch(bob.get("/search").body, -1); len(got) != 4 {
		t.Fatalf("Housing Trust's adviser finds %d, want 4", len(got))
	}
	if f := admin.get("/find?reference=" + refs[1]); f.status != http.StatusSeeOther || !strings.HasPrefix(f.location, "/referrals/") {
		t.Fatalf("the coordinator's header search: %d %q", f.status, f.location)
	}
}

// TestWebSearchPaging_VIEW follows "Next page" across pages of the search
// with filters kept: every referral once, newest first.
func TestWebSearchPaging_VIEW(t *testing.T) {
	n := newSearchNetwork(t)
	want := map[string]bool{}
	for i := range 27 {
		_, _, ref := n.makeReferral(t, "Client "+string(rune('A'+i)))
		want[ref] = true
	}
	auditor := n.browser(t)
	auditor.signIn("audrey", auditorPassword, "/")
	next := "/search?status=made&to=" + n.orgB
	seen := map[string]bool{}
	pages := 0
	for next != "" {
		p := auditor.get(next)
		wantStatus(t, p, http.StatusOK)
		pages++
		for _, m := range listedRef.FindAllStringSubmatch(p.body, -1) {
			if seen[m[1]] {
				t.Fatalf("%s listed twice", m[1])
			}
			seen[m[1]] = true
		}
		next = ""
		if m := regexp.MustCompile(`<a href="([^"]+)">Next page</a>`).FindStringSubmatch(p.body); m != nil {
			next = strings.ReplaceAll(m[1], "&amp;", "&")
			if !strings.Contains(next, "status=made") || !strings.Contains(next, "to="+n.orgB) {
				t.Fatalf("the next page drops the filters: %s", next)
			}
		}
	}
	if pages != 2 || len(seen) != len(want) {
		t.Fatalf("%d pages, %d referrals; want 2 pages, %d", pages, len(seen), len(want))
	}
}

// TestWebAuditorReadOnly_LEDGER5 is the auditor's view of a case: the
// referral page offers no action, links the timeline and the access log;
// the timeline shows every event with its chain verified and the state at
// an earlier revision or time; the access log lists the reads. Every
// action form posted by the auditor is refused and changes nothing.
func TestWebAuditorReadOnly_LEDGER5(t *testing.T) {
	n := newSearchNetwork(t)
	id, _, ref := n.makeReferral(t, "Client Audit")
	ben := n.signIn(t, "ben", benPassword)
	n.must(t, 200, "POST", "/v1/referrals/"+id+"/acknowledgement", ben, map[string]any{})
	n.must(t, 201, "POST", "/v1/referrals/"+id+"/notes", ben, map[string]any{"text": "Called the client."})

	auditor := n.browser(t)
	auditor.signIn("audrey", auditorPassword, "/")
	page := auditor.get("/referrals/" + id)
	wantStatus(t, page, http.StatusOK, ref, `href="/referrals/`+id+`/history"`, `href="/referrals/`+id+`/access-log"`)
	if strings.Contains(page.body, `action="/referrals/`) {
		t.Fatalf("the auditor's referral page offers an action:\n%s", page.body)
	}

	h := auditor.get("/referrals/" + id + "/history")
	wantStatus(t, h, http.StatusOK, "History", "The hash chain of this referral's events verifies", "Referral made",
		"Acknowledged", "Note added", "Ben Adviser (Housing Trust)", "Ann Adviser (Advice Centre)", "Called the client.",
		"revision 2", `<option value="0">`)
	if c := strings.Count(h.body, ">Verified</strong>"); c != 3 {
		t.Errorf("%d events verified, want 3", c)
	}
	then := auditor.get("/referrals/" + id + "/history?revision=0")
	wantStatus(t, then, http.StatusOK, "as it stood at revision 0", "<dt>Status</dt><dd>New", `<option value="0" selected>`)
	if c := strings.Count(then.body, "After the point shown"); c != 2 {
		t.Errorf("%d events after revision 0, want 2", c)
	}
	asOf := auditor.get("/referrals/" + id + "/history?as-of-date=1+1+2000")
	wantStatus(t, asOf, http.StatusUnprocessableEntity, `href="#as-of-date"`, "had not been made yet")
	badTime := auditor.get("/referrals/" + id + "/history?as-of-date=1+1+2099&as-of-time=25:99")
	wantStatus(t, badTime, http.StatusUnprocessableEntity, `href="#as-of-time"`)
	later := auditor.get("/referrals/" + id + "/history?as-of-date=1+1+2099")
	wantStatus(t, later, http.StatusOK, "<dt>Status</dt><dd>Acknowledged")

	log := auditor.get("/referrals/" + id + "/access-log")
	wantStatus(t, log, http.StatusOK, "Access log", "Audrey Auditor", "Read the referral&#39;s history in the web pages",
		"An auditor (the case was not locked)")

	before := n.must(t, 200, "GET", "/v1/referrals/"+id, n.admin, nil)["revision"]
	for _, form := range []struct {
		action string
		values url.Values
	}{
		{"acknowledge", url.Values{}},
		{"assign", url.Values{"assignee": {"00000000-0000-0000-0000-000000000001"}}},
		{"notes", url.Values{"note-text": {"forged"}}},
		{"urgency-review", url.Values{"feedback": {"forged"}}},
		{"close", url.Values{"outcome": {"positive"}, "comment": {"forged"}}},
	} {
		form.values.Set("revision", "2")
		p := auditor.post("/referrals/"+id+"/"+form.action, form.values)
		if p.status != http.StatusForbidden && p.status != http.StatusNotFound {
			t.Errorf("the auditor's %s: %d, want 403 or 404", form.action, p.status)
		}
	}
	if after := n.must(t, 200, "GET", "/v1/referrals/"+id, n.admin, nil)["revision"]; after != before {
		t.Fatalf("the auditor's forged posts changed the referral: revision %v → %v", before, after)
	}
}

// TestWebSearchLockedAndErased_LOCK2_PRIV3: a locked case is in the search
// only for those its lock lets in, as in the inbox; its access log is the
// responsible person's to read as well; after erasure the timeline shows
// client fields as "erased".
func TestWebSearchLockedAndErased_LOCK2_PRIV3(t *testing.T) {
	n := newSearchNetwork(t)
	for _, u := range []struct{ name, role, initial, own string }{
		{"tess", "team_manager", "Initial#Tern4455", "Tern#Glide4455"},
		{"sam", "service_manager", "Initial#Swift667", "Swift#Dart667"},
	} {
		n.must(t, 201, "POST", "/v1/organisations/"+n.orgB+"/users", n.admin, map[string]any{"username": u.name,
			"display_name": u.name, "email": u.name + "@example.org", "roles": []string{u.role}, "password": u.initial})
	}
	tess := n.firstSignIn(t, "tess", "Initial#Tern4455", "Tern#Glide4455")
	sam := n.firstSignIn(t, "sam", "Initial#Swift667", "Swift#Dart667")
	benID := n.must(t, 201, "POST", "/v1/sessions", "", map[string]string{"username": "ben", "password": benPassword})["user"].(map[string]any)["id"].(string)
	locked, lockedClient, lockedRef := n.makeReferral(t, "Locked Client")
	_, _, openRef := n.makeReferral(t, "Open Client")
	req := n.must(t, 201, "POST", "/v1/clients/"+lockedClient+"/lock-requests", tess, map[string]any{
		"responsible_user_id": benID, "reason": "a related member of staff", "allow": []any{}, "deny": []any{}})
	n.must(t, 200, "POST", "/v1/lock-requests/"+req["id"].(string)+"/decision", sam, map[string]any{"approve": true})

	found := func(user, password string) []string {
		b := n.browser(t)
		b.signIn(user, password, "/")
		var out []string
		for _, m := range listedRef.FindAllStringSubmatch(b.get("/search").body, -1) {
			out = append(out, m[1])
		}
		return out
	}
	for _, u := range []struct {
		name, password string
		sees           bool
	}{{"ben", benPassword, true}, {"bob", bobPassword, false}, {"ann", annPassword, false},
		{"admin", adminPassword, false}, {"audrey", auditorPassword, false}} {
		got := found(u.name, u.password)
		if !strings.Contains(strings.Join(got, " "), openRef) {
			t.Fatalf("%s does not find the open case: %v", u.name, got)
		}
		if sees := strings.Contains(strings.Join(got, " "), lockedRef); sees != u.sees {
			t.Errorf("%s finds the locked case: %v, want %v", u.name, sees, u.sees)
		}
	}
	ben := n.browser(t)
	ben.signIn("ben", benPassword, "/")
	wantStatus(t, ben.get("/referrals/"+locked), http.StatusOK, `href="/referrals/`+locked+`/access-log"`)
	wantStatus(t, ben.get("/referrals/"+locked+"/access-log"), http.StatusOK, "Ben Adviser", "The person the case is locked to")

	// Erased: the timeline shows client fields as erased, never the name.
	erased, erasedClient, _ := n.makeReferral(t, "Erased Client")
	er := n.must(t, 201, "POST", "/v1/clients/"+erasedClient+"/erasure-requests", n.ann, map[string]any{"reason": "the client asked"})
	n.must(t, 200, "POST", "/v1/erasure-requests/"+er["id"].(string)+"/decision", n.admin, map[string]any{"carry_out": true, "reason": "agreed"})
	auditor := n.browser(t)
	auditor.signIn("audrey", auditorPassword, "/")
	h := auditor.get("/referrals/" + erased + "/history")
	wantStatus(t, h, http.StatusOK, "<code>client</code></dt><dd class=\"pre\">erased</dd>", "<code>reason</code></dt><dd class=\"pre\">erased</dd>",
		"<code>safeguarding_override</code></dt><dd class=\"pre\">none</dd>", "The hash chain of this referral's events verifies")
	if strings.Contains(h.body, "Erased Client") || strings.Contains(h.body, "rent arrears") {
		t.Fatal("the timeline of an erased client shows their data")
	}
}
