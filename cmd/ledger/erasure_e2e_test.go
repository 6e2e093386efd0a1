package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/referral-ledger/ledger/internal/pgtest"
	"github.com/referral-ledger/ledger/keystore"
	keysqlite "github.com/referral-ledger/ledger/keystore/sqlite"
	ledgernode "github.com/referral-ledger/ledger/node"
	"github.com/referral-ledger/ledger/projections"
)

// TestErasureInEveryReader_PRIV8 restores keys.db from a copy taken before
// a client's erasure, which brings the client's key back, and checks every
// reader still shows the client erased (R-PRIV-8): `ledger history`,
// `ledger migrate --to postgres` (which must not copy the key), subject
// access and an idempotent replay on the server, and `ledger
// rotate-master-key` (which must not rewrap it). Afterwards no file in the
// data directory holds the client's data or the revived key (R-PRIV-4).
func TestErasureInEveryReader_PRIV8(t *testing.T) {
	dir, backup := t.TempDir(), t.TempDir()
	secrets := []string{"Erin Qz7restored", "1944-02-29", "Qz7reason fled a violent partner"}
	referral := map[string]any{"urgent": false,
		"client": map[string]string{"name": secrets[0], "date_of_birth": secrets[1]}, "reason": secrets[2],
		"consent": map[string]any{"method": "written", "confirmed": true}, "privacy_notice_given": true}
	var id, client string
	t.Run("a referral made with an Idempotency-Key", func(t *testing.T) {
		n := startNode(t, dir)
		admin := n.signIn(t, "admin", adminPassword)
		a := n.must(t, 201, "POST", "/v1/organisations", admin, map[string]any{"name": "Advice Centre", "admin_email": "a@advice.example", "services": []any{}})["id"].(string)
		b := n.must(t, 201, "POST", "/v1/organisations", admin, map[string]any{"name": "Housing Trust", "admin_email": "b@housing.example", "services": []any{}})["id"].(string)
		n.must(t, 201, "POST", "/v1/organisations/"+a+"/users", admin, map[string]any{"username": "ann", "display_name": "Ann",
			"email": "ann@advice.example", "roles": []string{"adviser"}, "password": "Kestrel#Wing42"})
		referral["to_organisation_id"] = b
		status, r := n.postWithKey(t, "/v1/referrals", n.firstSignIn(t, "ann", "Kestrel#Wing42", "Osprey-Tide#58"), "make-1", referral)
		if status != 201 || r["client"].(map[string]any)["name"] != secrets[0] {
			t.Fatalf("referral: %d %v", status, r)
		}
		id, client = r["id"].(string), r["client_id"].(string)
	})
	// The backup: taken with the node stopped, so keys.db is whole.
	copyFile(t, filepath.Join(dir, keysqlite.FileName), filepath.Join(backup, keysqlite.FileName))
	revived := wrappedKey(t, filepath.Join(backup, keysqlite.FileName), client)

	t.Run("the client is erased", func(t *testing.T) {
		n := startNode(t, dir)
		admin, ann := n.signIn(t, "admin", adminPassword), n.signIn(t, "ann", "Osprey-Tide#58")
		req := n.must(t, 201, "POST", "/v1/clients/"+client+"/erasure-requests", ann, map[string]any{"reason": "asked in person"})["id"].(string)
		n.must(t, 200, "POST", "/v1/erasure-requests/"+req+"/decision", admin, map[string]any{"carry_out": true})
	})
	restore := func(t *testing.T) {
		t.Helper()
		for _, suffix := range []string{"-wal", "-shm", "-journal"} {
			_ = os.Remove(filepath.Join(dir, keysqlite.FileName+suffix))
		}
		copyFile(t, filepath.Join(backup, keysqlite.FileName), filepath.Join(dir, keysqlite.FileName))
	}
	// noCopyOnDisk checks no file in the data directory holds the
	// client's data or the revived key (R-PRIV-4).
	noCopyOnDisk := func(t *testing.T) {
		t.Helper()
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if leaked := leaksOf(data, secrets); leaked != nil {
				t.Errorf("%s holds %v", path, leaked)
			}
			if bytes.Contains(data, revived) {
				t.Errorf("%s holds the revived key", path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("LEDGER_DATA_DIR", dir)

	t.Run("ledger history", func(t *testing.T) {
		restore(t)
		var out, errs bytes.Buffer
		if err := run(context.Background(), []string{"history", id}, &out, &errs); err != nil {
			t.Fatalf("history: %v\n%s", err, out.String())
		}
		if !strings.Contains(out.String(), `"erased":true`) || !strings.Contains(out.String(), "verified: ") {
			t.Fatalf("history should show the client erased:\n%s", out.String())
		}
		if leaked := leaksOf(out.Bytes(), secrets); len(leaked) > 0 {
			t.Fatalf("history prints %v:\n%s", leaked, out.String())
		}
		// history opens the data directory read-only (R-OPS-2), so it
		// cannot destroy the revived key: it refuses it, counts it and
		// leaves it for the server's next start.
		if !strings.Contains(errs.String(), "erased_client_keys_kept=1") || !strings.Contains(errs.String(), "server destroys it") ||
			leaksOf(errs.Bytes(), secrets) != nil {
			t.Fatalf("history should report, by count only, the key it refused and left for the server: %q", errs.String())
		}
	})

	t.Run("ledger migrate --to postgres when keys.db cannot be written", func(t *testing.T) {
		// Under another master key keys.db does not open as a key store,
		// as when it is read-only: the revived key is skipped and reported.
		restore(t)
		other := make([]byte, 32)
		other[0] = 1
		t.Setenv("LEDGER_MASTER_KEY", base64.StdEncoding.EncodeToString(other))
		pg := pgtest.URL(t)
		t.Setenv("LEDGER_POSTGRES_URL", pg)
		var out bytes.Buffer
		if err := run(context.Background(), []string{"migrate", "--to", "postgres"}, &out, io.Discard); err != nil {
			t.Fatalf("migrate: %v\n%s", err, out.String())
		}
		if !strings.Contains(out.String(), "copied 0 client keys") || !strings.Contains(out.String(), "skipped 1 keys of erased clients") {
			t.Fatalf("migrate should copy no key and report the one it skipped:\n%s", out.String())
		}
		if keys, tombstones := pgKeys(t, pg, client); keys != 0 || tombstones != 1 {
			t.Fatalf("PostgreSQL holds %d keys and %d tombstones for the erased client; want 0 and 1", keys, tombstones)
		}
	})

	t.Run("ledger migrate --to postgres", func(t *testing.T) {
		restore(t)
		pg := pgtest.URL(t)
		t.Setenv("LEDGER_POSTGRES_URL", pg)
		var out bytes.Buffer
		if err := run(context.Background(), []string{"migrate", "--to", "postgres"}, &out, io.Discard); err != nil {
			t.Fatalf("migrate: %v\n%s", err, out.String())
		}
		if !strings.Contains(out.String(), "copied 0 client keys") || !strings.Contains(out.String(), "destroyed 1 keys in keys.db") {
			t.Fatalf("migrate should copy no key and report the one it destroyed:\n%s", out.String())
		}
		if keys, tombstones := pgKeys(t, pg, client); keys != 0 || tombstones != 1 {
			t.Fatalf("PostgreSQL holds %d keys and %d tombstones for the erased client; want 0 and 1", keys, tombstones)
		}
	})

	t.Run("subject access and an idempotent replay", func(t *testing.T) {
		restore(t)
		n := startNode(t, dir)
		admin, ann := n.signIn(t, "admin", adminPassword), n.signIn(t, "ann", "Osprey-Tide#58")
		status, r := n.postWithKey(t, "/v1/referrals", ann, "make-1", referral)
		if status != 201 || r["id"] != id || r["erased"] != true || r["client"].(map[string]any)["name"] != nil || r["reason"] != nil {
			t.Fatalf("replay after erasure: %d %v", status, r)
		}
		x := n.must(t, 200, "GET", "/v1/clients/"+client+"/subject-access", admin, nil)
		raw, _ := json.Marshal(x)
		if x["erased"] != true || leaksOf(raw, secrets) != nil {
			t.Fatalf("subject access after erasure: %s", raw)
		}
	})
	t.Run("after the server, no file in the data directory holds the client's data or key", noCopyOnDisk)

	// The views replayed from the start (views.db deleted, or ledger
	// rebuild-views) reach the made referral, whose client data the known
	// clients index decrypts, before its erasure: the revived key is
	// destroyed before the replay, never used.
	for _, how := range []string{"ledger rebuild-views", "ledger serve without views.db"} {
		t.Run(how+" destroys the revived key before replaying the log", func(t *testing.T) {
			restore(t)
			for _, suffix := range []string{"", "-wal", "-shm"} {
				_ = os.Remove(filepath.Join(dir, projections.ViewsFile+suffix))
			}
			watch := &keyWatch{client: uuid.MustParse(client)}
			withNodeOptions(t, ledgernode.WithKeysWrapper(func(k keystore.Store) keystore.Store { watch.Store = k; return watch }))
			if how == "ledger rebuild-views" {
				if err := run(context.Background(), []string{"rebuild-views"}, io.Discard, io.Discard); err != nil {
					t.Fatalf("rebuild-views: %v", err)
				}
			} else {
				startNode(t, dir) // ready once the views are built; stops when the subtest ends
			}
			ops := watch.seen()
			if !slices.Contains(ops, "destroy") {
				t.Fatalf("the revived key was not destroyed: %v", ops)
			}
			for i, op := range ops {
				// The only look-up that finds the key is the one that
				// destroys it.
				if op == "found" && (i+1 == len(ops) || ops[i+1] != "destroy") {
					t.Fatalf("the revived key was used before it was destroyed: %v", ops)
				}
			}
		})
	}

	t.Run("ledger rotate-master-key destroys the revived key, not rewraps it", func(t *testing.T) {
		restore(t)
		var out bytes.Buffer
		if err := run(context.Background(), []string{"rotate-master-key"}, &out, io.Discard); err != nil {
			t.Fatalf("rotate: %v\n%s", err, out.String())
		}
		if !strings.Contains(out.String(), "destroyed 1 keys") || !strings.Contains(out.String(), "rewrapped 0 client keys") {
			t.Fatalf("rotate should destroy the revived key and rewrap none:\n%s", out.String())
		}
	})

	t.Run("afterwards no file in the data directory holds the client's data or key", noCopyOnDisk)
}

// keyWatch is a key store that notes, in order, what happens to one
// client's key: found (a Get that returned it), destroy, or gone (a Get
// that found it destroyed).
type keyWatch struct {
	keystore.Store
	client uuid.UUID
	mu     sync.Mutex
	ops    []string
}

func (w *keyWatch) note(op string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ops = append(w.ops, op)
}

func (w *keyWatch) seen() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.ops)
}

func (w *keyWatch) Get(ctx context.Context, client uuid.UUID) (keystore.DataKey, error) {
	key, err := w.Store.Get(ctx, client)
	if client == w.client {
		switch {
		case err == nil:
			w.note("found")
		case errors.Is(err, keystore.ErrDestroyed):
			w.note("gone")
		}
	}
	return key, err
}

func (w *keyWatch) Destroy(ctx context.Context, client uuid.UUID) error {
	if client == w.client {
		w.note("destroy")
	}
	return w.Store.Destroy(ctx, client)
}

// pgKeys counts the keys in the PostgreSQL key store and the client's
// tombstones.
func pgKeys(t *testing.T, url, client string) (keys, tombstones int) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if err := conn.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM ledger_keys),
		(SELECT count(*) FROM ledger_key_tombstones WHERE client_id = $1)`, client).Scan(&keys, &tombstones); err != nil {
		t.Fatal(err)
	}
	return keys, tombstones
}

// postWithKey POSTs body with an Idempotency-Key.
func (n *node) postWithKey(t *testing.T, path, token, key string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", n.base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Idempotency-Key", key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// wrappedKey reads a client's wrapped key from a key store file.
func wrappedKey(t *testing.T, path, client string) []byte {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var wrapped []byte
	if err := db.QueryRow(`SELECT wrapped FROM keys WHERE client_id = ?`, client).Scan(&wrapped); err != nil || len(wrapped) < 16 {
		t.Fatalf("the backup holds no key for the client: %v", err)
	}
	return wrapped
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// leaksOf returns the secrets found in data, compared case-insensitively.
func leaksOf(data []byte, secrets []string) []string {
	var found []string
	for _, s := range secrets {
		if bytes.Contains(bytes.ToLower(data), bytes.ToLower([]byte(s))) {
			found = append(found, s)
		}
	}
	return found
}
