package metrics_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/referral-ledger/ledger/metrics"
	"github.com/referral-ledger/ledger/metrics/metricstest"
	"github.com/referral-ledger/ledger/version"
)

// scrape registers the metrics with src on a new registry and returns the
// exposition /metrics would serve.
func scrape(t *testing.T, src metrics.Sources) string {
	t.Helper()
	reg := prometheus.NewRegistry()
	if err := metrics.Register(reg, src); err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}).
		ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	return rec.Body.String()
}

// TestHooksMove: every recording function moves its metric (issue 16
// point 6).
func TestHooksMove(t *testing.T) {
	for _, tc := range []struct {
		name   string
		metric string
		labels []string
		record func()
	}{
		{"AppendBatchSize", "ledger_eventstore_append_batch_size", nil, func() { metrics.AppendBatch(3, time.Millisecond) }},
		{"AppendBatchDuration", "ledger_eventstore_append_batch_duration_seconds", nil, func() { metrics.AppendBatch(1, time.Millisecond) }},
		{"Commit", "ledger_eventstore_commit_duration_seconds", nil, func() { metrics.Commit(time.Millisecond) }},
		{"NoticeSent", "ledger_notices_sent_total", nil, metrics.NoticeSent},
		{"NoticeAttemptFailed", "ledger_notice_attempts_failed_total", nil, metrics.NoticeAttemptFailed},
		{"NoticeGaveUp", "ledger_notices_failed_total", nil, metrics.NoticeGaveUp},
		{"Erasure", "ledger_erasures_total", nil, metrics.ErasureCarriedOut},
		{"SignInThrottled", "ledger_sign_ins_throttled_total", nil, metrics.SignInThrottled},
		{"EventStoreReconnect", "ledger_store_reconnects_total", []string{"store", "eventstore"}, func() { metrics.Reconnected(metrics.EventStore) }},
		{"KeyStoreReconnect", "ledger_store_reconnects_total", []string{"store", "keystore"}, func() { metrics.Reconnected(metrics.KeyStore) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := metricstest.Value(t, tc.metric, tc.labels...)
			tc.record()
			if after := metricstest.Value(t, tc.metric, tc.labels...); after != before+1 {
				t.Fatalf("%s went from %v to %v, want one more", tc.metric, before, after)
			}
		})
	}
}

// TestCheckpointSigned: the setter the checkpoint signer calls sets the
// time of the last signature, from which alerts compute its age.
func TestCheckpointSigned(t *testing.T) {
	at := time.Date(2026, 12, 6, 5, 0, 0, 500_000_000, time.UTC)
	metrics.CheckpointSigned(at)
	if got, want := metricstest.Value(t, "ledger_checkpoint_last_signed_timestamp_seconds"), float64(at.Unix())+0.5; got != want {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestSources: the gauges read from the node at scrape time: each view's
// lag behind the head (never negative), argon2 hashes in flight, notices
// by status, and the build's version (issue 16 point 6).
func TestSources(t *testing.T) {
	body := scrape(t, metrics.Sources{
		Head: func(context.Context) (uint64, error) { return 120, nil },
		Views: map[string]func() uint64{
			"read_models":   func() uint64 { return 100 },
			"notifications": func() uint64 { return 130 }, // read the head after this scrape's
		},
		PasswordHashesInFlight: func() int { return 2 },
		Notices: func(context.Context) (map[string]int, error) {
			return map[string]int{"pending": 4, "failed": 1}, nil
		},
	})
	for _, want := range []string{
		`ledger_projection_lag_positions{view="read_models"} 20`,
		`ledger_projection_lag_positions{view="notifications"} 0`,
		`ledger_password_hashes_in_flight 2`,
		`ledger_notices{status="pending"} 4`,
		`ledger_notices{status="failed"} 1`,
		`ledger_notices{status="sent"} 0`,
		`ledger_build_info{goversion="` + version.Get().GoVersion + `",revision="` + version.Get().Revision + `",version="` + version.Get().Version + `"} 1`,
		`ledger_store_reconnects_total{store="keystore"}`,
		`# HELP ledger_eventstore_commit_duration_seconds`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("exposition lacks %s:\n%s", want, body)
		}
	}
}

// TestSourceFailureKeepsTheRest: a store that cannot answer a scrape
// leaves its gauge out but the rest is still served.
func TestSourceFailureKeepsTheRest(t *testing.T) {
	fail := func(context.Context) (uint64, error) { return 0, errors.New("unreachable") }
	body := scrape(t, metrics.Sources{Head: fail, Views: map[string]func() uint64{"read_models": func() uint64 { return 1 }},
		Notices: func(context.Context) (map[string]int, error) { return nil, errors.New("unreachable") }})
	if strings.Contains(body, "ledger_projection_lag_positions{") || strings.Contains(body, "ledger_notices{") {
		t.Errorf("a failed reading was reported:\n%s", body)
	}
	if !strings.Contains(body, "ledger_build_info{") {
		t.Errorf("the rest is missing:\n%s", body)
	}
}

// TestRegisterTwice: one registry refuses the same metrics twice, while
// several registries (one per node) may each carry them.
func TestRegisterTwice(t *testing.T) {
	reg := prometheus.NewRegistry()
	if err := metrics.Register(reg, metrics.Sources{}); err != nil {
		t.Fatal(err)
	}
	if err := metrics.Register(reg, metrics.Sources{}); err == nil {
		t.Fatal("registered twice on one registry")
	}
	if err := metrics.Register(prometheus.NewRegistry(), metrics.Sources{}); err != nil {
		t.Fatal(err)
	}
}
