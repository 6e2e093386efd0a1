package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
	"github.com/referral-ledger/ledger/ledger"
)

// create is one POST /v1/referrals a client of TestExactlyOnceAcrossKills
// sends, with what came back.
type create struct {
	token, key, name string
	body             []byte
	answered         bool   // the first send got an answer
	id, client       string // the referral and client of its 201
}

// send posts c's body under its key to base. An error means no answer:
// the server died before or while it handled the request.
func (c *create) send(hc *http.Client, base string, body []byte) (int, map[string]any, http.Header, error) {
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/referrals", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Idempotency-Key", c.key)
	res, err := hc.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, nil, nil, err
	}
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return res.StatusCode, out, res.Header, nil
}

// TestExactlyOnceAcrossKills_OPS1 proves R-OPS-1 with real crashes: many
// clients make referrals at once under Idempotency-Keys while the server,
// a process of its own, is killed with SIGKILL at a random moment; it is
// restarted and every request that got no answer is sent again, same key,
// same body. Every retry gets 201; a request answered before the kill,
// sent again, gets its first answer; the ledger then holds exactly one
// referral and one client per key, each readable under its client's key;
// the same key with another body is 422. Several rounds, on one data
// directory.
func TestExactlyOnceAcrossKills_OPS1(t *testing.T) {
	const (
		rounds    = 3
		clients   = 12 // concurrent senders
		perClient = 40 // most requests a sender makes in a round
	)
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 1))

	// A loaded machine must not turn a slow answer into a failed one: the
	// test is about what is created, not how fast.
	t.Setenv("LEDGER_PROJECTIONS_READ_YOUR_WRITES_TIMEOUT", "1m")
	t.Setenv("LEDGER_HTTP_REQUEST_TIMEOUT", "2m")
	dir := t.TempDir()
	n, cmd := serveChild(t, dir)
	admin := n.signIn(t, "admin", adminPassword)
	orgs := map[string]string{}
	for _, name := range []string{"Advice Centre", "Housing Trust", "Debt Line"} {
		orgs[name] = n.must(t, 201, "POST", "/v1/organisations", admin, map[string]any{"name": name,
			"admin_email": "intake@example.org", "services": []any{}})["id"].(string)
	}
	to := orgs["Housing Trust"]
	var tokens []string
	for i, org := range []string{orgs["Advice Centre"], orgs["Debt Line"]} {
		user := fmt.Sprintf("adviser%d", i)
		n.must(t, 201, "POST", "/v1/organisations/"+org+"/users", admin, map[string]any{"username": user,
			"display_name": user, "email": user + "@example.org", "roles": []string{"adviser"}, "password": "Initial#Kestrel42"})
		tokens = append(tokens, n.firstSignIn(t, user, "Initial#Kestrel42", "Kestrel#Wing42"))
	}
	bodyOf := func(name string, urgent bool) []byte {
		b, _ := json.Marshal(map[string]any{"to_organisation_id": to, "urgent": urgent,
			"client": map[string]string{"name": name}, "reason": "rent arrears",
			"consent": map[string]any{"method": "written", "confirmed": true}, "privacy_notice_given": true})
		return b
	}
	hc := &http.Client{Timeout: time.Minute}

	var all []*create
	var mu sync.Mutex
	for round := range rounds {
		// A burst, killed once a random number of creates have been
		// answered: some in flight, some not yet sent.
		killAfter := int64(1 + rng.IntN(60))
		var answered atomic.Int64
		var kill sync.Once
		var wg sync.WaitGroup
		for w := range clients {
			wg.Go(func() {
				for i := range perClient {
					name := fmt.Sprintf("Client %d-%d-%d", round, w, i)
					c := &create{token: tokens[w%len(tokens)], key: fmt.Sprintf("k-%d-%d-%d", round, w, i), name: name,
						body: bodyOf(name, false)}
					mu.Lock()
					all = append(all, c)
					mu.Unlock()
					status, out, _, err := c.send(hc, n.base, c.body)
					if err != nil {
						return // the server is gone; this one is retried below
					}
					if status != 201 {
						t.Errorf("%s: first send %d %v", c.key, status, out)
						return
					}
					c.answered, c.id, c.client = true, out["id"].(string), out["client_id"].(string)
					if answered.Add(1) == killAfter {
						kill.Do(func() { _ = cmd.Process.Kill() })
					}
				}
			})
		}
		wg.Wait()
		kill.Do(func() { _ = cmd.Process.Kill() }) // every sender finished first
		_ = cmd.Wait()
		n, cmd = serveChild(t, dir)

		// Every unanswered create again, at once, same key and body; and a
		// few answered ones.
		var retried atomic.Int64
		for _, c := range all {
			if c.answered && rng.IntN(8) != 0 {
				continue
			}
			wg.Go(func() {
				retried.Add(1)
				status, out, h, err := c.send(hc, n.base, c.body)
				if err != nil || status != 201 {
					t.Errorf("%s: retry %d %v %v", c.key, status, out, err)
					return
				}
				id, client := out["id"].(string), out["client_id"].(string)
				if c.answered {
					if id != c.id || client != c.client || h.Get("Idempotent-Replayed") != "true" {
						t.Errorf("%s: retry answered %s/%s (replayed %q), the first %s/%s", c.key, id, client,
							h.Get("Idempotent-Replayed"), c.id, c.client)
					}
					return
				}
				c.id, c.client = id, client
			})
		}
		wg.Wait()
		t.Logf("round %d: killed after %d answers; %d creates so far, %d sent again", round, killAfter, len(all), retried.Load())
		if t.Failed() {
			t.FailNow()
		}
	}

	// One referral and one client per key, each read back under its
	// client's key; another body under a key is refused.
	ids, clientIDs := map[string]string{}, map[string]string{}
	for _, c := range all {
		if other, dup := ids[c.id]; dup {
			t.Errorf("keys %s and %s made the same referral %s", other, c.key, c.id)
		}
		if other, dup := clientIDs[c.client]; dup {
			t.Errorf("keys %s and %s made the same client %s", other, c.key, c.client)
		}
		ids[c.id], clientIDs[c.client] = c.key, c.key
	}
	var wg sync.WaitGroup
	for i, c := range all {
		wg.Go(func() {
			status, out := n.call(t, "GET", "/v1/referrals/"+c.id, c.token, nil)
			if status != 200 || out["client"].(map[string]any)["name"] != c.name {
				t.Errorf("%s: reading referral %s: %d %v", c.key, c.id, status, out)
			}
			if i%4 != 0 {
				return
			}
			status, out, _, err := c.send(hc, n.base, bodyOf(c.name, true))
			if err != nil || status != 422 {
				t.Errorf("%s: another body under the key: %d %v %v", c.key, status, out, err)
			}
		})
	}
	wg.Wait()

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	store, err := sqlite.OpenReadOnly(filepath.Join(dir, eventsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	codec := ledger.NewPublicCodec()
	made, madeClients := 0, map[string]bool{}
	for after := eventstore.Start; ; {
		page, err := store.ReadAll(context.Background(), after, 500)
		if err != nil {
			t.Fatal(err)
		}
		for _, rec := range page {
			if rec.Type != domain.ReferralMadeType {
				continue
			}
			d, err := codec.Decode(context.Background(), rec)
			if err != nil {
				t.Fatal(err)
			}
			ev := d.Event.(*domain.ReferralMade)
			made++
			if _, ok := ids[ev.ReferralID.String()]; !ok {
				t.Errorf("the ledger holds referral %s, which no create was answered with", ev.ReferralID)
			}
			madeClients[ev.ClientID.String()] = true
		}
		if len(page) < 500 {
			break
		}
		after = page[len(page)-1].Position
	}
	if made != len(all) || len(madeClients) != len(all) {
		t.Errorf("the ledger holds %d referrals of %d clients for %d keys", made, len(madeClients), len(all))
	}
}
