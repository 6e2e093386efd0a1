package http

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestOpenAPIDescribesTheRouter checks that the published OpenAPI
// document and the real router list the same operations, and that the
// document is served.
func TestOpenAPIDescribesTheRouter(t *testing.T) {
	api := newTestAPI(t)
	if err := checkOpenAPIRoutes(openAPIDocument, api.Server.Routes()); err != nil {
		t.Fatal(err)
	}
	r := want(t, api.do(t, http.MethodGet, "/v1/openapi.json", "", nil), http.StatusOK)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	var doc struct {
		OpenAPI string                     `json:"openapi"`
		Paths   map[string]json.RawMessage `json:"paths"`
	}
	decodeInto(t, r, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.") || len(doc.Paths) == 0 {
		t.Errorf("not an OpenAPI 3 document: openapi %q, %d paths", doc.OpenAPI, len(doc.Paths))
	}
	for _, p := range []string{"/v1/referrals/{id}/history", "/v1/sessions", "/v1/directory"} {
		if _, ok := doc.Paths[p]; !ok {
			t.Errorf("the document lacks %s", p)
		}
	}
}

// TestOperations checks the operational endpoints. Every response the
// harness sees, these included, must carry Cache-Control: no-store (do
// checks it).
func TestOperations(t *testing.T) {
	api := newTestAPI(t)
	r := want(t, api.do(t, http.MethodGet, "/healthz", "", nil), http.StatusOK)
	if r.str("status") != "ok" {
		t.Errorf("/healthz %s", r.Body)
	}
	r = want(t, api.do(t, http.MethodGet, "/readyz", "", nil), http.StatusOK)
	if r.str("status") != "ready" {
		t.Errorf("/readyz %s", r.Body)
	}
	// Some traffic, including errors, for the metrics.
	want(t, api.do(t, http.MethodGet, "/v1/directory", api.Admin.Token, nil), http.StatusOK)
	api.do(t, http.MethodGet, "/v1/directory", "", nil).problem(t, http.StatusUnauthorized)
	api.do(t, http.MethodGet, "/v1/no-such-thing", "", nil).problem(t, http.StatusNotFound)
	api.do(t, http.MethodPut, "/healthz", "", nil).problem(t, http.StatusMethodNotAllowed)

	r = want(t, api.do(t, http.MethodGet, "/metrics", "", nil), http.StatusOK)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("/metrics Content-Type %q", ct)
	}
	metrics := string(r.Body)
	for _, s := range []string{
		"ledger_http_requests_total",
		`ledger_http_requests_total{method="GET",route="/v1/directory",status="200"} 1`,
		`ledger_http_requests_total{method="GET",route="/v1/directory",status="401"} 1`,
		`route="unmatched",status="404"`,
		"ledger_http_request_duration_seconds",
	} {
		if !strings.Contains(metrics, s) {
			t.Errorf("/metrics lacks %s", s)
		}
	}
}

// TestReadyzDegraded_OPS4: a node started without something it should
// have (ledger serve --allow-missing-keys) answers /readyz 200 with status
// "degraded" naming what, so it stays in the load balancer, as the
// operator chose, while monitoring sees it (R-OPS-4).
func TestReadyzDegraded_OPS4(t *testing.T) {
	api := newTestAPI(t)
	api.Server.SetDegraded("missing_client_keys: 3 of the 9 clients")
	r := want(t, api.do(t, http.MethodGet, "/readyz", "", nil), http.StatusOK)
	var body struct {
		Status   string   `json:"status"`
		Degraded []string `json:"degraded"`
	}
	decodeInto(t, r, &body)
	if body.Status != "degraded" || len(body.Degraded) != 1 || !strings.HasPrefix(body.Degraded[0], "missing_client_keys") {
		t.Errorf("/readyz %s", r.Body)
	}
}
