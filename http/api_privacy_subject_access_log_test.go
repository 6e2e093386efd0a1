package http

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

// TestSubjectAccessExportHoldsTheAccessLog_PRIV6: everything held about a
// client includes their access log, so the subject access export carries
// it (R-PRIV-6): who read their data, when, by which route, under which
// grant and with which reason, the reasons opened with the client's key.
// It is the log as recorded before the export, exactly as GET
// /v1/clients/{id}/access-log shows it then; the export's own reads are
// recorded as it is made and appear in the next export. The printable page
// shows it too. The reason given never reaches the logs (R-PRIV-7). After
// erasure every entry shows as erased, its reason null (R-PRIV-3).
func TestSubjectAccessExportHoldsTheAccessLog_PRIV6(t *testing.T) {
	n := newLockNet(t, withWebPages())
	c := "/v1/clients/" + n.Client
	// Reads of the case before it is locked: the receiving adviser's,
	// written after its answer in a batch, and an auditor's.
	want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil), http.StatusOK)
	want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral+"/history", n.Auditor.Token, nil), http.StatusOK)
	n.lock(t, n.Client, nil)
	// A read of the locked case by the person it is locked to.
	want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil), http.StatusOK)

	const reason = "SAR-2026-41"
	accessLog := func(tb testing.TB) []map[string]any {
		tb.Helper()
		r := want(tb, n.do(tb, http.MethodGet, c+"/access-log?limit=200", n.Admin.Token, nil), http.StatusOK)
		var body struct {
			Entries []map[string]any `json:"entries"`
			Next    *string          `json:"next"`
		}
		decodeInto(tb, r, &body)
		if body.Next != nil {
			tb.Fatalf("the access log does not fit one page: %s", r.Body)
		}
		return body.Entries
	}
	type export struct {
		ExportID  string           `json:"export_id"`
		AccessLog []map[string]any `json:"access_log"`
	}
	exportNow := func(tb testing.TB) export {
		tb.Helper()
		r := want(tb, n.do(tb, http.MethodGet, c+"/subject-access?reason="+url.QueryEscape(reason), n.Admin.Token, nil), http.StatusOK)
		var x export
		decodeInto(tb, r, &x)
		return x
	}
	bySubjectAccess := func(entries []map[string]any) []map[string]any {
		var out []map[string]any
		for _, e := range entries {
			if e["grant"] == "subject_access" {
				out = append(out, e)
			}
		}
		return out
	}

	before := accessLog(t)
	if len(before) < 3 {
		t.Fatalf("the access log holds %d reads, want the 3 made", len(before))
	}
	first := exportNow(t)
	if !reflect.DeepEqual(first.AccessLog, before) {
		t.Fatalf("the export's access log is not the log as recorded before it:\nexport: %v\nlog:    %v", first.AccessLog, before)
	}
	var locked, auditor bool
	for _, e := range first.AccessLog {
		locked = locked || e["locked"] == true && e["grant"] == "responsible" && e["user_id"] == n.AdviserB.ID
		auditor = auditor || e["grant"] == "auditor" && e["user_id"] == n.Auditor.ID
	}
	if !locked || !auditor {
		t.Errorf("the export lacks the responsible person's locked read (%v) or the auditor's read (%v): %v", locked, auditor, first.AccessLog)
	}
	if got := bySubjectAccess(first.AccessLog); len(got) != 0 {
		t.Errorf("the first export holds its own reads: %v", got)
	}

	// The first export's reads, recorded as it was made, are in the next
	// one, their reason decrypted.
	after := accessLog(t)
	own := bySubjectAccess(after)
	if len(own) == 0 {
		t.Fatalf("the export's reads were not recorded: %v", after)
	}
	second := exportNow(t)
	if !reflect.DeepEqual(second.AccessLog, after) {
		t.Fatalf("the second export's access log is not the log as recorded before it:\nexport: %v\nlog:    %v", second.AccessLog, after)
	}
	for _, e := range bySubjectAccess(second.AccessLog) {
		if e["reason"] != reason || e["locked"] != true || e["user_id"] != n.Admin.ID || e["erased"] != false {
			t.Errorf("the first export's read, in the second: %v", e)
		}
	}

	// The printable page shows the same log, in words.
	showing(t, n.pagesAs(t, n.Admin.Token).post("/clients/"+n.Client+"/subject-access", url.Values{"sar-reason": {reason}}),
		http.StatusOK, "Who has read the client's details", "Exported everything held about the client",
		"The coordinator answering a subject access request (the case was locked)",
		"The person the case is locked to", "An auditor (the case was not locked)", "Reason: "+reason)

	if strings.Contains(n.Logs.String(), reason) {
		t.Errorf("the reason given for the export is in the logs")
	}

	n.eraseAs(t, n.AdviserB.Token, n.Client, "The client asked to be forgotten.")
	before = accessLog(t)
	erased := exportNow(t)
	if !reflect.DeepEqual(erased.AccessLog, before) {
		t.Fatalf("after erasure, the export's access log is not the log as recorded before it:\nexport: %v\nlog:    %v", erased.AccessLog, before)
	}
	if len(erased.AccessLog) <= len(after) {
		t.Fatalf("after erasure the export holds %d reads, want more than the %d before", len(erased.AccessLog), len(after))
	}
	for _, e := range erased.AccessLog {
		if e["erased"] != true || e["reason"] != nil {
			t.Errorf("after erasure, entry %v; want reason null and erased true", e)
		}
	}
}
