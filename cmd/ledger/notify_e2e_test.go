package main

import (
	"strconv"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/notify/notifytest"
)

// TestEmailNotices runs a node with an SMTP server configured: a referral's
// life through the API mails the receiver's administrative contact and the
// referring adviser, with a reference and a link and no client data
// (R-NOTE-1, R-NOTE-2, R-PRIV-7).
func TestEmailNotices(t *testing.T) {
	mail := notifytest.Start(t, notifytest.Options{})
	t.Setenv("LEDGER_SMTP_HOST", mail.Host)
	t.Setenv("LEDGER_SMTP_PORT", strconv.Itoa(mail.Port))
	t.Setenv("LEDGER_SMTP_TLS", "none")
	t.Setenv("LEDGER_SMTP_FROM", "ledger@network.example")
	t.Setenv("LEDGER_HTTP_PUBLIC_URL", "https://referrals.example.org")
	n := startNode(t, t.TempDir())
	id := lifecycle(t, n)

	msgs := mail.WaitFor(t, 3)
	want := map[string]string{ // recipient: subject
		"b@housing.example":  "New referral",
		"ann@advice.example": "acknowledged",
	}
	for to, subject := range want {
		found := false
		for _, m := range msgs {
			if m.To == to && strings.Contains(m.Subject, subject) {
				found = true
				if !strings.Contains(m.Body, "https://referrals.example.org/referrals/"+id) {
					t.Errorf("notice %q lacks the link to the referral:\n%s", m.Subject, m.Body)
				}
			}
		}
		if !found {
			t.Errorf("no %q notice to %s", subject, to)
		}
	}
	for _, m := range msgs {
		for _, private := range []string{"Client Person", "rent arrears", "called the client", "tenancy saved"} {
			if strings.Contains(string(m.Raw), private) {
				t.Errorf("notice %q carries client data %q", m.Subject, private)
			}
		}
	}
}

// TestEmailNoticesNotRepeatedAfterRestart_NOTE3: a node stopped after its
// notices went out, and started again on the same data directory, sends
// none of them again; the notice of what happens after the restart goes
// out once (R-NOTE-3).
func TestEmailNoticesNotRepeatedAfterRestart_NOTE3(t *testing.T) {
	mail := notifytest.Start(t, notifytest.Options{})
	t.Setenv("LEDGER_SMTP_HOST", mail.Host)
	t.Setenv("LEDGER_SMTP_PORT", strconv.Itoa(mail.Port))
	t.Setenv("LEDGER_SMTP_TLS", "none")
	t.Setenv("LEDGER_SMTP_FROM", "ledger@network.example")
	dir := t.TempDir()
	n := startNode(t, dir)
	id := lifecycle(t, n)
	before := mail.WaitFor(t, 3) // new referral, acknowledged, closed
	if err := n.stop(); err != nil {
		t.Fatal(err)
	}

	n = startNode(t, dir)
	ben := n.signIn(t, "ben", "Osprey#Dive77")
	n.must(t, 200, "POST", "/v1/referrals/"+id+"/reopening", ben, map[string]any{"reason": "the tenancy is at risk again"})
	after := mail.WaitFor(t, len(before)+1)
	if err := n.stop(); err != nil { // every notice derived is sent or settled
		t.Fatal(err)
	}
	msgs := mail.Messages()
	seen := map[string]int{}
	for _, m := range msgs {
		seen[m.NoticeID]++
	}
	for notice, times := range seen {
		if times != 1 {
			t.Errorf("notice %s sent %d times", notice, times)
		}
	}
	if len(msgs) != len(before)+1 || len(after) != len(before)+1 ||
		!strings.Contains(msgs[len(msgs)-1].Subject, "reopened") || msgs[len(msgs)-1].To != "ann@advice.example" {
		t.Errorf("notices to %v, want the first three once and then the reopening", subjects(msgs))
	}
}

func subjects(msgs []notifytest.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.To + ": " + m.Subject
	}
	return out
}
