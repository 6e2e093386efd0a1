package http

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/auth"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
)

// passwordHashes returns the hashes events of eventType (a password
// change or rehash) recorded for userID, oldest first.
func (a *testAPI) passwordHashes(tb testing.TB, eventType, userID string) []string {
	tb.Helper()
	a.flushReads(tb)
	var out []string
	for after := eventstore.Start; ; {
		page, err := a.Store.ReadAll(context.Background(), after, 500)
		if err != nil {
			tb.Fatalf("read all: %v", err)
		}
		for _, ev := range page {
			if ev.Type != eventType {
				continue
			}
			var e struct {
				UserID       string `json:"user_id"`
				PasswordHash string `json:"password_hash"`
			}
			if err := json.Unmarshal(ev.Data, &e); err != nil {
				tb.Fatal(err)
			}
			if e.UserID == userID {
				out = append(out, e.PasswordHash)
			}
		}
		if len(page) < 500 {
			return out
		}
		after = page[len(page)-1].Position
	}
}

// rehashes returns the hashes the ledger recorded for userID by rehashing
// its password, oldest first.
func (a *testAPI) rehashes(tb testing.TB, userID string) []string {
	tb.Helper()
	return a.passwordHashes(tb, domain.OrganisationPasswordRehashedType, userID)
}

// TestSignInRehashesWeakerPasswordHash_AUTH3: an account whose password
// was hashed under weaker argon2id parameters than the node's gets a new
// hash of the same password, under the node's parameters, when it signs
// in (R-AUTH-3); the rehash is not a password change: the session opened
// by that sign-in goes on, and the password is as old as it was, so the
// six-month prompt still comes (R-AUTH-2). Signing in still works, and
// rehashes nothing more.
func TestSignInRehashesWeakerPasswordHash_AUTH3(t *testing.T) {
	a := newTestAPI(t)
	org := a.registerOrg(t, "Alpha Advice")
	lead := a.addUser(t, org, "lead.a", domain.RoleOrgLead)

	weaker := auth.Hasher{Memory: fastHashing.Memory / 2, Time: fastHashing.Time}
	old, err := weaker.Hash(testUserPassword)
	if err != nil {
		t.Fatal(err)
	}
	if !fastHashing.NeedsRehash(old) {
		t.Fatal("the weaker hash is not weaker than the node's")
	}
	// Set seven months ago, under the weaker parameters, as an older
	// ledger configured so would have recorded it.
	id := uuid.New()
	ev := &domain.OrganisationUserAdded{UserID: id, Username: "weak.hash", DisplayName: "Weak Hash",
		Email: "weak.hash@example.org", Roles: []domain.Role{domain.RoleAdviser}, PasswordHash: old}
	data, err := ledger.NewPublicCodec().Encode(context.Background(), uuid.New(), ev, eventstore.Metadata{
		ActorUserID: lead.ID, ActorOrganisationID: lead.OrgID, RecordedAt: a.Clock.Now().AddDate(0, -7, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Store.Append(context.Background(), ledger.OrganisationStream(uuid.MustParse(org)), eventstore.Any(), data); err != nil {
		t.Fatal(err)
	}

	signIn := func() *response {
		t.Helper()
		r := want(t, a.do(t, http.MethodPost, "/v1/sessions", "", map[string]string{"username": "weak.hash",
			"password": testUserPassword}), http.StatusCreated)
		if r.str("token") == "" || r.get("password_change_due") != true {
			t.Fatalf("sign-in of a password set seven months ago: %s", r.Body)
		}
		return r
	}
	first := signIn().str("token")

	got := a.rehashes(t, id.String())
	if len(got) != 1 {
		t.Fatalf("%d rehashes recorded, want 1", len(got))
	}
	if got[0] == old || fastHashing.NeedsRehash(got[0]) || !strings.HasPrefix(got[0], "$argon2id$v=19$") {
		t.Fatalf("the stored hash %q is not one under the node's parameters", got[0])
	}
	if ok, err := fastHashing.Verify(got[0], testUserPassword); err != nil || !ok {
		t.Fatalf("the new hash is not of the same password: %v %v", ok, err)
	}
	if n := len(a.passwordHashes(t, domain.OrganisationPasswordChangedType, id.String())); n != 0 {
		t.Fatalf("%d password changes recorded, want 0", n)
	}

	// The session the rehashing sign-in opened goes on.
	want(t, a.do(t, http.MethodGet, "/v1/users/me/mfa", first, nil), http.StatusOK)
	// Signing in again checks the new hash, still prompts for the change
	// of a seven-month-old password, and rehashes nothing more.
	second := signIn().str("token")
	want(t, a.do(t, http.MethodGet, "/v1/users/me/mfa", second, nil), http.StatusOK)
	want(t, a.do(t, http.MethodGet, "/v1/users/me/mfa", first, nil), http.StatusOK)
	if n := len(a.rehashes(t, id.String())); n != 1 {
		t.Fatalf("%d rehashes recorded after the second sign-in, want 1", n)
	}
	a.do(t, http.MethodPost, "/v1/sessions", "", map[string]string{"username": "weak.hash", "password": "Wrong#Password1"}).
		problem(t, http.StatusUnauthorized)
}
