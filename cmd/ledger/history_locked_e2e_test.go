package main

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestHistoryOfALockedCaseWithholdsClientData_LOCK9: every read of a
// locked case's client data is recorded in its access log (R-LOCK-9), and
// `ledger history` writes nothing (R-OPS-2): once the case is locked it
// prints the case's events, and whether their chain verifies, with the
// client's data and free text withheld, saying where they can be read
// with the read logged.
func TestHistoryOfALockedCaseWithholdsClientData_LOCK9(t *testing.T) {
	n := newLocksNetwork(t)
	history := func() string {
		t.Helper()
		var out bytes.Buffer
		if err := run(context.Background(), []string{"history", n.referral}, &out, io.Discard); err != nil {
			t.Fatalf("history: %v\n%s", err, out.String())
		}
		return out.String()
	}
	if out := history(); !strings.Contains(out, "Client Person") || !strings.Contains(out, "rent arrears") {
		t.Fatalf("history of a case that is not locked lacks its client data:\n%s", out)
	}
	req := n.must(t, 201, "POST", "/v1/clients/"+n.client+"/lock-requests", n.tessToken, map[string]any{"responsible_user_id": n.ids["ben"],
		"reason": "Staff member's relative.", "allow": []any{}, "deny": []any{}})
	n.must(t, 200, "POST", "/v1/lock-requests/"+req["id"].(string)+"/decision", n.samToken, map[string]any{"approve": true})

	out := history()
	for _, secret := range []string{"Client Person", "rent arrears"} {
		if strings.Contains(out, secret) {
			t.Errorf("history of a locked case prints %q, read with no access log:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "locked") || !strings.Contains(out, "access log") || !strings.Contains(out, "verified: ") ||
		!strings.Contains(out, "referral.made") {
		t.Errorf("history of a locked case should list its events, say why its data is withheld and verify its chain:\n%s", out)
	}
}

// TestHistoryOfALockedCaseWithAnUnreadableEventWithholdsClientData_LOCK9:
// an event of a locked case's referral that no longer decodes (its stored
// data changed, so its chain breaks) does not stop `ledger history` from
// seeing that the case is locked: the other events are still listed with
// the client's data and free text withheld, where it used to give up on
// the lock check at the unreadable event and print them decrypted, a read
// no access log records (R-LOCK-9).
func TestHistoryOfALockedCaseWithAnUnreadableEventWithholdsClientData_LOCK9(t *testing.T) {
	n := newLocksNetwork(t)
	n.must(t, 201, "POST", "/v1/referrals/"+n.referral+"/notes", n.benToken, map[string]any{"text": "rang the landlord"})
	req := n.must(t, 201, "POST", "/v1/clients/"+n.client+"/lock-requests", n.tessToken, map[string]any{"responsible_user_id": n.ids["ben"],
		"reason": "Staff member's relative.", "allow": []any{}, "deny": []any{}, "hide_notification": true})
	n.must(t, 200, "POST", "/v1/lock-requests/"+req["id"].(string)+"/decision", n.samToken, map[string]any{"approve": true})
	if err := n.stop(); err != nil {
		t.Fatal(err)
	}
	// The note's stored note_id is made something no event holds, as a
	// damaged or doctored log would have it.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(os.Getenv("LEDGER_DATA_DIR"), eventsFile))
	if err != nil {
		t.Fatal(err)
	}
	var pos int64
	var data []byte
	if err := db.QueryRow(`SELECT position, data FROM events WHERE stream = ? AND type = 'referral.note_added'`, "referral-"+n.referral).Scan(&pos, &data); err != nil {
		t.Fatal(err)
	}
	damaged := regexp.MustCompile(`"note_id":"[^"]*"`).ReplaceAll(data, []byte(`"note_id":"not an id"`))
	if bytes.Equal(damaged, data) {
		t.Fatalf("no note_id in the stored note: %s", data)
	}
	for _, q := range []string{"DROP TRIGGER events_no_update", "UPDATE events SET data = ? WHERE position = ?"} {
		var args []any
		if strings.HasPrefix(q, "UPDATE") {
			args = []any{damaged, pos}
		}
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	err = run(context.Background(), []string{"history", n.referral}, &out, io.Discard)
	if exitCode(err) != 2 {
		t.Fatalf("history of a case with a damaged event: exit %d (%v), want 2\n%s", exitCode(err), err, out.String())
	}
	for _, secret := range []string{"Client Person", "rent arrears", "rang the landlord"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("history of a locked case with an unreadable event prints %q, read with no access log:\n%s", secret, out.String())
		}
	}
	if !strings.Contains(out.String(), "access log") || !strings.Contains(out.String(), "\treferral.made\t") ||
		!strings.Contains(out.String(), "UNREADABLE") {
		t.Errorf("history should list the events, the damaged one as unreadable, and say why the data is withheld:\n%s", out.String())
	}
}

// TestHistoryOfALockedCaseShowsAnErasedClientErased_PRIV3: a locked case
// whose client is then erased is shown by `ledger history` as every read
// shows erased data (R-PRIV-3): the client data null and the event marked
// "erased":true, as for a case that is not locked, where it used to be
// marked only as withheld for the lock, as if the data were still there to
// be read through the server (R-LOCK-9).
func TestHistoryOfALockedCaseShowsAnErasedClientErased_PRIV3(t *testing.T) {
	n := newLocksNetwork(t)
	req := n.must(t, 201, "POST", "/v1/clients/"+n.client+"/lock-requests", n.tessToken, map[string]any{"responsible_user_id": n.ids["ben"],
		"reason": "Staff member's relative.", "allow": []any{}, "deny": []any{}})
	n.must(t, 200, "POST", "/v1/lock-requests/"+req["id"].(string)+"/decision", n.samToken, map[string]any{"approve": true})
	erasure := n.must(t, 201, "POST", "/v1/clients/"+n.client+"/erasure-requests", n.benToken, map[string]any{"reason": "asked in person"})["id"].(string)
	n.must(t, 200, "POST", "/v1/erasure-requests/"+erasure+"/decision", n.admin, map[string]any{"carry_out": true})

	var out bytes.Buffer
	if err := run(context.Background(), []string{"history", n.referral}, &out, io.Discard); err != nil {
		t.Fatalf("history: %v\n%s", err, out.String())
	}
	for _, secret := range []string{"Client Person", "rent arrears"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("history of an erased client's locked case prints %q:\n%s", secret, out.String())
		}
	}
	made := ""
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.Contains(line, "\treferral.made\t") {
			made = line
		}
	}
	if !strings.Contains(made, `"erased":true`) || !strings.Contains(made, `"client":null`) || !strings.Contains(out.String(), "verified: ") {
		t.Errorf("history should show the erased client's data as erased:\n%s", out.String())
	}
}

// TestHistoryOfALockedCaseSaysWhoMayReadIt_LOCK9: `ledger history` of a
// locked case withholds its client data and says where it can be read
// with the read logged (R-LOCK-9). It used to send the operator to the
// server "as an auditor", whom the lock refuses like anyone else it does
// not let in (R-LOCK-2); it now names who the lock lets in.
func TestHistoryOfALockedCaseSaysWhoMayReadIt_LOCK9(t *testing.T) {
	n := newLocksNetwork(t)
	me := n.must(t, 201, "POST", "/v1/sessions", "", map[string]string{"username": "admin", "password": adminPassword})
	n.must(t, 201, "POST", "/v1/organisations/"+me["user"].(map[string]any)["organisation_id"].(string)+"/users", n.admin,
		map[string]any{"username": "audrey", "display_name": "Audrey Auditor", "email": "audrey@example.org",
			"roles": []string{"auditor"}, "password": "Initial#Puffin-2049"})
	auditor := n.firstSignIn(t, "audrey", "Initial#Puffin-2049", "Puffin#Burrow-2049")
	req := n.must(t, 201, "POST", "/v1/clients/"+n.client+"/lock-requests", n.tessToken, map[string]any{"responsible_user_id": n.ids["ben"],
		"reason": "Staff member's relative.", "allow": []any{}, "deny": []any{}})
	n.must(t, 200, "POST", "/v1/lock-requests/"+req["id"].(string)+"/decision", n.samToken, map[string]any{"approve": true})
	// The server refuses the case to an auditor the lock does not let in.
	n.must(t, 403, "GET", "/v1/referrals/"+n.referral+"/history", auditor, nil)
	n.must(t, 200, "GET", "/v1/referrals/"+n.referral+"/history", n.benToken, nil)

	var out bytes.Buffer
	if err := run(context.Background(), []string{"history", n.referral}, &out, io.Discard); err != nil {
		t.Fatalf("history: %v\n%s", err, out.String())
	}
	if strings.Contains(out.String(), "as an auditor") {
		t.Errorf("history of a locked case sends the operator to read it as an auditor, whom the lock refuses:\n%s", out.String())
	}
	for _, want := range []string{"access log", "responsible person", "allow"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("history of a locked case should say who may read it, with the read logged (%q):\n%s", want, out.String())
		}
	}
}
