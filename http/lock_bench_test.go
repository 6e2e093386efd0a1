package http

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
)

// BenchmarkHiddenLockAnswerTime measures, for one caller kept out of a
// hidden lock (an org lead of an involved organisation), the answer time
// of each route on the real locked client (or its pending unlock request)
// beside an id that does not exist (R-LOCK-12: the timing of answers tells
// as little as practical), on a client stream of some length. It reports
// both times and their ratio (locked/unknown), which should stay under 2.
func BenchmarkHiddenLockAnswerTime(b *testing.B) {
	n := newLockNet(b)
	n.lock(b, n.Client, map[string]any{"hide_notification": true, "serious_case_review": true})
	for i := 0; i < 20; i++ { // a lived-in stream: reviews and messages
		want(b, n.do(b, http.MethodPost, "/v1/clients/"+n.Client+"/lock-reviews", n.TeamManager.Token,
			map[string]any{"keep_locked": true, "notes": "still needed"}), http.StatusCreated)
	}
	unlock := want(b, n.do(b, http.MethodPost, "/v1/clients/"+n.Client+"/unlock-requests", n.TeamManager.Token,
		map[string]any{"reason": "over"}), http.StatusCreated).str("id")
	unknown := uuid.NewString()
	onClient := func(method, suffix string, body any) func(client string) (string, string, any) {
		return func(client string) (string, string, any) { return method, "/v1/clients/" + client + suffix, body }
	}
	for _, route := range []struct {
		name    string
		status  int
		request func(id string) (method, path string, body any)
		real    string
	}{
		{"temporary-access", http.StatusNotFound, onClient(http.MethodPost, "/temporary-access",
			map[string]any{"user_id": n.LeadB.ID, "reason": "r", "hours": 2}), n.Client},
		{"access-log", http.StatusNotFound, onClient(http.MethodGet, "/access-log", nil), n.Client},
		{"messages", http.StatusNotFound, onClient(http.MethodGet, "/messages", nil), n.Client},
		{"unlock-requests", http.StatusNotFound, onClient(http.MethodPost, "/unlock-requests", map[string]any{"reason": "lift"}), n.Client},
		{"decision", http.StatusNotFound, func(id string) (string, string, any) {
			return http.MethodPost, "/v1/lock-requests/" + id + "/decision", map[string]any{"approve": true}
		}, unlock},
		{"lock-request", http.StatusNotFound, func(id string) (string, string, any) {
			return http.MethodGet, "/v1/lock-requests/" + id, nil
		}, unlock},
		{"new-referral", http.StatusUnprocessableEntity, func(id string) (string, string, any) {
			body := validReferral(n.OrgC, "")
			body["client"] = map[string]any{"client_id": id}
			return http.MethodPost, "/v1/referrals", body
		}, n.Client},
	} {
		b.Run(route.name, func(b *testing.B) {
			var real, none time.Duration
			for i := 0; i < b.N; i++ {
				for j, id := range []string{route.real, unknown} {
					if i%2 == 1 {
						id = []string{unknown, route.real}[j]
					}
					method, path, body := route.request(id)
					start := time.Now()
					r := n.do(b, method, path, n.LeadB.Token, body)
					took := time.Since(start)
					if r.Status != route.status {
						b.Fatalf("%s: %d %s", path, r.Status, r.Body)
					}
					if id == unknown {
						none += took
					} else {
						real += took
					}
				}
			}
			b.ReportMetric(float64(real.Nanoseconds())/float64(b.N), "ns/locked")
			b.ReportMetric(float64(none.Nanoseconds())/float64(b.N), "ns/unknown")
			b.ReportMetric(float64(real)/float64(none), "locked/unknown")
		})
	}
}
