package http

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestIdempotentRetryAfterLostRecord_OPS1 proves R-OPS-1 for every kind of
// create, without a crash: the node stops, the idempotency store loses
// every record of the first requests (the worst a crash can do to it), and
// the same requests sent again under the same keys make nothing new and
// answer with the first results, because the ids they mint and the events
// they write derive from the request. The same key with another body is
// then still 422.
func TestIdempotentRetryAfterLostRecord_OPS1(t *testing.T) {
	n := newNetwork(t)
	type create struct {
		name, path, token, key, idField string
		body                            map[string]any
		counted                         []string // event types that must not repeat
	}
	creates := []create{
		{name: "referral", path: "/v1/referrals", token: n.AdviserA.Token, key: "once-referral",
			body: validReferral(n.OrgB, "Client Once"), idField: "id", counted: []string{domain.ReferralMadeType}},
		{name: "note", path: "/v1/referrals/" + n.Referral + "/notes", token: n.AdviserA.Token, key: "once-note",
			body: map[string]any{"text": "Called the client."}, idField: "id", counted: []string{domain.ReferralNoteAddedType}},
		{name: "organisation", path: "/v1/organisations", token: n.Admin.Token, key: "once-org",
			body: map[string]any{"name": "Delta Welfare", "admin_email": "intake@delta.example",
				"description": "Another member.", "services": []map[string]string{{"name": "Advice", "description": "General."}}},
			idField: "id", counted: []string{domain.OrganisationRegisteredType}},
		{name: "user", path: "/v1/organisations/" + n.OrgC + "/users", token: n.Admin.Token, key: "once-user",
			body: map[string]any{"username": "adviser.c2", "display_name": "Test C2", "email": "c2@example.org",
				"roles": []domain.Role{domain.RoleAdviser}, "password": testInitialPassword},
			idField: "id", counted: []string{domain.OrganisationUserAddedType}},
	}
	first := make([]*response, len(creates))
	for i, c := range creates {
		first[i] = want(t, n.do(t, http.MethodPost, c.path, c.token, c.body, "Idempotency-Key", c.key), http.StatusCreated)
	}
	counts := map[string]int{}
	for _, c := range creates {
		for _, typ := range c.counted {
			counts[typ] = n.countEvents(t, typ)
		}
	}

	n.Close()
	files, _ := filepath.Glob(filepath.Join(n.Dir, "idempotency.db*"))
	for _, f := range files {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	restarted := *n
	restarted.testAPI = newTestAPI(t, onDataDir(n.Dir, n.MasterKey), startingAt(n.Clock.Now()))
	m := &restarted

	for i, c := range creates {
		t.Run(c.name, func(t *testing.T) {
			again := want(t, m.do(t, http.MethodPost, c.path, c.token, c.body, "Idempotency-Key", c.key), http.StatusCreated)
			if again.str(c.idField) != first[i].str(c.idField) || again.Header.Get("Location") != first[i].Header.Get("Location") {
				t.Fatalf("retry answered %s %s, the first %s %s", again.str(c.idField), again.Header.Get("Location"),
					first[i].str(c.idField), first[i].Header.Get("Location"))
			}
			if c.name == "referral" && again.str("client_id") != first[i].str("client_id") {
				t.Fatalf("retry made client %s, the first %s", again.str("client_id"), first[i].str("client_id"))
			}
			for _, typ := range c.counted {
				if got := m.countEvents(t, typ); got != counts[typ] {
					t.Errorf("%d %s events after the retry, want %d", got, typ, counts[typ])
				}
			}
			other := map[string]any{}
			for k, v := range c.body {
				other[k] = v
			}
			other["extra"] = true
			m.do(t, http.MethodPost, c.path, c.token, other, "Idempotency-Key", c.key).problem(t, http.StatusUnprocessableEntity)
		})
	}
}

// TestIdempotencyKeyOnAnotherResource_OPS1: the same Idempotency-Key and
// body sent to another resource of the same route (a note on another
// referral) is another request: 422, as the same key with another body,
// and nothing written; never a replay of the first resource's answer
// with the second's action left undone.
func TestIdempotencyKeyOnAnotherResource_OPS1(t *testing.T) {
	n := newNetwork(t)
	other := n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Elsewhere")
	note := map[string]any{"text": "Called the client."}
	first := want(t, n.do(t, http.MethodPost, "/v1/referrals/"+n.Referral+"/notes", n.AdviserA.Token, note, "Idempotency-Key", "same-key"), http.StatusCreated)
	notes := n.countEvents(t, domain.ReferralNoteAddedType)

	again := n.do(t, http.MethodPost, "/v1/referrals/"+other+"/notes", n.AdviserA.Token, note, "Idempotency-Key", "same-key")
	again.problem(t, http.StatusUnprocessableEntity)
	if again.Header.Get("Idempotent-Replayed") != "" {
		t.Errorf("the note on another referral was answered as a replay of the first: %s", again.Body)
	}
	if got := n.countEvents(t, domain.ReferralNoteAddedType); got != notes {
		t.Errorf("%d notes after the refused request, want %d", got, notes)
	}
	// The first resource still replays its own answer.
	replayed := want(t, n.do(t, http.MethodPost, "/v1/referrals/"+n.Referral+"/notes", n.AdviserA.Token, note, "Idempotency-Key", "same-key"), http.StatusCreated)
	if replayed.str("id") != first.str("id") || replayed.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry on the first referral answered %s (replayed %q), want note %s replayed", replayed.str("id"), replayed.Header.Get("Idempotent-Replayed"), first.str("id"))
	}
}

// TestIdempotencyKeySameBodyWrittenAnotherWay_OPS1: the same body sent
// again as another JSON library writes it, its keys in another order and
// spaced otherwise, is the same request: the first answer is replayed and
// nothing new is made. A body that differs in a value is still another
// request (422).
func TestIdempotencyKeySameBodyWrittenAnotherWay_OPS1(t *testing.T) {
	n := newNetwork(t)
	path := "/v1/referrals/" + n.Referral + "/notes"
	first := want(t, n.do(t, http.MethodPost, path, n.AdviserA.Token,
		rawBody{data: []byte(`{"text":"Called the client.","agreed_close_by":null}`), contentType: "application/json"},
		"Idempotency-Key", "written-another-way"), http.StatusCreated)
	notes := n.countEvents(t, domain.ReferralNoteAddedType)

	again := want(t, n.do(t, http.MethodPost, path, n.AdviserA.Token,
		rawBody{data: []byte("{\n  \"agreed_close_by\": null,\n  \"text\": \"Called the client.\"\n}\n"), contentType: "application/json"},
		"Idempotency-Key", "written-another-way"), http.StatusCreated)
	if again.str("id") != first.str("id") || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("the same body written another way answered note %s (replayed %q), want note %s replayed",
			again.str("id"), again.Header.Get("Idempotent-Replayed"), first.str("id"))
	}
	if got := n.countEvents(t, domain.ReferralNoteAddedType); got != notes {
		t.Errorf("%d notes after the retry, want %d", got, notes)
	}
	n.do(t, http.MethodPost, path, n.AdviserA.Token,
		rawBody{data: []byte(`{"agreed_close_by":null,"text":"Called the client!"}`), contentType: "application/json"},
		"Idempotency-Key", "written-another-way").problem(t, http.StatusUnprocessableEntity)
}
