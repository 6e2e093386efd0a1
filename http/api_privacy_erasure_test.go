package http

// What erasure leaves behind: nothing of the client on disk (R-PRIV-4), and
// nothing of them outside ciphertext at any time, in the files, the log,
// the metrics or an error (R-PRIV-1, R-PRIV-7).

import (
	"bytes"
	"context"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	keysqlite "github.com/referral-ledger/ledger/keystore/sqlite"
)

// clientMarkers is client data and free text, each value distinctive
// enough that finding its bytes anywhere means it leaked. The date of
// birth cannot carry a marker, so it is a date nothing else uses.
type clientMarkers struct {
	Name, DateOfBirth, Phone, Email, Address              string
	Reason, Override, Feedback, Note, Comment             string
	ErasureRefused, RefusalReason, ErasureCarriedOut, Bad string
}

var markers = clientMarkers{
	Name: "Qz9name Hawthorne-Marker", DateOfBirth: "1931-07-23", Phone: "07700 900847",
	Email: "qz9email@marker.example", Address: "Qz9address 17 Larkspur Row, London",
	Reason: "Qz9reason rent arrears since May", Override: "Qz9override risk of harm at home",
	Feedback: "Qz9feedback next week is soon enough", Note: "Qz9note landlord replies in January",
	Comment: "Qz9comment housed by the council", ErasureRefused: "Qz9erasure asked by letter",
	RefusalReason: "Qz9refusal legal hold", ErasureCarriedOut: "Qz9erasure asked again in person",
	Bad: "Qz9bad input",
}

// all lists every marker, and the phone number without its spaces too.
func (m clientMarkers) all() []string {
	return []string{m.Name, m.DateOfBirth, m.Phone, strings.ReplaceAll(m.Phone, " ", ""), m.Email, m.Address,
		m.Reason, m.Override, m.Feedback, m.Note, m.Comment, m.ErasureRefused, m.RefusalReason, m.ErasureCarriedOut, m.Bad}
}

// leaks returns the markers found in s, compared case-insensitively.
func (m clientMarkers) leaks(s []byte) []string {
	lower := bytes.ToLower(s)
	var found []string
	for _, mk := range m.all() {
		if bytes.Contains(lower, []byte(strings.ToLower(mk))) {
			found = append(found, mk)
		}
	}
	return found
}

// markedReferral is a referral body with a marker in every client field.
func (n *network) markedReferral() map[string]any {
	body := validReferral(n.OrgB, markers.Name)
	body["urgent"] = true
	body["client"] = map[string]any{"name": markers.Name, "date_of_birth": markers.DateOfBirth, "phone": markers.Phone,
		"email": markers.Email, "address": markers.Address}
	body["reason"] = markers.Reason
	return body
}

// runMarkedErasure runs a whole lifecycle with markers in every free-text
// field, a refused erasure request and a subject access export, and
// returns it ready to erase: the request to carry out is made. Only the
// first POST has an Idempotency-Key, so the idempotency store holds one
// sealed response with client data in it.
func (n *network) runMarkedErasure(tb testing.TB) (erasureLifecycle, string) {
	tb.Helper()
	r := want(tb, n.do(tb, http.MethodPost, "/v1/referrals", n.AdviserA.Token, n.markedReferral(),
		"Idempotency-Key", "lifecycle-make-1"), http.StatusCreated)
	id := r.str("id")
	// The replay comes from the idempotency store: it holds the response.
	if re := want(tb, n.do(tb, http.MethodPost, "/v1/referrals", n.AdviserA.Token, n.markedReferral(),
		"Idempotency-Key", "lifecycle-make-1"), http.StatusCreated); re.Header.Get("Idempotent-Replayed") != "true" || re.str("id") != id {
		tb.Fatalf("replay: %s", re.Body)
	}
	path := "/v1/referrals/" + id
	want(tb, n.do(tb, http.MethodPost, path+"/acknowledgement", n.AdviserB.Token, map[string]any{}), http.StatusOK)
	want(tb, n.do(tb, http.MethodPost, path+"/assignment", n.LeadB.Token, map[string]any{"user_id": n.AdviserB.ID}), http.StatusOK)
	want(tb, n.do(tb, http.MethodPost, path+"/urgency-review", n.AdviserB.Token,
		map[string]any{"urgent": false, "feedback": markers.Feedback}), http.StatusOK)
	want(tb, n.do(tb, http.MethodPost, path+"/notes", n.AdviserA.Token,
		map[string]any{"text": markers.Note, "agreed_close_by": "2027-01-08"}), http.StatusCreated)
	want(tb, n.do(tb, http.MethodPost, path+"/closure", n.AdviserB.Token,
		map[string]any{"outcome": "positive", "comment": markers.Comment}), http.StatusOK)
	client := r.str("client_id")
	open := n.makeReferralWith(tb, n.AdviserA.Token, map[string]any{
		"to_organisation_id": n.OrgC, "client": map[string]any{"client_id": client}, "reason": markers.Reason,
		"safeguarding_override": map[string]any{"reason": markers.Override}, "privacy_notice_given": true,
	})
	refused := want(tb, n.requestErasure(tb, n.AdviserA.Token, client, markers.ErasureRefused), http.StatusCreated).str("id")
	want(tb, n.decideErasure(tb, n.Admin.Token, refused, false, markers.RefusalReason), http.StatusOK)
	x := want(tb, n.do(tb, http.MethodGet, "/v1/clients/"+client+"/subject-access", n.Admin.Token, nil), http.StatusOK)
	if !strings.Contains(string(x.Body), markers.Comment) || !strings.Contains(string(x.Body), markers.RefusalReason) {
		tb.Fatalf("the subject access export should hold the client's data: %s", x.Body)
	}
	request := want(tb, n.requestErasure(tb, n.AdviserB.Token, client, markers.ErasureCarriedOut), http.StatusCreated).str("id")
	return erasureLifecycle{Client: client, Closed: id, Open: open}, request
}

// readDataDir reads every file under dir, by path relative to it.
func readDataDir(tb testing.TB, dir string) map[string][]byte {
	tb.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		files[rel] = data
		return nil
	})
	if err != nil {
		tb.Fatalf("reading the data directory: %v", err)
	}
	for _, name := range []string{"events.db", keysqlite.FileName, "sessions.db", "idempotency.db"} {
		if _, ok := files[name]; !ok {
			tb.Fatalf("the data directory has no %s: %v", name, slices.Sorted(maps.Keys(files)))
		}
	}
	return files
}

// secret is bytes that must not be found on disk.
type secret struct {
	name  string
	bytes []byte
}

// findSecrets returns "file: secret" for every secret found in a file.
func findSecrets(files map[string][]byte, secrets []secret) []string {
	var found []string
	for name, data := range files {
		for _, mk := range markers.leaks(data) {
			found = append(found, name+": marker "+mk)
		}
		for _, s := range secrets {
			if bytes.Contains(data, s.bytes) {
				found = append(found, name+": "+s.name)
			}
		}
	}
	slices.Sort(found)
	return found
}

// TestErasureLeavesNothingOnDisk runs a lifecycle with client data and
// free text that can be searched for, then erases the client and searches
// every byte of every file in the data directory, journals included
// (R-PRIV-4): no client plaintext, no data key and no wrapped key remains.
// The plaintext is never on disk even before erasure: it is sealed from
// the start (R-PRIV-1).
func TestErasureLeavesNothingOnDisk(t *testing.T) {
	n := newNetwork(t)
	lc, request := n.runMarkedErasure(t)
	ctx := context.Background()

	key, err := n.KeyStore.Get(ctx, uuid.MustParse(lc.Client))
	if err != nil {
		t.Fatalf("the client's key: %v", err)
	}
	wrapped, tomb := keyRow(t, n.Dir, lc.Client)
	if len(wrapped) < 32 || tomb {
		t.Fatalf("keys.db: wrapped key of %d bytes, tombstone %v", len(wrapped), tomb)
	}
	db := openSQLite(t, filepath.Join(n.Dir, "idempotency.db"))
	var stored int
	if err := db.QueryRow(`SELECT count(*) FROM idempotency_keys WHERE body IS NOT NULL`).Scan(&stored); err != nil || stored != 1 {
		t.Errorf("the idempotency store holds %d responses (%v), want the one made with a key", stored, err)
	}
	db.Close()
	raw := secret{"the client's data key", key[:]}
	wrap := secret{"the client's wrapped key", wrapped}

	t.Run("BeforeErasure", func(t *testing.T) {
		files := readDataDir(t, n.Dir)
		for _, f := range findSecrets(files, []secret{raw}) {
			t.Errorf("before erasure, plaintext on disk: %s", f)
		}
		// The search works: the wrapped key is there to be found.
		if found := findSecrets(files, []secret{wrap}); len(found) == 0 {
			t.Errorf("the wrapped key was not found before erasure, so the search proves nothing")
		}
	})

	want(t, n.decideErasure(t, n.Admin.Token, request, true, ""), http.StatusOK)
	r := want(t, n.do(t, http.MethodGet, "/v1/referrals/"+lc.Closed, n.AdviserB.Token, nil), http.StatusOK)
	checkReferral(t, r, map[string]any{"erased": true, "client.name": nil})

	t.Run("AfterErasure", func(t *testing.T) {
		for _, f := range findSecrets(readDataDir(t, n.Dir), []secret{raw, wrap}) {
			t.Errorf("after erasure: %s", f)
		}
	})
	t.Run("AfterShutdown", func(t *testing.T) {
		n.Close() // closing checkpoints the journals into the files
		for _, f := range findSecrets(readDataDir(t, n.Dir), []secret{raw, wrap}) {
			t.Errorf("after erasure and shutdown: %s", f)
		}
	})
}

// TestNoClientDataOutsideCiphertextWithErasure extends
// TestNoClientDataInLogsErrorsOrMetrics to erasure (R-PRIV-7): a lifecycle,
// refused and carried-out erasure requests, subject access exports, and
// requests that fail with client data in them leave none of it in the log,
// /metrics, a problem body, or the columns of events.db that are not
// sealed: stream, type and metadata (nor the event ids).
func TestNoClientDataOutsideCiphertextWithErasure(t *testing.T) {
	n := newNetwork(t)
	lc, request := n.runMarkedErasure(t)
	client := lc.Client
	erasures := "/v1/clients/" + client + "/erasure-requests"
	decision := "/v1/erasure-requests/" + request + "/decision"
	var problems []*response
	expect := func(r *response, status int) {
		t.Helper()
		r.problem(t, status)
		problems = append(problems, r)
	}
	reason := map[string]any{"reason": markers.Bad}

	// Failing requests with client data in them, before erasure.
	expect(n.do(t, http.MethodPost, erasures, n.Auditor.Token, reason), http.StatusNotFound) // A, B and C are all involved
	expect(n.do(t, http.MethodPost, erasures, n.HelpdeskB.Token, reason), http.StatusForbidden)
	expect(n.do(t, http.MethodPost, erasures, n.AdviserA.Token,
		map[string]any{"reason": markers.Bad + strings.Repeat(" very long", 500)}), http.StatusUnprocessableEntity)
	expect(n.do(t, http.MethodPost, erasures, n.AdviserA.Token,
		map[string]any{"reason": "Asked.", markers.Bad: markers.Bad}), http.StatusUnprocessableEntity)
	expect(n.do(t, http.MethodPost, erasures, n.AdviserA.Token, map[string]any{"reason": 7, "note": markers.Bad}),
		http.StatusUnprocessableEntity)
	expect(n.do(t, http.MethodPost, erasures, n.AdviserA.Token, jsonText(`{"reason": "`+markers.Bad)), http.StatusBadRequest)
	// A path that is not a client id: the problem's instance echoes the
	// path to the caller who sent it, as RFC 9457 has it, but the log
	// names the route only.
	n.do(t, http.MethodPost, "/v1/clients/"+markers.Bad+"/erasure-requests", n.AdviserA.Token, reason).problem(t, http.StatusBadRequest)
	expect(n.do(t, http.MethodPost, decision, n.AdviserB.Token, map[string]any{"carry_out": false, "reason": markers.Bad}),
		http.StatusForbidden)
	expect(n.do(t, http.MethodPost, "/v1/erasure-requests/"+uuid.NewString()+"/decision", n.Admin.Token,
		map[string]any{"carry_out": false, "reason": markers.Bad}), http.StatusNotFound)
	expect(n.do(t, http.MethodPost, decision, n.Admin.Token, map[string]any{"carry_out": markers.Bad, "reason": markers.Bad}),
		http.StatusUnprocessableEntity)
	expect(n.do(t, http.MethodPost, decision, n.Admin.Token,
		map[string]any{"carry_out": false, "reason": markers.Bad + strings.Repeat(" very long", 500)}), http.StatusUnprocessableEntity)

	// Erasure, a request with an id that must not be logged as given,
	// and an export.
	want(t, n.do(t, http.MethodPost, decision, n.Admin.Token, map[string]any{"carry_out": true},
		"X-Request-Id", markers.Bad), http.StatusOK)
	want(t, n.do(t, http.MethodGet, "/v1/clients/"+client+"/subject-access", n.Admin.Token, nil), http.StatusOK)

	// Failing requests with client data in them, after erasure.
	expect(n.do(t, http.MethodPost, decision, n.Admin.Token, map[string]any{"carry_out": false, "reason": markers.Bad}),
		http.StatusConflict)
	expect(n.do(t, http.MethodPost, erasures, n.AdviserA.Token, reason), http.StatusConflict)
	again := n.markedReferral()
	again["client"] = map[string]any{"client_id": client, "name": markers.Name, "phone": markers.Phone}
	expect(n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, again), http.StatusConflict)
	expect(n.do(t, http.MethodPost, "/v1/referrals/"+lc.Open+"/notes", n.AdviserC.Token,
		map[string]any{"text": markers.Note}), http.StatusConflict)
	expect(n.do(t, http.MethodGet, "/v1/clients/"+client+"/subject-access", n.AdviserA.Token, nil), http.StatusForbidden)

	for _, p := range problems {
		if found := markers.leaks(p.Body); len(found) > 0 {
			t.Errorf("a problem holds client data %v: %s", found, p.Body)
		}
	}
	m := want(t, n.do(t, http.MethodGet, "/metrics", "", nil), http.StatusOK)
	if found := markers.leaks(m.Body); len(found) > 0 {
		t.Errorf("/metrics holds client data %v", found)
	}
	logs := n.Logs.String()
	if strings.Count(logs, "/erasure-requests") < 10 || !strings.Contains(logs, "/subject-access") {
		t.Fatalf("the log has too few request lines for erasure to mean anything:\n%s", logs)
	}
	for _, line := range strings.Split(logs, "\n") {
		if found := markers.leaks([]byte(line)); len(found) > 0 {
			t.Errorf("a log line holds client data %v: %s", found, line)
		}
	}

	db := openSQLite(t, filepath.Join(n.Dir, "events.db"))
	defer db.Close()
	n.flushReads(t) // the reads queued for the access log are part of the ledger
	rows, err := db.Query(`SELECT id, stream, type, metadata FROM events ORDER BY position`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	count := 0
	for rows.Next() {
		var id, stream, typ string
		var meta []byte
		if err := rows.Scan(&id, &stream, &typ, &meta); err != nil {
			t.Fatal(err)
		}
		count++
		if found := markers.leaks([]byte(id + "\x00" + stream + "\x00" + typ + "\x00" + string(meta))); len(found) > 0 {
			t.Errorf("event %s (%s on %s) holds client data %v outside its sealed box: %s", id, typ, stream, found, meta)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if head := n.head(t); count != int(head) {
		t.Errorf("read %d events, the store holds %d", count, head)
	}
}
