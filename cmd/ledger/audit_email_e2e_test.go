package main

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/audit"
	"github.com/referral-ledger/ledger/notify/notifytest"
)

// signedNoteIn cuts the signed checkpoint out of an email body: from its
// origin line to its last signature line.
func signedNoteIn(body, origin string) string {
	start := strings.Index(body, origin+"\n")
	if start < 0 {
		return ""
	}
	lines := strings.SplitAfter(body[start:], "\n")
	var b strings.Builder
	for i, l := range lines {
		if i > 4 && !strings.HasPrefix(l, "— ") {
			break
		}
		b.WriteString(l)
	}
	return b.String()
}

// TestRAUD2CheckpointEmailedToAuditors: with audit.checkpoint_recipients
// set, every checkpoint the signing node signs is emailed through a real
// SMTP server to each named auditor, as the signed note an auditor's
// `ledger audit check --trusted` takes, and with no client data (R-AUD-2,
// R-PRIV-7).
func TestRAUD2CheckpointEmailedToAuditors(t *testing.T) {
	pub := auditKeys(t)
	mail := notifytest.Start(t, notifytest.Options{})
	t.Setenv("LEDGER_SMTP_HOST", mail.Host)
	t.Setenv("LEDGER_SMTP_PORT", strconv.Itoa(mail.Port))
	t.Setenv("LEDGER_SMTP_TLS", "none")
	t.Setenv("LEDGER_SMTP_FROM", "ledger@network.example")
	auditors := []string{"auditor.one@inspect.example", "auditor.two@witness.example"}
	t.Setenv("LEDGER_AUDIT_CHECKPOINT_RECIPIENTS", strings.Join(auditors, ","))
	n := startNode(t, t.TempDir())
	ref := lifecycle(t, n)
	admin := n.signIn(t, "admin", adminPassword)
	// Asking for the case's bundle makes the node sign a checkpoint that
	// covers the case, as the timer would.
	fetchBundle(t, n, admin, ref, "", t.TempDir()+"/bundle.json")

	req, _ := http.NewRequest(http.MethodGet, n.base+"/v1/ledger/checkpoint", nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(res.Body)
	res.Body.Close()
	v, err := audit.NewVerifier(string(mustRead(t, pub)))
	if err != nil {
		t.Fatal(err)
	}
	latest, err := audit.Open(served, v)
	if err != nil {
		t.Fatalf("served checkpoint: %v\n%s", err, served)
	}

	// Each auditor gets the latest checkpoint (and every earlier one).
	msgs := mail.WaitUntil(t, "the latest checkpoint mailed to each auditor", func(msgs []notifytest.Message, _ int) bool {
		got := map[string]bool{}
		for _, m := range msgs {
			if strings.Contains(m.Body, string(served)) {
				got[m.To] = true
			}
		}
		return len(got) == len(auditors)
	})
	sizes := map[string][]int64{}
	var lastNote string
	for _, m := range msgs {
		if !strings.Contains(m.Subject, "checkpoint") {
			continue
		}
		note := signedNoteIn(m.Body, e2eOrigin)
		cp, err := audit.Open([]byte(note), v)
		if err != nil {
			t.Errorf("mail %q to %s: the signed note does not verify with the public key: %v\n%s", m.Subject, m.To, err, m.Body)
			continue
		}
		if !strings.Contains(m.Subject, strconv.FormatInt(cp.Size, 10)) {
			t.Errorf("mail %q does not name the checkpoint's size %d", m.Subject, cp.Size)
		}
		sizes[m.To], lastNote = append(sizes[m.To], cp.Size), note
		if strings.Count(m.MessageID, "@") != 1 {
			t.Errorf("mail %q has Message-ID %q, not one id-left@id-right", m.Subject, m.MessageID)
		}
		for _, private := range []string{"Client Person", "rent arrears", "called the client", "tenancy saved"} {
			if strings.Contains(string(m.Raw), private) {
				t.Errorf("checkpoint mail to %s carries client data %q", m.To, private)
			}
		}
	}
	for _, to := range auditors {
		if len(sizes[to]) == 0 || sizes[to][len(sizes[to])-1] != latest.Size {
			t.Errorf("%s got checkpoints of sizes %v, want the latest, %d, among them last", to, sizes[to], latest.Size)
		}
	}
	if len(sizes[auditors[0]]) != len(sizes[auditors[1]]) {
		t.Errorf("the auditors got different numbers of checkpoints: %v", sizes)
	}
	for to := range sizes {
		if !strings.Contains(strings.Join(auditors, " "), to) {
			t.Errorf("a checkpoint was mailed to %s, who is not a named auditor", to)
		}
	}
	// The emailed note is what `ledger audit check --trusted` takes.
	trusted := t.TempDir() + "/trusted.checkpoint"
	if err := writeFileDurably(trusted, []byte(lastNote)); err != nil {
		t.Fatal(err)
	}
	if code, out := auditCLI("check", "--server", n.base, "--token", admin, "--public-key", pub, "--trusted", trusted); code != 0 {
		t.Fatalf("audit check from the emailed checkpoint: exit %d, %s", code, out)
	}
}
