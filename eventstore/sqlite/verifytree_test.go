package sqlite_test

import (
	"context"
	"errors"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/referral-ledger/ledger/eventstore/sqlite"
)

// TestCheckTree_AUD1 (R-AUD-1): CheckTree passes the tree a store wrote and
// finds any stored hash of it that is not the hash the events give: a
// leaf, an inner node, a stored hash beyond the tree's size.
func TestCheckTree_AUD1(t *testing.T) {
	path, _ := tamperLedger(t)
	if err := sqlite.CheckTree(context.Background(), path); err != nil {
		t.Fatalf("CheckTree of an untouched ledger: %v", err)
	}
	for _, c := range []struct {
		name string
		idx  int64
	}{
		{"leaf 0", tlog.StoredHashIndex(0, 0)},
		{"leaf 11", tlog.StoredHashIndex(0, 11)},
		{"level 1", tlog.StoredHashIndex(1, 2)},
		{"level 3", tlog.StoredHashIndex(3, 0)},
	} {
		t.Run(c.name, func(t *testing.T) {
			path, db := tamperLedger(t)
			mustExec(t, db, `DROP TRIGGER audit_hashes_no_update`)
			mustExec(t, db, `UPDATE audit_hashes SET hash = zeroblob(32) WHERE idx = ?`, c.idx)
			var te *sqlite.TreeError
			if err := sqlite.CheckTree(context.Background(), path); !errors.As(err, &te) {
				t.Fatalf("CheckTree with stored hash %d changed: %v, want a *TreeError", c.idx, err)
			}
		})
	}
	t.Run("a hash beyond the size", func(t *testing.T) {
		path, db := tamperLedger(t)
		mustExec(t, db, `DROP TRIGGER audit_leaves_no_delete`)
		mustExec(t, db, `DELETE FROM audit_leaves WHERE position = 12`)
		mustExec(t, db, `DELETE FROM events WHERE position = 12`)
		var te *sqlite.TreeError
		if err := sqlite.CheckTree(context.Background(), path); !errors.As(err, &te) {
			t.Fatalf("CheckTree with the last leaf's hashes left: %v, want a *TreeError", err)
		}
	})
}
