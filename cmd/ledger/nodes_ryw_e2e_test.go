package main

import (
	"net/url"
	"testing"
)

// TestSeveralNodesReadYourWrites_VIEW1_VIEW2_VIEW4_REF14 checks the API
// contract's read your writes across nodes: every view is a projection each
// node builds for itself, so after a 2xx for a write made on node 2 the
// next read on node 1 of the inbox, outbox, search, known clients,
// directory and organisation must show it (R-VIEW-1, R-VIEW-2, R-VIEW-4,
// R-REF-9..12, R-REF-14), not what node 1's views held before.
func TestSeveralNodesReadYourWrites_VIEW1_VIEW2_VIEW4_REF14(t *testing.T) {
	_, one, two := startTwoNodes(t, 11)

	admin := one.signIn(t, "admin", adminPassword)
	org := func(name string) string {
		return one.must(t, 201, "POST", "/v1/organisations", admin, map[string]any{"name": name, "admin_email": "x@" + name + ".example"})["id"].(string)
	}
	a, b, c := org("advice"), org("housing"), org("debt")
	user := func(org, name, role, initial, own string) string {
		one.must(t, 201, "POST", "/v1/organisations/"+org+"/users", admin, map[string]any{"username": name, "display_name": name,
			"email": name + "@example.org", "roles": []string{role}, "password": initial})
		return one.firstSignIn(t, name, initial, own)
	}
	ann := user(a, "ann", "adviser", "Initial#Kestrel42", "Kestrel#Wing42")
	ben := user(b, "ben", "adviser", "Initial#Osprey77", "Osprey#Dive77")
	lead := user(b, "bella", "org_lead", "Initial#Heron55", "Heron#Wade55")
	carl := user(c, "carl", "adviser", "Initial#Falcon31", "Falcon#Stoop31")

	listed := func(n *node, token, path, id string) (bool, map[string]any) {
		t.Helper()
		for _, r := range n.must(t, 200, "GET", path, token, nil)["referrals"].([]any) {
			if r := r.(map[string]any); r["id"] == id {
				return true, r
			}
		}
		return false, nil
	}
	mustList := func(want bool, token, path, id, after string) map[string]any {
		t.Helper()
		got, r := listed(one, token, path, id)
		if got != want {
			t.Fatalf("after %s on node 2, node 1's %s lists the referral: %v, want %v", after, path, got, want)
		}
		return r
	}

	ref := two.must(t, 201, "POST", "/v1/referrals", ann, map[string]any{"to_organisation_id": b,
		"client": map[string]string{"name": "Ada Lovelace", "date_of_birth": "1985-12-10"}, "reason": "rent arrears",
		"consent": map[string]any{"method": "verbal", "confirmed": true}, "privacy_notice_given": true})
	id, reference := ref["id"].(string), ref["reference"].(string)
	mustList(true, ann, "/v1/outbox", id, "making a referral")
	mustList(true, ben, "/v1/inbox", id, "making a referral")
	mustList(true, ann, "/v1/referrals?reference="+url.QueryEscape(reference), id, "making a referral")
	found := one.must(t, 200, "POST", "/v1/clients/search", ann, map[string]string{"name": "ada lovelace", "date_of_birth": "1985-12-10"})
	if cs := found["clients"].([]any); len(cs) != 1 {
		t.Fatalf("after making a referral on node 2, node 1's known clients search finds %v", found)
	}

	two.must(t, 200, "POST", "/v1/referrals/"+id+"/acknowledgement", ben, map[string]any{})
	mustList(true, ben, "/v1/inbox?status=acknowledged", id, "acknowledging")

	two.must(t, 200, "POST", "/v1/referrals/"+id+"/decline", ben, map[string]any{"reason_code": "no_capacity", "comment": "full this month"})
	mustList(false, ben, "/v1/inbox", id, "declining")
	mustList(true, ben, "/v1/inbox?status=declined", id, "declining")
	if r := mustList(true, ann, "/v1/outbox", id, "declining"); r["status"] != "declined" {
		t.Fatalf("after declining on node 2, node 1's outbox shows %v", r["status"])
	}
	mustList(true, ann, "/v1/referrals?status=declined", id, "declining")

	two.must(t, 200, "POST", "/v1/referrals/"+id+"/reopening", ben, map[string]any{"reason": "capacity found"})
	mustList(true, ben, "/v1/inbox?status=acknowledged", id, "reopening")

	fwd := two.must(t, 201, "POST", "/v1/referrals/"+id+"/forward", ben, map[string]any{"to_organisation_id": c,
		"comment": "better placed", "consent": map[string]any{"method": "written", "confirmed": true}})
	next := fwd["id"].(string)
	mustList(true, carl, "/v1/inbox", next, "forwarding")
	mustList(true, ben, "/v1/outbox", next, "forwarding")
	mustList(false, ben, "/v1/inbox", id, "forwarding")

	two.must(t, 200, "POST", "/v1/referrals/"+next+"/withdrawal", ben, map[string]any{"reason": "client moved away"})
	mustList(false, carl, "/v1/inbox", next, "withdrawing")
	if r := mustList(true, ben, "/v1/outbox", next, "withdrawing"); r["status"] != "withdrawn" {
		t.Fatalf("after withdrawing on node 2, node 1's outbox shows %v", r["status"])
	}

	two.must(t, 200, "PUT", "/v1/organisations/"+b+"/intake", lead, map[string]any{"accepting": false, "reason": "refurbishment"})
	for _, e := range one.must(t, 200, "GET", "/v1/directory", ann, nil)["organisations"].([]any) {
		if e := e.(map[string]any); e["id"] == b && e["accepting_referrals"] != false {
			t.Fatalf("after intake off on node 2, node 1's directory shows %v", e)
		}
	}
	if o := one.must(t, 200, "GET", "/v1/organisations/"+b, ann, nil); o["accepting_referrals"] != false {
		t.Fatalf("after intake off on node 2, node 1's organisation shows %v", o["accepting_referrals"])
	}
	two.must(t, 200, "PATCH", "/v1/organisations/"+b, lead, map[string]any{"description": "homes for all"})
	for _, e := range one.must(t, 200, "GET", "/v1/directory", ann, nil)["organisations"].([]any) {
		if e := e.(map[string]any); e["id"] == b && e["description"] != "homes for all" {
			t.Fatalf("after a directory change on node 2, node 1's directory shows %v", e)
		}
	}
}
