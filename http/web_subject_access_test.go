package http

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestWebSubjectAccessDownloadIsTheAPIExport_PRIV6_UI2: the web pages'
// subject access download is the document GET
// /v1/clients/{id}/subject-access answers, byte for byte, with every field
// of each event (actor, correlation and causation ids, position, schema
// version, previous hash), not a likeness of it (R-PRIV-6, R-UI-2).
//
// Every export records itself on the client's stream before reading it,
// so two exports on one node differ by the second's record. The node is
// therefore stopped and its data directory copied: the same ledger, at the
// same instant on the same clock, is exported once through the page and
// once through the API, each request with the same request id. What each
// export mints for itself at random (its id, its record's event id and so
// that record's hash) is then the only difference, and once those three
// are put in place the two documents are the same bytes.
func TestWebSubjectAccessDownloadIsTheAPIExport_PRIV6_UI2(t *testing.T) {
	n := newNetwork(t, withWebPages())
	client := n.clientOf(t, n.Referral)
	want(t, n.do(t, http.MethodPost, "/v1/referrals/"+n.Referral+"/acknowledgement", n.AdviserB.Token, map[string]any{}), http.StatusOK)
	want(t, n.do(t, http.MethodPost, "/v1/referrals/"+n.Referral+"/notes", n.AdviserB.Token,
		map[string]any{"text": "Spoke to the client's sister."}), http.StatusCreated)
	// An earlier export: the client's own stream has an event already.
	want(t, n.do(t, http.MethodGet, "/v1/clients/"+client+"/subject-access", n.Admin.Token, nil), http.StatusOK)
	at := n.Clock.Now().Add(time.Hour)
	n.Close()
	twin := t.TempDir()
	copyTree(t, n.Dir, twin)

	pages := newTestAPI(t, withWebPages(), onDataDir(n.Dir, n.MasterKey), startingAt(at))
	api := newTestAPI(t, withWebPages(), onDataDir(twin, n.MasterKey), startingAt(at))
	requestID := uuid.NewString()
	download := want(t, pages.do(t, http.MethodGet, "/clients/"+client+"/subject-access.json", "", nil,
		"Cookie", "ledger_session="+pages.Admin.Token, "X-Request-Id", requestID), http.StatusOK)
	export := want(t, api.do(t, http.MethodGet, "/v1/clients/"+client+"/subject-access", api.Admin.Token, nil,
		"X-Request-Id", requestID), http.StatusOK)
	if cd := download.Header.Get("Content-Disposition"); cd != `attachment; filename="subject-access-`+client+`.json"` {
		t.Errorf("the download's Content-Disposition is %q", cd)
	}
	if a, b := download.Header.Get("Content-Type"), export.Header.Get("Content-Type"); a != b {
		t.Errorf("the download is %q, the API's export %q", a, b)
	}

	// What each export minted for itself.
	type minted struct {
		ExportID string `json:"export_id"`
		Events   []struct {
			ID   string `json:"id"`
			Hash string `json:"hash"`
			Data struct {
				ExportID string `json:"export_id"`
			} `json:"data"`
		} `json:"events"`
	}
	own := func(r *response) []string {
		t.Helper()
		var m minted
		if err := json.Unmarshal(r.Body, &m); err != nil {
			t.Fatalf("%v: %s", err, r.Body)
		}
		if len(m.Events) != 2 {
			t.Fatalf("the client's events: %s", r.Body)
		}
		last := m.Events[len(m.Events)-1]
		if last.Data.ExportID != m.ExportID {
			t.Fatalf("the export's own record is not its last client event: %s", r.Body)
		}
		return []string{m.ExportID, last.ID, last.Hash}
	}
	got := download.Body
	for i, from := range own(download) {
		to := own(export)[i]
		if bytes.Count(got, []byte(from)) == 0 {
			t.Fatalf("%q is not in the download", from)
		}
		got = bytes.ReplaceAll(got, []byte(from), []byte(to))
	}
	if !bytes.Equal(got, export.Body) {
		t.Errorf("the web download is not the API's export:\nweb: %s\napi: %s", got, export.Body)
	}
	var doc struct {
		Events []map[string]any `json:"events"`
	}
	if err := json.Unmarshal(export.Body, &doc); err != nil {
		t.Fatal(err)
	}
	for _, field := range []string{"actor", "causation_id", "correlation_id", "prev_hash", "position", "schema_version"} {
		if _, ok := doc.Events[0][field]; !ok {
			t.Errorf("an exported event has no %s: %v", field, doc.Events[0])
		}
	}
}

// copyTree copies the regular files under from to the same paths under to.
func copyTree(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		target := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}
