package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/config"
)

// BenchmarkHTTP measures referral-lifecycle requests per second through the
// real router on a real SQLite ledger, beside a bare Gin handler that
// returns 204 measured the same way in the same run: the ratio is the cost
// of the ledger over the HTTP stack itself.
func BenchmarkHTTP(b *testing.B) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	post := func(b *testing.B, url, token string, body []byte) []byte {
		req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
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

	b.Run("gin-204-baseline", func(b *testing.B) {
		gin.SetMode(gin.ReleaseMode)
		r := gin.New()
		r.POST("/x", func(c *gin.Context) { c.Status(http.StatusNoContent) })
		srv := httptest.NewServer(r)
		defer srv.Close()
		body := []byte(`{"outcome":"positive","comment":"ok"}`)
		b.SetParallelism(8) // 16 concurrent clients on 2 cores: group commit shares fsyncs
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				post(b, srv.URL+"/x", "", body)
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})

	b.Run("referral-lifecycle", func(b *testing.B) {
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
		srv := httptest.NewServer(a.server.Handler())
		defer srv.Close()
		n := &node{base: srv.URL}
		admin := signInB(b, client, n.base, "admin", adminPassword)
		org := func(name string) string {
			var o struct{ ID string }
			_ = json.Unmarshal(post(b, n.base+"/v1/organisations", admin, []byte(`{"name":"`+name+`","admin_email":"x@example.org"}`)), &o)
			return o.ID
		}
		from, to := org("From"), org("To")
		post(b, n.base+"/v1/organisations/"+from+"/users", admin, []byte(`{"username":"referrer","display_name":"R","email":"r@example.org","roles":["adviser"],"password":"Initial#Kestrel42"}`))
		post(b, n.base+"/v1/organisations/"+to+"/users", admin, []byte(`{"username":"receiver","display_name":"S","email":"s@example.org","roles":["adviser"],"password":"Initial#Osprey77"}`))
		referrer := firstSignInB(b, client, n.base, "referrer", "Initial#Kestrel42", "Kestrel#Wing42")
		receiver := firstSignInB(b, client, n.base, "receiver", "Initial#Osprey77", "Osprey#Dive77")
		makeBody := []byte(fmt.Sprintf(`{"to_organisation_id":%q,"client":{"name":"Bench Client"},"reason":"bench","consent":{"method":"verbal","confirmed":true},"privacy_notice_given":true}`, to))
		b.SetParallelism(8) // 16 concurrent clients on 2 cores: group commit shares fsyncs
		b.ResetTimer()
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				var r struct{ ID string }
				_ = json.Unmarshal(post(b, n.base+"/v1/referrals", referrer, makeBody), &r)
				post(b, n.base+"/v1/referrals/"+r.ID+"/acknowledgement", receiver, []byte(`{}`))
				post(b, n.base+"/v1/referrals/"+r.ID+"/notes", receiver, []byte(`{"text":"called"}`))
				post(b, n.base+"/v1/referrals/"+r.ID+"/closure", receiver, []byte(`{"outcome":"positive","comment":"done"}`))
			}
		})
		b.ReportMetric(float64(4*b.N)/time.Since(start).Seconds(), "req/s")
	})
}

// firstSignInB signs in with the password the coordinator set, changes it
// to own as it must before anything else (R-AUTH-6), and signs in again.
func firstSignInB(b *testing.B, client *http.Client, base, user, initial, own string) string {
	b.Helper()
	token := signInB(b, client, base, user, initial)
	body, _ := json.Marshal(map[string]string{"current_password": initial, "new_password": own})
	req, err := http.NewRequest(http.MethodPut, base+"/v1/users/me/password", bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		b.Fatalf("password change for %s: %d", user, res.StatusCode)
	}
	return signInB(b, client, base, user, own)
}

func signInB(b *testing.B, client *http.Client, base, user, password string) string {
	b.Helper()
	res, err := client.Post(base+"/v1/sessions", "application/json", bytes.NewReader([]byte(fmt.Sprintf(`{"username":%q,"password":%q}`, user, password))))
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var out struct{ Token string }
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || out.Token == "" {
		b.Fatalf("sign in %s: %d %v", user, res.StatusCode, err)
	}
	return out.Token
}
