package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/internal/fulldisk"
	"github.com/referral-ledger/ledger/notify"
	"github.com/referral-ledger/ledger/notify/notifytest"
)

// TestNoticesResumeAfterTheDiskIsFreed: R-OPS-4, end to end. The email
// notifier's database sits on a small filesystem that fills up while the
// API keeps taking referrals: /readyz answers 503 naming the email
// notices; once space is freed, every notice for the referrals made
// meanwhile is sent, once, and /readyz is ready again, with no restart.
// Skipped when not root (the test mounts a tmpfs).
func TestNoticesResumeAfterTheDiskIsFreed(t *testing.T) {
	disk := fulldisk.Mount(t, "4m")
	dir := t.TempDir()
	// notifications.db (and its WAL, which SQLite keeps beside the real
	// file) lives on the small disk; the rest of the data does not.
	if err := os.Symlink(filepath.Join(disk.Dir, notify.FileName), filepath.Join(dir, notify.FileName)); err != nil {
		t.Fatal(err)
	}
	mail := notifytest.Start(t, notifytest.Options{})
	t.Setenv("LEDGER_SMTP_HOST", mail.Host)
	t.Setenv("LEDGER_SMTP_PORT", strconv.Itoa(mail.Port))
	t.Setenv("LEDGER_SMTP_TLS", "none")
	t.Setenv("LEDGER_SMTP_FROM", "ledger@network.example")
	n := startNode(t, dir)
	admin := n.signIn(t, "admin", adminPassword)
	a := n.must(t, 201, "POST", "/v1/organisations", admin, map[string]any{"name": "Advice Centre", "admin_email": "a@advice.example", "services": []any{}})["id"].(string)
	b := n.must(t, 201, "POST", "/v1/organisations", admin, map[string]any{"name": "Housing Trust", "admin_email": "b@housing.example", "services": []any{}})["id"].(string)
	n.must(t, 201, "POST", "/v1/organisations/"+a+"/users", admin, map[string]any{"username": "ann", "display_name": "Ann",
		"email": "ann@advice.example", "roles": []string{"adviser"}, "password": "Initial#Kestrel42"})
	ann := n.firstSignIn(t, "ann", "Initial#Kestrel42", "Kestrel#Wing42")
	refer := func() {
		n.must(t, 201, "POST", "/v1/referrals", ann, map[string]any{"to_organisation_id": b, "urgent": false,
			"client": map[string]string{"name": "Client Person"}, "reason": "rent arrears",
			"consent": map[string]any{"method": "written", "confirmed": true}, "privacy_notice_given": true})
	}
	refer()
	mail.WaitFor(t, 1)

	disk.Fill(t)
	const during = 20
	for range during {
		refer()
	}
	ready := waitReadyz(t, n, http.StatusServiceUnavailable)
	if failing, _ := ready["failing"].([]any); !slices.Contains(failing, any(workerNotices)) {
		t.Errorf("/readyz does not name the email notices: %v", ready)
	}

	disk.Free(t)
	mail.WaitFor(t, 1+during)
	waitReadyz(t, n, http.StatusOK)
	msgs := mail.Messages()
	seen := map[string]int{}
	for _, m := range msgs {
		seen[m.NoticeID]++
	}
	if len(msgs) != 1+during || len(seen) != 1+during {
		t.Errorf("%d messages, %d distinct notices; want %d of each", len(msgs), len(seen), 1+during)
	}
}

// waitReadyz polls /readyz until it answers status, within a bound.
func waitReadyz(t *testing.T, n *node, status int) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		got, body := n.call(t, "GET", "/readyz", "", nil)
		if got == status {
			return body
		}
		select {
		case <-ctx.Done():
			t.Fatalf("/readyz never answered %d; last %d %v", status, got, body)
		case <-time.After(10 * time.Millisecond):
		}
	}
}
