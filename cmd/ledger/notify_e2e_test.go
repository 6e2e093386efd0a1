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
