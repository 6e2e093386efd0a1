package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	keysqlite "github.com/referral-ledger/ledger/keystore/sqlite"
)

// TestInterruptedRestoreMustBeFinished_OPS3: restore replaces the data
// directory's files one at a time, the key store first. One killed half way
// (power lost, kill -9) left a directory whose key store, idempotency and
// notices stores were the backup's and whose event log was not, and
// nothing but a sentence in the guide kept the server, the other writers
// and backup from using it as it was: the notifier, its checkpoint put
// back, would mail again every notice since the backup, and a backup of it
// would be a copy of no moment of the ledger. Now restore records that it
// has begun, before it changes anything, and clears the record only when it
// has finished; while the record is there the server, the writing tools and
// backup refuse, naming the backup to restore again, and a restore run again
// finishes the job (R-OPS-3, R-OPS-4).
func TestInterruptedRestoreMustBeFinished_OPS3(t *testing.T) {
	dir, before := t.TempDir(), filepath.Join(t.TempDir(), "before")
	t.Run("a ledger, backed up, then grown", func(t *testing.T) {
		n := startNode(t, dir)
		ann, to := twoOrganisations(t, n)
		if err := run(context.Background(), []string{"backup", "--to", before}, io.Discard, io.Discard); err != nil {
			t.Fatalf("backup: %v", err)
		}
		n.must(t, 201, "POST", "/v1/referrals", ann, map[string]any{"to_organisation_id": to, "urgent": false,
			"client": map[string]string{"name": "Later Client"}, "reason": "after the backup",
			"consent": map[string]any{"method": "written", "confirmed": true}, "privacy_notice_given": true})
	})
	t.Setenv("LEDGER_DATA_DIR", dir)
	t.Setenv("LEDGER_HTTP_ADDR", "127.0.0.1:0")
	// What a restore killed after putting back the key store and the
	// idempotency store, before the event log, leaves.
	if err := beginRestore(dir, rerunRestore(before, filepath.Join(before, keysDir))); err != nil {
		t.Fatal(err)
	}
	copyFile(t, filepath.Join(before, keysDir, keysqlite.FileName), filepath.Join(dir, keysqlite.FileName))
	copyFile(t, filepath.Join(before, "idempotency.db"), filepath.Join(dir, "idempotency.db"))

	want := "ledger restore --from " + before
	for _, args := range [][]string{{"serve"}, {"retention"}, {"rebuild-views"}, {"rotate-master-key"}, {"admin", "reset-password", "ann"},
		{"backup", "--to", filepath.Join(t.TempDir(), "b")}} {
		err := run(context.Background(), args, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s after an interrupted restore: %v; want a refusal saying to run %q again", args[0], err, want)
		}
	}
	var out strings.Builder
	if err := run(context.Background(), []string{"restore", "--from", before}, &out, io.Discard); err != nil {
		t.Fatalf("restore again: %v\n%s", err, out.String())
	}
	n := startNode(t, dir)
	n.signIn(t, "ann", "Kestrel#Wing42")
}
