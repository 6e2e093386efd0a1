package sqlite_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
	"github.com/referral-ledger/ledger/internal/sqlitedamage"
)

// damageLedger writes 300 events of about a kilobyte each, over many
// pages, closes the store (folding the WAL into the file) and returns the
// file's bytes.
func damageLedger(t *testing.T) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ledger.db")
	s := openAt(t, path)
	for i := range 300 {
		ev := testEvent("x")
		ev.Data = []byte(fmt.Sprintf(`{"n":%d,"pad":%q}`, i, bytes.Repeat([]byte{'a' + byte(i%26)}, 1000)))
		if _, err := s.Append(context.Background(), fmt.Sprintf("s-%d", i%40), eventstore.Any(), ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// verdict runs Verify on data and says how it judged it; it fails the test
// when Verify gives anything but a verdict on the file (R-OPS-4: a damaged
// file is reported as damaged, never as a scan or read error).
func verdict(t *testing.T, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ledger.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := sqlite.Verify(context.Background(), path, sqlite.WithImmutable())
	var broken *eventstore.BrokenLinkError
	var truncated *sqlite.TruncatedError
	var damaged *sqlite.DamagedError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &broken):
		return "broken"
	case errors.As(err, &truncated):
		return "truncated"
	case errors.As(err, &damaged):
		return "damaged"
	}
	t.Fatalf("Verify answered neither OK nor BROKEN: %v", err)
	return ""
}

// TestVerifyReportsDamagedFiles_OPS4 cuts the ledger file short at many
// lengths and flips bytes all over it: Verify always answers OK or names
// the damage (a broken link, a truncation, or the first position SQLite
// cannot read), never a bare read error (R-OPS-4, R-LEDGER-4).
func TestVerifyReportsDamagedFiles_OPS4(t *testing.T) {
	data := damageLedger(t)
	t.Run("truncated", func(t *testing.T) {
		for size := 4096; size < len(data); size += len(data) / 23 {
			if got := verdict(t, data[:size]); got == "ok" {
				t.Errorf("a file cut to %d of %d bytes verifies", size, len(data))
			}
		}
	})
	t.Run("cut mid-row names the first bad position", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "ledger.db")
		if err := os.WriteFile(path, data[:len(data)-2000], 0o600); err != nil {
			t.Fatal(err)
		}
		rep, err := sqlite.Verify(context.Background(), path, sqlite.WithImmutable())
		var damaged *sqlite.DamagedError
		var truncated *sqlite.TruncatedError
		switch {
		case errors.As(err, &damaged):
			if damaged.After != rep.Last || rep.Last >= 300 {
				t.Errorf("damaged after %d, report last %d", damaged.After, rep.Last)
			}
		case errors.As(err, &truncated):
		default:
			t.Fatalf("Verify of a file cut short: %v", err)
		}
	})
	t.Run("garbled", func(t *testing.T) {
		seen := map[string]int{}
		for off := 0; off < len(data); off += 997 {
			bad := bytes.Clone(data)
			bad[off] ^= 0x5a
			seen[verdict(t, bad)]++
		}
		if seen["broken"]+seen["damaged"] == 0 {
			t.Errorf("no flipped byte was found: %v", seen)
		}
	})
	t.Run("a changed event names its position", func(t *testing.T) {
		bad := bytes.Clone(data)
		// Event data is stored as text: change one event's.
		i := bytes.Index(bad, []byte(`"n":150,`))
		if i < 0 {
			t.Fatal("event 150 not found in the file")
		}
		bad[i+5] = '7'
		path := filepath.Join(t.TempDir(), "ledger.db")
		if err := os.WriteFile(path, bad, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := sqlite.Verify(context.Background(), path, sqlite.WithImmutable())
		var broken *eventstore.BrokenLinkError
		if !errors.As(err, &broken) || broken.Position != 151 {
			t.Fatalf("Verify = %v, want a broken link at position 151", err)
		}
	})
}

// TestCheckIntegrityFindsADamagedIndex_OPS4: a page of the index that keeps
// an event id from being stored twice is overwritten. Every event still
// reads and chains, so Verify passes; SQLite's integrity check, which
// `ledger verify` runs after it, reports the file as damaged, naming what
// it found. A sound file passes it.
func TestCheckIntegrityFindsADamagedIndex_OPS4(t *testing.T) {
	data := damageLedger(t)
	path := filepath.Join(t.TempDir(), "ledger.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := sqlite.CheckIntegrity(ctx, path, sqlite.WithImmutable()); err != nil {
		t.Fatalf("a sound file: %v", err)
	}
	sqlitedamage.ZeroEventIDIndex(t, path)
	damaged, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := verdict(t, damaged); got != "ok" {
		t.Fatalf("with the index damaged, Verify says %s: the test no longer damages what only the integrity check sees", got)
	}
	err = sqlite.CheckIntegrity(ctx, path, sqlite.WithImmutable())
	var integrity *sqlite.IntegrityError
	if !errors.As(err, &integrity) || len(integrity.Problems) == 0 {
		t.Fatalf("CheckIntegrity on a damaged index: %v, want an IntegrityError", err)
	}
	t.Log(err)
}
