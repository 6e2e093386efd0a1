package main

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/metrics/metricstest"
	"github.com/referral-ledger/ledger/version"
)

// TestMetricsMove runs the binary and checks that what an operator watches
// moves when it happens: appends, a throttled sign-in, an erasure carried
// out; and that /metrics serves the projections' lag, the password hashes
// in flight and the build's version (issue 16 point 6). The collectors are
// process-wide, so the counters are compared before and after.
func TestMetricsMove(t *testing.T) {
	n := startNode(t, t.TempDir())
	counters := []string{"ledger_eventstore_append_batch_size", "ledger_sign_ins_throttled_total", "ledger_erasures_total"}
	before := map[string]float64{}
	for _, name := range counters {
		before[name] = metricstest.Value(t, name)
	}

	id := lifecycle(t, n)
	admin, ann := n.signIn(t, "admin", adminPassword), n.signIn(t, "ann", "Kestrel#Wing42")
	client := n.must(t, 200, "GET", "/v1/referrals/"+id, admin, nil)["client_id"].(string)
	req := n.must(t, 201, "POST", "/v1/clients/"+client+"/erasure-requests", ann, map[string]any{"reason": "asked in person"})["id"].(string)
	n.must(t, 200, "POST", "/v1/erasure-requests/"+req+"/decision", admin, map[string]any{"carry_out": true})
	throttled := false
	for range 20 {
		status, _ := n.call(t, "POST", "/v1/sessions", "", map[string]string{"username": "ben", "password": "not the password"})
		if status == http.StatusTooManyRequests {
			throttled = true
			break
		}
	}
	if !throttled {
		t.Fatal("20 wrong passwords were never throttled")
	}

	for _, name := range counters {
		if after := metricstest.Value(t, name); after <= before[name] {
			t.Errorf("%s did not move: %v before, %v after", name, before[name], after)
		}
	}
	res, err := http.Get(n.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	for _, want := range []string{
		`ledger_projection_lag_positions{view="read_models"}`,
		`ledger_password_hashes_in_flight 0`,
		`ledger_build_info{goversion="` + version.Get().GoVersion + `",revision="` + version.Get().Revision + `",version="` + version.Get().Version + `"} 1`,
		`ledger_erasures_total`,
		`ledger_sign_ins_throttled_total`,
		`ledger_eventstore_commit_duration_seconds_count`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, secret := range []string{"Client Person", "rent arrears", client, id} {
		if strings.Contains(string(body), secret) {
			t.Errorf("/metrics shows %q", secret)
		}
	}
}
