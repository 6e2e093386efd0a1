package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/config"
)

// BenchmarkWebPages measures the server time of two pages on a real node:
// Incoming for an organisation with 1,000 open referrals (first page,
// with its overdue and urgent counts), and the page of a referral with 50
// notes (decrypted, with its history, its read recorded in the access
// log). It reports p50 and p99 per page: the aim is a p99 under 20 ms.
func BenchmarkWebPages(b *testing.B) {
	cfg := config.Default()
	cfg.DataDir = b.TempDir()
	cfg.BootstrapPassword = adminPassword
	a, err := openApp(cfg, zerolog.Nop())
	if err != nil {
		b.Fatal(err)
	}
	defer a.close()
	go func() { _ = a.runner.Run(b.Context()) }()
	if _, _, err := a.accounts.Bootstrap(b.Context(), adminPassword, ""); err != nil {
		b.Fatal(err)
	}
	handler := a.server.Handler()
	srv := httptest.NewServer(handler)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	post := func(url, token string, body string) []byte {
		req, _ := http.NewRequest("POST", srv.URL+url, bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer res.Body.Close()
		out, _ := io.ReadAll(res.Body)
		if res.StatusCode >= 300 {
			b.Fatalf("POST %s = %d: %s", url, res.StatusCode, out)
		}
		return out
	}
	admin := signInB(b, client, srv.URL, "admin", adminPassword)
	org := func(name string) string {
		var o struct{ ID string }
		_ = json.Unmarshal(post("/v1/organisations", admin, `{"name":"`+name+`","admin_email":"x@example.org"}`), &o)
		return o.ID
	}
	from, to := org("From"), org("To")
	post("/v1/organisations/"+from+"/users", admin, `{"username":"referrer","display_name":"R","email":"r@example.org","roles":["adviser"],"password":"Initial#Kestrel42"}`)
	post("/v1/organisations/"+to+"/users", admin, `{"username":"receiver","display_name":"S","email":"s@example.org","roles":["adviser"],"password":"Initial#Osprey77"}`)
	referrer := firstSignInB(b, client, srv.URL, "referrer", "Initial#Kestrel42", "Kestrel#Wing42")
	receiver := firstSignInB(b, client, srv.URL, "receiver", "Initial#Osprey77", "Osprey#Dive77")
	makeBody := fmt.Sprintf(`{"to_organisation_id":%q,"urgent":%%t,"client":{"name":"Bench Client"},"reason":"bench","consent":{"method":"verbal","confirmed":true},"privacy_notice_given":true}`, to)
	var wg sync.WaitGroup
	var first string
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < 1000; i += 8 {
				out := post("/v1/referrals", referrer, fmt.Sprintf(makeBody, i%10 == 0))
				if i == 0 {
					var r struct{ ID string }
					_ = json.Unmarshal(out, &r)
					first = r.ID
				}
			}
		})
	}
	wg.Wait()
	for range 50 {
		post("/v1/referrals/"+first+"/notes", receiver, `{"text":"Called the client; left a message."}`)
	}

	for _, page := range []struct{ name, path string }{
		{"incoming-1000-open", "/incoming"},
		{"referral-50-notes", "/referrals/" + first},
	} {
		b.Run(page.name, func(b *testing.B) {
			times := make([]time.Duration, 0, b.N)
			for b.Loop() {
				req := httptest.NewRequest("GET", page.path, nil)
				req.AddCookie(&http.Cookie{Name: "ledger_session", Value: receiver})
				rec := httptest.NewRecorder()
				start := time.Now()
				handler.ServeHTTP(rec, req)
				times = append(times, time.Since(start))
				if rec.Code != http.StatusOK {
					b.Fatalf("GET %s = %d", page.path, rec.Code)
				}
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(times[len(times)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
