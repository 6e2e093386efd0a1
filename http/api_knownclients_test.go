package http

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/hex"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/projections"
)

type knownClientsAnswer struct {
	Clients []struct {
		ClientID  string `json:"client_id"`
		Referrals []struct {
			ID        string `json:"id"`
			Reference string `json:"reference"`
			Status    string `json:"status"`
			MadeAt    string `json:"made_at"`
		} `json:"referrals"`
	} `json:"clients"`
}

// searchClients sends POST /v1/clients/search and decodes its 200 answer.
func (a *testAPI) searchClients(tb testing.TB, token, name, dob string) knownClientsAnswer {
	tb.Helper()
	r := want(tb, a.do(tb, http.MethodPost, "/v1/clients/search", token, map[string]any{"name": name, "date_of_birth": dob}), http.StatusOK)
	var out knownClientsAnswer
	decodeInto(tb, r, &out)
	if out.Clients == nil {
		tb.Fatalf("clients is not a list: %s", r.Body)
	}
	return out
}

// TestKnownClients_REF14: an adviser or org lead finds a client their own
// organisation already referred by name and date of birth, whatever the
// case, spacing and accents, and refers them again under the same client
// id; the receiver, other organisations and other roles find nothing or
// are refused.
func TestKnownClients_REF14(t *testing.T) {
	n := newNetwork(t)
	zero := want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserA.Token, nil), http.StatusOK)
	for _, u := range []testUser{n.AdviserA, n.LeadA} {
		got := n.searchClients(t, u.Token, "  client   ZERO ", "1980-02-29")
		if len(got.Clients) != 1 || got.Clients[0].ClientID != zero.str("client_id") || len(got.Clients[0].Referrals) != 1 {
			t.Fatalf("%s: %+v", u.Username, got)
		}
		r := got.Clients[0].Referrals[0]
		if r.ID != n.Referral || r.Reference != zero.str("reference") || r.Status != "made" || r.MadeAt != zero.str("made_at") {
			t.Fatalf("%s: the referral listed is %+v, want %s", u.Username, r, zero.Body)
		}
	}
	// Only clients the organisation referred: not the receiver's, not
	// another organisation's; and an exact match on the date of birth.
	for _, tc := range []struct {
		user      testUser
		name, dob string
	}{
		{n.AdviserB, "Client Zero", "1980-02-29"},
		{n.LeadB, "Client Zero", "1980-02-29"},
		{n.AdviserC, "Client Zero", "1980-02-29"},
		{n.Admin, "Client Zero", "1980-02-29"}, // the coordinator, as their own organisation's lead
		{n.AdviserA, "Client Zero", "1980-03-01"},
		{n.AdviserA, "Client Zer0", "1980-02-29"},
	} {
		if got := n.searchClients(t, tc.user.Token, tc.name, tc.dob); len(got.Clients) != 0 {
			t.Fatalf("%s searching %q %s finds %+v", tc.user.Username, tc.name, tc.dob, got)
		}
	}

	t.Run("accents, and referring again under the same client id", func(t *testing.T) {
		body := validReferral(n.OrgC, "Zoë  Ångström-Núñez")
		body["client"].(map[string]any)["date_of_birth"] = "1975-11-05"
		first := want(t, n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, body), http.StatusCreated)
		got := n.searchClients(t, n.AdviserA.Token, "zoe angstrom-nunez", "1975-11-05")
		if len(got.Clients) != 1 || got.Clients[0].ClientID != first.str("client_id") {
			t.Fatalf("search without accents: %+v", got)
		}
		again := validReferral(n.OrgB, "ZOE ANGSTROM-NUNEZ")
		again["client"] = map[string]any{"client_id": got.Clients[0].ClientID, "name": "ZOE ANGSTROM-NUNEZ", "date_of_birth": "1975-11-05"}
		second := want(t, n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, again), http.StatusCreated)
		if second.str("client_id") != first.str("client_id") {
			t.Fatalf("referring again made client %s, want %s", second.str("client_id"), first.str("client_id"))
		}
		got = n.searchClients(t, n.LeadA.Token, "Zoë Ångström-Núñez", "1975-11-05")
		if len(got.Clients) != 1 || len(got.Clients[0].Referrals) != 2 ||
			got.Clients[0].Referrals[0].ID != first.str("id") || got.Clients[0].Referrals[1].ID != second.str("id") {
			t.Fatalf("after referring again: %+v", got)
		}
		// The receiver of the second referral did not refer the client.
		if got := n.searchClients(t, n.AdviserB.Token, "Zoë Ångström-Núñez", "1975-11-05"); len(got.Clients) != 0 {
			t.Fatalf("a receiver finds a client it never referred: %+v", got)
		}

		// Referred again by the id alone: the new receiver, who never met
		// the client, sees the details the referrer last recorded.
		byID := validReferral(n.OrgC, "unused")
		byID["client"] = map[string]any{"client_id": first.str("client_id")}
		third := want(t, n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, byID), http.StatusCreated)
		seen := want(t, n.do(t, http.MethodGet, "/v1/referrals/"+third.str("id"), n.AdviserC.Token, nil), http.StatusOK)
		if name, dob := seen.str("client", "name"), seen.str("client", "date_of_birth"); name != "ZOE ANGSTROM-NUNEZ" || dob != "1975-11-05" {
			t.Fatalf("a referral by client id alone shows the receiver %q born %q, want the details last recorded", name, dob)
		}
	})

	t.Run("ErrRole", func(t *testing.T) {
		for _, u := range []testUser{n.Auditor, n.HelpdeskB, n.TeamManager} {
			n.do(t, http.MethodPost, "/v1/clients/search", u.Token, map[string]any{"name": "Client Zero", "date_of_birth": "1980-02-29"}).
				problem(t, http.StatusForbidden)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, tc := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"date_of_birth": "1980-02-29"}, "name"},
			{map[string]any{"name": "   ", "date_of_birth": "1980-02-29"}, "name"},
			{map[string]any{"name": "Client Zero"}, "date_of_birth"},
			{map[string]any{"name": "Client Zero", "date_of_birth": "29/02/1980"}, "date_of_birth"},
			{map[string]any{"name": "Client Zero", "date_of_birth": 1980}, "date_of_birth"},
		} {
			n.do(t, http.MethodPost, "/v1/clients/search", n.AdviserA.Token, tc.body).invalid(t, tc.field)
		}
	})
	t.Run("ErrUnauthenticated", func(t *testing.T) {
		n.do(t, http.MethodPost, "/v1/clients/search", "", map[string]any{"name": "Client Zero", "date_of_birth": "1980-02-29"}).
			problem(t, http.StatusUnauthorized)
	})
}

// TestKnownClientsLocked_REF14_LOCK2: a locked case is left out of the
// search for those its lock keeps out, as in every list.
func TestKnownClientsLocked_REF14_LOCK2(t *testing.T) {
	n := newLockNet(t)
	if got := n.searchClients(t, n.AdviserA.Token, "Client Zero", "1980-02-29"); len(got.Clients) != 1 {
		t.Fatalf("before the lock: %+v", got)
	}
	n.lock(t, n.Client, nil)
	if got := n.searchClients(t, n.AdviserA.Token, "Client Zero", "1980-02-29"); len(got.Clients) != 0 {
		t.Fatalf("the referrer, kept out by the lock, still finds the client: %+v", got)
	}
}

// TestKnownClientsErased_REF14_PRIV3: an erased client is not found, and
// no file of the data directory (databases, their write-ahead logs, after
// the node stopped and checkpointed too) holds the blind-index value of
// their name and date of birth, in any encoding. Before the erasure the
// value is in the views (views.db and its write-ahead log) and nowhere
// else.
func TestKnownClientsErased_REF14_PRIV3(t *testing.T) {
	n := newNetwork(t)
	client := want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserA.Token, nil), http.StatusOK).str("client_id")
	if got := n.searchClients(t, n.AdviserA.Token, "Client Zero", "1980-02-29"); len(got.Clients) != 1 {
		t.Fatalf("before erasure: %+v", got)
	}
	mark := ledger.BlindIndex(n.MasterKey.DeriveKey(ledger.KnownClientsKeyPurpose), "Client Zero", "1980-02-29")
	traces := [][]byte{mark[:], []byte(hex.EncodeToString(mark[:])), []byte(base64.StdEncoding.EncodeToString(mark[:])),
		[]byte(base64.RawURLEncoding.EncodeToString(mark[:]))}
	noTrace := func(t *testing.T, inViews bool) {
		t.Helper()
		held := false
		var paths []string
		err := filepath.WalkDir(n.Dir, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				paths = append(paths, path)
			}
			return err
		})
		if err != nil || len(paths) == 0 {
			t.Fatalf("walking the data directory: %v (%d files)", err, len(paths))
		}
		// Each write-ahead log is read before its database: a frame is
		// overwritten in the log only after a checkpoint copied it into
		// the database, so a value in neither was never committed, whereas
		// the other order can miss a value checkpointed between the reads.
		logFirst := func(path string) int { // 0 for a write-ahead log, 1 for anything else
			if strings.HasSuffix(path, "-wal") {
				return 0
			}
			return 1
		}
		slices.SortStableFunc(paths, func(a, b string) int {
			return cmp.Or(cmp.Compare(strings.TrimSuffix(a, "-wal"), strings.TrimSuffix(b, "-wal")),
				cmp.Compare(logFirst(a), logFirst(b)))
		})
		for _, path := range paths {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, tr := range traces {
				if !bytes.Contains(bytes.ToLower(data), bytes.ToLower(tr)) {
					continue
				}
				if inViews && strings.HasPrefix(filepath.Base(path), projections.ViewsFile) {
					held = true
					continue
				}
				t.Errorf("%s holds the blind-index value", filepath.Base(path))
			}
		}
		if inViews && !held {
			t.Fatal("the views do not hold the blind-index value of a client the search finds")
		}
	}
	noTrace(t, true)

	n.erase(t, client, "asked in person")
	if got := n.searchClients(t, n.AdviserA.Token, "Client Zero", "1980-02-29"); len(got.Clients) != 0 {
		t.Fatalf("an erased client is found: %+v", got)
	}
	noTrace(t, false)
	n.Close()
	noTrace(t, false)

	// Rebuilt from the log on the next start, the index still does not
	// hold them: their key is destroyed.
	again := newTestAPI(t, onDataDir(n.Dir, n.MasterKey))
	lead := again.signInUser(t, "adviser.a", testUserPassword)
	if got := again.searchClients(t, lead.Token, "Client Zero", "1980-02-29"); len(got.Clients) != 0 {
		t.Fatalf("after a restart, an erased client is found: %+v", got)
	}
}
