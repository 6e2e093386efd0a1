package main

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	ledgernode "github.com/referral-ledger/ledger/node"
	"github.com/referral-ledger/ledger/notify/notifytest"
)

// noticesSending reads ledger_notices_sending from the node's /metrics.
func (n *node) noticesSending(t *testing.T) float64 {
	t.Helper()
	res, err := http.Get(n.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	lines := bufio.NewScanner(res.Body)
	for lines.Scan() {
		if v, ok := strings.CutPrefix(lines.Text(), "ledger_notices_sending "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	t.Fatalf("%s/metrics has no ledger_notices_sending", n.base)
	return 0
}

// TestSeveralNodesSendEachNoticeOnce_OPS2_NOTE1 runs two `ledger serve`
// nodes on one event store (the KurrentDB protocol test double) and one
// PostgreSQL, both with notify.enabled left at its default, on. Each
// notice of a referral's life reaches the mail server once, not once per
// node; /metrics says which node sends; and once that node stops, the
// other sends the next notice, without sending again those the first
// sent.
func TestSeveralNodesSendEachNoticeOnce_OPS2_NOTE1(t *testing.T) {
	mail := notifytest.Start(t, notifytest.Options{})
	withNodeOptions(t, ledgernode.WithNoticesTurnRetry(50*time.Millisecond))
	sharedStores(t, 11, "LEDGER_SMTP_HOST", mail.Host, "LEDGER_SMTP_PORT", strconv.Itoa(mail.Port),
		"LEDGER_SMTP_TLS", "none", "LEDGER_SMTP_FROM", "ledger@network.example",
		"LEDGER_HTTP_PUBLIC_URL", "https://referrals.example.org")
	one := startNode(t, t.TempDir())
	two := startNode(t, t.TempDir())

	id := lifecycle(t, one)
	// The new referral to the receiver, its acknowledgement and its
	// closure to the adviser.
	first := mail.WaitFor(t, 3)
	sender, other := one, two
	switch s1, s2 := one.noticesSending(t), two.noticesSending(t); {
	case s1 == 1 && s2 == 0:
	case s1 == 0 && s2 == 1:
		sender, other = two, one
	default:
		t.Fatalf("ledger_notices_sending is %v on node 1 and %v on node 2, want 1 on one of them", s1, s2)
	}

	if err := sender.stop(); err != nil {
		t.Fatalf("the sending node stopped with %v", err)
	}
	ann := other.signIn(t, "ann", "Kestrel#Wing42")
	to := other.must(t, 200, "GET", "/v1/referrals/"+id, ann, nil)["to_organisation_id"].(string)
	other.must(t, 201, "POST", "/v1/referrals", ann, map[string]any{"to_organisation_id": to, "urgent": true,
		"client": map[string]string{"name": "Second Client"}, "reason": "eviction notice",
		"consent": map[string]any{"method": "written", "confirmed": true}, "privacy_notice_given": true})
	seen := map[string]bool{}
	for _, m := range first {
		seen[m.NoticeID] = true
	}
	msgs := mail.WaitUntil(t, "the next notice, from the other node", func(msgs []notifytest.Message, _ int) bool {
		for _, m := range msgs {
			if !seen[m.NoticeID] {
				return true
			}
		}
		return false
	})
	counts := map[string]int{}
	for _, m := range msgs {
		counts[m.NoticeID]++
	}
	if len(counts) != 4 {
		t.Errorf("%d distinct notices delivered, want 4", len(counts))
	}
	for id, c := range counts {
		if c != 1 {
			t.Errorf("notice %s delivered %d times, want once", id, c)
		}
	}
	if got := other.noticesSending(t); got != 1 {
		t.Errorf("ledger_notices_sending on the node left is %v, want 1", got)
	}
}
