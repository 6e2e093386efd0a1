package http

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// TestSessionStoreBusyIs503_OPS4: R-OPS-4. While another process holds
// the write lock of sessions.db (an operator's sqlite3 shell, a stalled
// disk), a sign-in cannot be recorded: it answers 503 with Retry-After
// saying the store is busy, as every other store's failure does, not a
// 500 that names nothing; the log keeps SQLite's own error. Once the
// lock is gone, the sign-in works.
func TestSessionStoreBusyIs503_OPS4(t *testing.T) {
	api := newTestAPI(t, withWebPages())
	db, err := sql.Open("sqlite", "file:"+filepath.Join(api.Dir, "sessions.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	signIn := map[string]string{"username": "admin", "password": testAdminPassword}
	r := api.do(t, http.MethodPost, "/v1/sessions", "", signIn)
	p := r.problem(t, http.StatusServiceUnavailable)
	if !strings.HasSuffix(p.Type, "/unavailable") || !strings.Contains(p.Detail, "busy") || r.Header.Get("Retry-After") == "" {
		t.Errorf("sign-in while sessions.db is locked: %d %s (Retry-After %q)", r.Status, r.Body, r.Header.Get("Retry-After"))
	}
	// The sign-in page answers as the API does.
	form := url.Values{"username": {"admin"}, "password": {testAdminPassword}, "next": {"/"}}
	page := showing(t, api.pagesAs(t, "").post("/sign-in", form), http.StatusServiceUnavailable, "unavailable")
	if strings.Contains(page, "username or password") {
		t.Errorf("the page blames the username or password:\n%s", page)
	}
	if logs := api.Logs.String(); !strings.Contains(logs, "SQLITE_BUSY") {
		t.Errorf("the log does not carry SQLite's error:\n%s", logs)
	}
	if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	want(t, api.do(t, http.MethodPost, "/v1/sessions", "", signIn), http.StatusCreated)
	if r := api.pagesAs(t, "").post("/sign-in", form); r.Status != http.StatusSeeOther {
		t.Fatalf("the web sign-in once the lock is gone: %d\n%s", r.Status, r.Body)
	}
}
