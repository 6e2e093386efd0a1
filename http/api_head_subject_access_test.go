package http

import (
	"net/http"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestHeadOfSubjectAccessRecordsNothing_PRIV6: a HEAD of the subject
// access export, through the API or the web pages, asks whether the
// export would be given and receives none, so it records none: no export
// on the client's stream (whose record tells a locked case's responsible
// person), no read in the access log. It is checked as the GET is, and
// answers the GET's status and Content-Type; the GET that follows still
// exports and records.
func TestHeadOfSubjectAccessRecordsNothing_PRIV6(t *testing.T) {
	n := newLockNet(t, withWebPages())
	api := "/v1/clients/" + n.Client + "/subject-access"
	page := "/clients/" + n.Client + "/subject-access"
	web := []string{"Cookie", "ledger_session=" + n.Admin.Token}

	// headThenGet sends a HEAD, checks that it wrote nothing, then the GET,
	// and compares their answers.
	headThenGet := func(t *testing.T, path, token string, headers []string, status int) {
		t.Helper()
		before := n.head(t)
		exports := n.countEvents(t, domain.ClientSubjectAccessExportedType)
		reads := n.countEvents(t, domain.AccessRecordedType)
		head := n.do(t, http.MethodHead, path, token, nil, headers...)
		if after := n.head(t); after != before {
			t.Errorf("HEAD %s wrote to the ledger: head %d → %d", path, before, after)
		}
		if got := n.countEvents(t, domain.ClientSubjectAccessExportedType); got != exports {
			t.Errorf("HEAD %s recorded %d exports", path, got-exports)
		}
		if got := n.countEvents(t, domain.AccessRecordedType); got != reads {
			t.Errorf("HEAD %s recorded %d reads", path, got-reads)
		}
		if len(head.Body) != 0 {
			t.Errorf("HEAD %s answered a body of %d bytes", path, len(head.Body))
		}
		get := n.do(t, http.MethodGet, path, token, nil, headers...)
		if head.Status != status || get.Status != status {
			t.Errorf("%s: HEAD %d, GET %d, want %d: %s", path, head.Status, get.Status, status, get.Body)
		}
		if a, b := head.Header.Get("Content-Type"), get.Header.Get("Content-Type"); a != b {
			t.Errorf("%s: HEAD is %q, GET %q", path, a, b)
		}
	}

	t.Run("API", func(t *testing.T) { headThenGet(t, api, n.Admin.Token, nil, http.StatusOK) })
	t.Run("Page", func(t *testing.T) { headThenGet(t, page, "", web, http.StatusOK) })
	t.Run("Download", func(t *testing.T) { headThenGet(t, page+".json", "", web, http.StatusOK) })
	t.Run("NotTheCoordinator", func(t *testing.T) { headThenGet(t, api, n.AdviserB.Token, nil, http.StatusForbidden) })

	n.lock(t, n.Client, nil)
	t.Run("LockedWithoutReason", func(t *testing.T) { headThenGet(t, api, n.Admin.Token, nil, http.StatusUnprocessableEntity) })
	t.Run("LockedWithReason", func(t *testing.T) { headThenGet(t, api+"?reason=SAR-2026-19", n.Admin.Token, nil, http.StatusOK) })
	t.Run("LockedPageWithoutReason", func(t *testing.T) { headThenGet(t, page, "", web, http.StatusOK) })

	// The GETs exported and recorded, the measure above sees a record.
	if got := n.countEvents(t, domain.ClientSubjectAccessExportedType); got != 4 {
		t.Errorf("%d exports recorded by the GETs, want 4 (API, page, download, locked with a reason)", got)
	}
}
