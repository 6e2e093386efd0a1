package http

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// accessLogEntries reads a client's access log as the auditor.
func (n *lockNet) accessLogEntries(tb testing.TB, client string) []accessLogEntry {
	tb.Helper()
	var body struct {
		Entries []accessLogEntry `json:"entries"`
	}
	decodeInto(tb, want(tb, n.do(tb, http.MethodGet, "/v1/clients/"+client+"/access-log", n.Auditor.Token, nil), http.StatusOK), &body)
	return body.Entries
}

type accessLogEntry struct {
	UserID   string  `json:"user_id"`
	Endpoint string  `json:"endpoint"`
	Grant    string  `json:"grant"`
	Locked   bool    `json:"locked"`
	Reason   *string `json:"reason"`
}

// TestSubjectAccessOnLockedCase_PRIV6_LOCK9 (R-PRIV-6, R-LOCK-9): on a
// locked case the coordinator's subject access export needs a reason
// (422 naming reason without one, and nothing is exported or recorded);
// with one, each read is logged as a locked read with the reason. On a
// case that is not locked no reason is needed.
func TestSubjectAccessOnLockedCase_PRIV6_LOCK9(t *testing.T) {
	n := newLockNet(t)
	path := "/v1/clients/" + n.Client + "/subject-access"
	want(t, n.do(t, http.MethodGet, path, n.Admin.Token, nil), http.StatusOK)
	n.lock(t, n.Client, map[string]any{"hide_notification": true})
	exports := n.countEvents(t, domain.ClientSubjectAccessExportedType)
	before := len(n.accessLogEntries(t, n.Client))
	for _, p := range []string{path, path + "?reason=", path + "?reason=%20%20"} {
		n.do(t, http.MethodGet, p, n.Admin.Token, nil).invalid(t, "reason")
	}
	if got := n.countEvents(t, domain.ClientSubjectAccessExportedType); got != exports {
		t.Fatalf("a refused export was recorded: %d exports, was %d", got, exports)
	}
	if got := len(n.accessLogEntries(t, n.Client)); got != before {
		t.Fatalf("a refused export was logged as a read: %d entries, was %d", got, before)
	}
	const reason = "subject access request received by post, ref SAR-12"
	want(t, n.do(t, http.MethodGet, path+"?reason="+url.QueryEscape(reason), n.Admin.Token, nil), http.StatusOK)
	entries := n.accessLogEntries(t, n.Client)
	var sawUnlocked, sawLocked bool
	for _, e := range entries {
		if e.Endpoint != "GET /v1/clients/:id/subject-access" || e.Grant != "subject_access" || e.UserID != n.Admin.ID {
			continue
		}
		switch {
		case !e.Locked && e.Reason == nil:
			sawUnlocked = true
		case e.Locked && e.Reason != nil && *e.Reason == reason:
			sawLocked = true
		default:
			t.Fatalf("subject access entry: %+v", e)
		}
	}
	if !sawUnlocked || !sawLocked {
		t.Fatalf("access log lacks the exports (unlocked %v, locked with reason %v): %+v", sawUnlocked, sawLocked, entries)
	}
}

// TestLockedReadsLogged_LOCK9 (R-LOCK-9): every read of client data made
// while a lock is in force — the referral, its history, the messages, a
// subject access export — is logged locked: true; reads before the lock
// and after it is lifted are logged locked: false.
func TestLockedReadsLogged_LOCK9(t *testing.T) {
	n := newLockNet(t)
	reads := func(tb testing.TB, locked bool) {
		tb.Helper()
		want(tb, n.do(tb, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserB.Token, nil), http.StatusOK)
		want(tb, n.do(tb, http.MethodGet, "/v1/referrals/"+n.Referral+"/history", n.AdviserB.Token, nil), http.StatusOK)
		want(tb, n.do(tb, http.MethodGet, "/v1/clients/"+n.Client+"/messages", n.AdviserB.Token, nil), http.StatusOK)
		want(tb, n.do(tb, http.MethodGet, "/v1/clients/"+n.Client+"/subject-access?reason=sar", n.Admin.Token, nil), http.StatusOK)
		entries := n.accessLogEntries(tb, n.Client)
		if len(entries) < 4 {
			tb.Fatalf("access log: %d entries", len(entries))
		}
		endpoints := map[string]bool{}
		for _, e := range entries[len(entries)-4:] {
			endpoints[e.Endpoint] = true
			if e.Locked != locked {
				tb.Fatalf("read logged locked: %v while the lock in force is %v: %+v", e.Locked, locked, e)
			}
		}
		if len(endpoints) != 4 {
			tb.Fatalf("the last four reads are not one of each: %v", endpoints)
		}
	}
	reads(t, false)
	n.lock(t, n.Client, nil)
	reads(t, true)
	unlock := want(t, n.do(t, http.MethodPost, "/v1/clients/"+n.Client+"/unlock-requests", n.TeamManager.Token,
		map[string]any{"reason": "no longer needed"}), http.StatusCreated).str("id")
	want(t, n.do(t, http.MethodPost, "/v1/lock-requests/"+unlock+"/decision", n.ServiceManager.Token,
		map[string]any{"approve": true, "reason": "agreed"}), http.StatusOK)
	reads(t, false)
}
