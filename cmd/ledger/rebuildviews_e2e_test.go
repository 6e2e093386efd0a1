package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/datadir"
	"github.com/referral-ledger/ledger/internal/sqlitedamage"
	"github.com/referral-ledger/ledger/projections"
)

func dumpViewsFile(t *testing.T, dir string) map[string][]string {
	t.Helper()
	v, err := projections.OpenViews(filepath.Join(dir, projections.ViewsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	d, err := v.Dump(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestRebuildViews (issue 14, point 2; R-VIEW-5): `ledger rebuild-views`
// refuses while the server holds the data directory; on a stopped one it
// rebuilds views.db from the whole log into exactly the rows the server
// built as it went, and the server then serves from them.
func TestRebuildViews_VIEW5(t *testing.T) {
	dir := t.TempDir()
	var id string
	t.Run("a ledger", func(t *testing.T) { id = lifecycle(t, startNode(t, dir)) })
	t.Setenv("LEDGER_DATA_DIR", dir)
	built := dumpViewsFile(t, dir)
	if len(built["referrals"]) == 0 {
		t.Fatal("the server kept no referral in views.db")
	}

	lock, err := datadir.Acquire(dir, "ledger serve")
	if err != nil {
		t.Fatal(err)
	}
	err = run(context.Background(), []string{"rebuild-views"}, io.Discard, io.Discard)
	if want := fmt.Sprintf("in use by process %d (ledger serve)", os.Getpid()); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("rebuild-views beside a server: %v; want a refusal naming %q", err, want)
	}
	lock.Release()

	var out bytes.Buffer
	if err := run(context.Background(), []string{"rebuild-views"}, &out, io.Discard); err != nil {
		t.Fatalf("rebuild-views: %v", err)
	}
	if !strings.HasPrefix(out.String(), "rebuilt the views") {
		t.Errorf("rebuild-views said %q", out.String())
	}
	if rebuilt := dumpViewsFile(t, dir); !reflect.DeepEqual(rebuilt, built) {
		t.Errorf("the rebuilt views differ from those built incrementally:\n%v\n%v", rebuilt, built)
	}
	t.Run("served from the rebuilt views", func(t *testing.T) {
		n := startNode(t, dir)
		ann := n.signIn(t, "ann", "Kestrel#Wing42")
		listed := n.must(t, 200, "GET", "/v1/outbox", ann, nil)["referrals"].([]any)
		if len(listed) != 1 || listed[0].(map[string]any)["id"] != id {
			t.Errorf("the outbox lists %v, want the referral %s", listed, id)
		}
	})
}

// TestRebuildViewsOfADamagedFile_OPS4: views.db damaged so that it no
// longer opens stops the server naming it; `ledger rebuild-views`, the
// tool for remaking the views from the log, makes it again, into the rows
// the server had built, and the server then starts (R-OPS-4, R-VIEW-5).
func TestRebuildViewsOfADamagedFile_OPS4(t *testing.T) {
	dir := t.TempDir()
	t.Run("a ledger", func(t *testing.T) { lifecycle(t, startNode(t, dir)) })
	t.Setenv("LEDGER_DATA_DIR", dir)
	built := dumpViewsFile(t, dir)
	path := filepath.Join(dir, projections.ViewsFile)
	sqlitedamage.Header(t, path)
	t.Setenv("LEDGER_HTTP_ADDR", "127.0.0.1:0")
	if err := serveFails(t); err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("serve on a damaged views.db: %v; want a refusal naming it", err)
	}
	if err := run(context.Background(), []string{"rebuild-views"}, io.Discard, io.Discard); err != nil {
		t.Fatalf("rebuild-views of a damaged views.db: %v", err)
	}
	if rebuilt := dumpViewsFile(t, dir); !reflect.DeepEqual(rebuilt, built) {
		t.Errorf("the rebuilt views differ from those the server built:\n%v\n%v", rebuilt, built)
	}
	t.Run("the server starts", func(t *testing.T) { startNode(t, dir) })
}
