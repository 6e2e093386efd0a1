package http

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
)

func TestMetrics(t *testing.T) {
	r, _, reg := testEngine(t)
	r.GET("/v1/referrals/:id", func(c *gin.Context) { c.Status(http.StatusOK) })
	id := uuid.NewString()
	sendRequest(t, r, http.MethodGet, "/v1/referrals/"+id+"?name=Jane", "")
	sendRequest(t, r, http.MethodGet, "/v1/referrals/"+id, "")
	sendRequest(t, r, http.MethodGet, "/no/such/"+id, "")
	sendRequest(t, r, "BREW", "/v1/referrals/"+id, "")

	tests := []struct {
		name                  string
		method, route, status string
		want                  float64
	}{
		{"RouteTemplate", "GET", "/v1/referrals/:id", "200", 2},
		{"Unmatched", "GET", "unmatched", "404", 1},
		{"UnknownMethod", "other", "unmatched", "405", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := requestCount(t, reg, tt.method, tt.route, tt.status); got != tt.want {
				t.Errorf("count = %v, want %v", got, tt.want)
			}
		})
	}

	t.Run("NoClientDataInLabels", func(t *testing.T) {
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range families {
			for _, metric := range f.GetMetric() {
				for _, l := range metric.GetLabel() {
					if strings.Contains(l.GetValue(), id) || strings.Contains(l.GetValue(), "Jane") || l.GetValue() == "BREW" {
						t.Errorf("label %s=%q", l.GetName(), l.GetValue())
					}
				}
			}
		}
	})
}

func TestMetricsHandler(t *testing.T) {
	gin.SetMode(gin.TestMode)
	reg := prometheus.NewRegistry()
	m, err := newMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	r.Use(m.middleware())
	r.GET("/metrics", m.handler())
	sendRequest(t, r, http.MethodGet, "/metrics", "")
	rec := sendRequest(t, r, http.MethodGet, "/metrics", "")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d", rec.Code)
	}
	for _, want := range []string{
		`ledger_http_requests_total{method="GET",route="/metrics",status="200"} 1`,
		`ledger_http_request_duration_seconds_bucket{method="GET",route="/metrics"`,
	} {
		if !strings.Contains(rec.Body.String(), want) {
			t.Errorf("exposition lacks %s:\n%s", want, rec.Body)
		}
	}
}

func TestNewMetricsTwiceOnOneRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := newMetrics(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := newMetrics(reg); err == nil {
		t.Fatal("registered the same collectors twice")
	}
}

// requestCount reads the request counter's child with these labels.
func requestCount(tb testing.TB, reg *prometheus.Registry, method, route, status string) float64 {
	tb.Helper()
	families, err := reg.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "ledger_http_requests_total" {
			continue
		}
		for _, metric := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range metric.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["method"] == method && labels["route"] == route && labels["status"] == status {
				return metric.GetCounter().GetValue()
			}
		}
	}
	return 0
}
