package http

// What erasure does when the key store fails or comes back (R-PRIV-3): a
// key brought back by a restored key-store backup is destroyed again, an
// erasure interrupted between its intent and its completion is finished on
// restart or on retry, and a key store that cannot be reached is never
// mistaken for an erasure.

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/keystore"
	keysqlite "github.com/referral-ledger/ledger/keystore/sqlite"
	"github.com/referral-ledger/ledger/ledger"
)

// TestErasureSurvivesRestoredKeyBackup restores a key-store backup taken
// before the erasure and restarts the node on it (R-PRIV-3): the ledger's
// own erasure events are checked before any key is used, so the client's
// data stays erased, and the key that came back is destroyed again.
func TestErasureSurvivesRestoredKeyBackup(t *testing.T) {
	n := newNetwork(t)
	client := n.clientOf(t, n.Referral)
	want(t, n.do(t, http.MethodPost, "/v1/referrals/"+n.Referral+"/notes", n.AdviserA.Token,
		map[string]any{"text": "Called the client back."}), http.StatusCreated)

	// A consistent backup of the key store, outside the data directory.
	backup := filepath.Join(t.TempDir(), "keys-backup.db")
	db := openSQLite(t, filepath.Join(n.Dir, keysqlite.FileName))
	if _, err := db.Exec(`VACUUM INTO ?`, backup); err != nil {
		t.Fatalf("backing up keys.db: %v", err)
	}
	db.Close()

	n.erase(t, client, "The client asked to be forgotten.")
	if wrapped, tomb := keyRow(t, n.Dir, client); wrapped != nil || !tomb {
		t.Fatalf("after erasure: key row %v, tombstone %v", wrapped != nil, tomb)
	}

	// The operator restores the backup over the key store and restarts.
	n.Close()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(filepath.Join(n.Dir, keysqlite.FileName+suffix)); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(n.Dir, keysqlite.FileName), data, 0o600); err != nil {
		t.Fatal(err)
	}
	restarted := *n
	restarted.testAPI = newTestAPI(t, onDataDir(n.Dir, n.MasterKey))
	m := &restarted
	if wrapped, tomb := keyRow(t, m.Dir, client); wrapped == nil || tomb {
		t.Fatalf("the restored key store should hold the client's key and no tombstone: key %v, tombstone %v", wrapped != nil, tomb)
	}

	r := want(t, m.do(t, http.MethodGet, "/v1/referrals/"+m.Referral, m.AdviserB.Token, nil), http.StatusOK)
	checkReferral(t, r, map[string]any{"erased": true, "client.erased": true, "client.name": nil, "reason": nil})
	if notes, _ := r.get("notes").([]any); len(notes) != 1 || notes[0].(map[string]any)["text"] != nil {
		t.Errorf("notes after restoring the key: %v", r.get("notes"))
	}
	if wrapped, tomb := keyRow(t, m.Dir, client); wrapped != nil || !tomb {
		t.Errorf("the key that came back with the backup was not destroyed again: key %v, tombstone %v", wrapped != nil, tomb)
	}
	_, ev := m.history(t, m.Auditor.Token, m.Referral, "")
	if len(ev) != 2 {
		t.Errorf("history has %d events, want 2", len(ev))
	}
	if x := want(t, m.do(t, http.MethodGet, "/v1/clients/"+client+"/subject-access", m.Admin.Token, nil), http.StatusOK); x.get("erased") != true {
		t.Errorf("subject access after restoring the key: %s", x.Body)
	}
	// What serve does at start finds nothing left to finish.
	finished, err := m.Server.Service.FinishErasures(context.Background(), m.Server.Clients, m.Server.Keys)
	if err != nil || finished != 0 {
		t.Errorf("FinishErasures = %d, %v; want 0, nil", finished, err)
	}
	if got := m.countEvents(t, domain.ClientErasedType); got != 1 {
		t.Errorf("%d client.erased events, want 1", got)
	}
	// Of the client's decisions, only the export is new since the restart
	// (reads add to the access log, a stream of its own).
	if got, want := clientStreamTypes(t, m.testAPI, client), []string{domain.ClientErasureRequestedType,
		domain.ClientErasureStartedType, domain.ClientErasedType, domain.ClientSubjectAccessExportedType}; !reflect.DeepEqual(got, want) {
		t.Errorf("client stream %v, want %v", got, want)
	}
}

// clientStreamTypes lists the types of the events on a client's stream.
func clientStreamTypes(tb testing.TB, a *testAPI, client string) []string {
	tb.Helper()
	stream, err := a.Store.ReadStream(context.Background(), ledger.ClientStream(uuid.MustParse(client)), 0, 0)
	if err != nil {
		tb.Fatalf("read client stream: %v", err)
	}
	types := make([]string, len(stream))
	for i, ev := range stream {
		types[i] = ev.Type
	}
	return types
}

// failingShredder is a key store whose Destroy fails, as when the process
// dies between recording an erasure's intent and destroying the key.
type failingShredder struct{}

var errShredderDown = errors.New("the key store went away")

func (failingShredder) Destroy(context.Context, uuid.UUID) error { return errShredderDown }

// TestInterruptedErasureFinishedOnRestart records an erasure's intent
// without destroying the key, then starts a fresh node on the data
// directory and finishes it as cmd/ledger's serve does before serving
// (R-PRIV-3): the key is destroyed and client.erased appended once; doing
// it again changes nothing.
func TestInterruptedErasureFinishedOnRestart(t *testing.T) {
	n := newNetwork(t)
	client := n.clientOf(t, n.Referral)
	request := want(t, n.requestErasure(t, n.AdviserB.Token, client, "Asked in person."), http.StatusCreated).str("id")

	ctx := context.Background()
	coordinator := domain.Actor{UserID: uuid.MustParse(n.Admin.ID), OrganisationID: uuid.MustParse(n.Admin.OrgID),
		Roles: []domain.Role{domain.RoleCoordinator}}
	_, err := n.Server.Service.DecideErasure(ctx, coordinator, uuid.MustParse(request), true, "", n.Server.Clients, failingShredder{})
	if !errors.Is(err, errShredderDown) {
		t.Fatalf("DecideErasure with a failing key store: %v, want the store's error", err)
	}
	if started, erased := n.countEvents(t, domain.ClientErasureStartedType), n.countEvents(t, domain.ClientErasedType); started != 1 || erased != 0 {
		t.Fatalf("%d erasure_started, %d erased; want the intent only", started, erased)
	}
	n.Close() // the process dies here
	if wrapped, tomb := keyRow(t, n.Dir, client); wrapped == nil || tomb {
		t.Fatalf("the interrupted erasure should have left the key: key %v, tombstone %v", wrapped != nil, tomb)
	}

	// The restarted node may destroy the key before it serves, if its views
	// replay the erasure's intent (R-PRIV-8); it finishes the erasure either way.
	restarted := *n
	restarted.testAPI = newTestAPI(t, onDataDir(n.Dir, n.MasterKey))
	m := &restarted
	finished, err := m.Server.Service.FinishErasures(ctx, m.Server.Clients, m.Server.Keys)
	if err != nil || finished != 1 {
		t.Fatalf("FinishErasures = %d, %v; want 1, nil", finished, err)
	}
	if wrapped, tomb := keyRow(t, m.Dir, client); wrapped != nil || !tomb {
		t.Errorf("after finishing: key %v, tombstone %v; want no key and a tombstone", wrapped != nil, tomb)
	}
	if _, err := m.KeyStore.Get(ctx, uuid.MustParse(client)); !errors.Is(err, keystore.ErrDestroyed) {
		t.Errorf("key store Get after finishing: %v, want ErrDestroyed", err)
	}
	wantTypes := []string{domain.ClientErasureRequestedType, domain.ClientErasureStartedType, domain.ClientErasedType}
	if got := clientStreamTypes(t, m.testAPI, client); !reflect.DeepEqual(got, wantTypes) {
		t.Fatalf("client stream %v, want %v", got, wantTypes)
	}
	stream, err := m.Store.ReadStream(ctx, ledger.ClientStream(uuid.MustParse(client)), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var erased domain.ClientErased
	if err := json.Unmarshal(stream[2].Data, &erased); err != nil || erased.RequestID.String() != request {
		t.Errorf("client.erased %s names request %v (%v), want %s", stream[2].Data, erased.RequestID, err, request)
	}

	head := m.head(t)
	if err := m.Server.Runner.WaitFor(ctx, head); err != nil {
		t.Fatal(err)
	}
	finished, err = m.Server.Service.FinishErasures(ctx, m.Server.Clients, m.Server.Keys)
	if err != nil || finished != 0 {
		t.Errorf("FinishErasures again = %d, %v; want 0, nil", finished, err)
	}
	if after := m.head(t); after != head {
		t.Errorf("finishing again appended events: head %d → %d", head, after)
	}
	r := want(t, m.do(t, http.MethodGet, "/v1/referrals/"+m.Referral, m.AdviserA.Token, nil), http.StatusOK)
	checkReferral(t, r, map[string]any{"erased": true, "client.name": nil, "reason": nil})
	m.decideErasure(t, m.Admin.Token, request, true, "").problem(t, http.StatusConflict)
}

// TestErasureRetriedAfterKeyStoreFailure carries out an erasure whose key
// destruction fails after the intent is recorded, then has the coordinator
// retry the decision, as the 503 invites (R-PRIV-3): the retry finishes the
// erasure instead of answering that the request was already decided.
func TestErasureRetriedAfterKeyStoreFailure(t *testing.T) {
	n := newNetwork(t)
	client := n.clientOf(t, n.Referral)
	request := want(t, n.requestErasure(t, n.AdviserA.Token, client, "Asked by letter."), http.StatusCreated).str("id")
	ctx := context.Background()
	coordinator := domain.Actor{UserID: uuid.MustParse(n.Admin.ID), OrganisationID: uuid.MustParse(n.Admin.OrgID),
		Roles: []domain.Role{domain.RoleCoordinator}}
	if _, err := n.Server.Service.DecideErasure(ctx, coordinator, uuid.MustParse(request), true, "", n.Server.Clients,
		failingShredder{}); !errors.Is(err, errShredderDown) {
		t.Fatalf("DecideErasure with a failing key store: %v, want the store's error", err)
	}
	if err := n.Server.Runner.WaitFor(ctx, n.head(t)); err != nil {
		t.Fatal(err)
	}

	r := want(t, n.decideErasure(t, n.Admin.Token, request, true, ""), http.StatusOK)
	if r.str("status") != "carried_out" || r.str("id") != request {
		t.Fatalf("retried decision: %s", r.Body)
	}
	if wrapped, tomb := keyRow(t, n.Dir, client); wrapped != nil || !tomb {
		t.Errorf("after the retry: key %v, tombstone %v; want no key and a tombstone", wrapped != nil, tomb)
	}
	wantTypes := []string{domain.ClientErasureRequestedType, domain.ClientErasureStartedType, domain.ClientErasedType}
	if got := clientStreamTypes(t, n.testAPI, client); !reflect.DeepEqual(got, wantTypes) {
		t.Errorf("client stream %v, want %v", got, wantTypes)
	}
	// Done now: deciding again is a conflict, refusing too, and nothing
	// is appended.
	before := n.head(t)
	n.decideErasure(t, n.Admin.Token, request, true, "").problem(t, http.StatusConflict)
	n.decideErasure(t, n.Admin.Token, request, false, "Too late.").problem(t, http.StatusConflict)
	if after := n.head(t); after != before {
		t.Errorf("deciding a finished erasure appended events: head %d → %d", before, after)
	}
}

// TestUnavailableKeyStoreIsNotErased closes the key store under a running
// node: reads and writes that need a client's key answer 503, and nothing
// is ever shown as erased (R-PRIV-3: only a destroyed key means erased).
func TestUnavailableKeyStoreIsNotErased(t *testing.T) {
	n := newNetwork(t)
	client := n.clientOf(t, n.Referral)
	want(t, n.do(t, http.MethodPost, "/v1/referrals/"+n.Referral+"/notes", n.AdviserA.Token,
		map[string]any{"text": "Called the client back."}), http.StatusCreated)
	if err := n.KeyStore.Close(); err != nil {
		t.Fatal(err)
	}
	before := n.head(t)
	ref := "/v1/referrals/" + n.Referral
	for _, c := range []struct {
		name         string
		method, path string
		token        string
		body         any
	}{
		{"GetReferral", http.MethodGet, ref, n.AdviserB.Token, nil},
		{"History", http.MethodGet, ref + "/history", n.Auditor.Token, nil},
		{"Note", http.MethodPost, ref + "/notes", n.AdviserA.Token, map[string]any{"text": "Anyone there?"}},
		{"MakeReferral", http.MethodPost, "/v1/referrals", n.AdviserA.Token, validReferral(n.OrgB, "Client New")},
		{"RequestErasure", http.MethodPost, "/v1/clients/" + client + "/erasure-requests", n.AdviserA.Token,
			map[string]any{"reason": "Asked by letter."}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := n.do(t, c.method, c.path, c.token, c.body)
			r.problem(t, http.StatusServiceUnavailable)
			if strings.Contains(string(r.Body), "erased") {
				t.Errorf("an unreachable key store answered as if erased: %s", r.Body)
			}
		})
	}
	if after := n.head(t); after != before {
		t.Errorf("head %d → %d while the key store was down", before, after)
	}
	// Subject access records the export before reading, then cannot read.
	x := n.do(t, http.MethodGet, "/v1/clients/"+client+"/subject-access", n.Admin.Token, nil)
	x.problem(t, http.StatusServiceUnavailable)
	if strings.Contains(string(x.Body), "erased") {
		t.Errorf("subject access with the key store down: %s", x.Body)
	}
	if got := n.countEvents(t, domain.ClientErasedType) + n.countEvents(t, domain.ClientErasureStartedType); got != 0 {
		t.Errorf("%d erasure events with the key store down, want 0", got)
	}
}
