package http

import "testing"

// BenchmarkIssue14DecodeMakeReferral measures the strict decoding of a
// make-referral body, as every POST /v1/referrals runs it; cpu-ns/op is
// the process's CPU per decode, steadier than ns/op on a shared machine.
func BenchmarkIssue14DecodeMakeReferral(b *testing.B) {
	body := []byte(`{"to_organisation_id":"0192f0c8-7c1e-7a3b-9c1d-2f3e4a5b6c7d","client":{"name":"Bench Client"},"reason":"bench",` +
		`"consent":{"method":"verbal","confirmed":true},"privacy_notice_given":true}`)
	b.ReportAllocs()
	cpu := processCPU()
	for b.Loop() {
		var req referralRequest
		if err := decodeJSONBytes(body, &req); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(processCPU()-cpu)/float64(b.N), "cpu-ns/op")
}
