package domain_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// TestCaseNotes_LOCK4: a grant of short-term access records its reason as
// a note on the client's case (R-LOCK-4), with who granted it, when, whom
// it let in and for how long; the note outlives the lock, loses its text
// when the client's data is erased (R-PRIV-3), and shows on the referrals
// the granting organisation made or received by then, never on one
// between other organisations (R-AUTH-4).
func TestCaseNotes_LOCK4(t *testing.T) {
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	client, orgA, orgB, orgC := uuid.New(), uuid.New(), uuid.New(), uuid.New()
	responsible := domain.Actor{UserID: uuid.New(), OrganisationID: orgB, Roles: []domain.Role{domain.RoleAdviser}}
	grantee := domain.User{ID: uuid.New(), OrganisationID: orgB, Roles: []domain.Role{domain.RoleAdviser}}
	unlock := uuid.New()
	c := domain.ClientRecord{ID: client, Lock: domain.Lock{Status: domain.LockLocked, ResponsibleUserID: responsible.UserID,
		OwningOrganisationID: orgB, UnlockRequestID: unlock}}
	evs, err := domain.DecideTemporaryAccess(c, responsible, domain.GrantTemporaryAccess{GrantID: uuid.New(), Grantee: grantee,
		Reason: "covering a home visit", Hours: 3}, at)
	if err != nil {
		t.Fatal(err)
	}
	g := evs[0].(*domain.TemporaryAccessGranted)
	c = domain.EvolveClient(c, domain.Recorded{Event: g, At: at, ActorUserID: responsible.UserID, ActorOrganisationID: orgB, Revision: 5})
	want := domain.CaseNote{ID: g.GrantID, Text: "covering a home visit", At: at, ActorUserID: responsible.UserID,
		ActorOrganisationID: orgB, GranteeUserID: grantee.ID, ExpiresAt: at.Add(3 * time.Hour)}
	if len(c.CaseNotes) != 1 || c.CaseNotes[0] != want || c.CaseNotes[0].Hours() != 3 {
		t.Fatalf("case notes %+v, want %+v", c.CaseNotes, want)
	}

	ref := func(from, to uuid.UUID, made time.Time) domain.Referral {
		return domain.Referral{ID: uuid.New(), Exists: true, ClientID: client, FromOrganisationID: from, ToOrganisationID: to, MadeAt: made}
	}
	for _, tc := range []struct {
		name  string
		r     domain.Referral
		shown bool
	}{
		{"made to the granting organisation", ref(orgA, orgB, at.Add(-time.Hour)), true},
		{"made by it", ref(orgB, orgC, at.Add(-time.Hour)), true},
		{"made in the same instant", ref(orgA, orgB, at), true},
		{"between other organisations", ref(orgA, orgC, at.Add(-time.Hour)), false},
		{"made after the grant", ref(orgA, orgB, at.Add(time.Hour)), false},
		{"another client's", domain.Referral{Exists: true, ClientID: uuid.New(), FromOrganisationID: orgA, ToOrganisationID: orgB}, false},
	} {
		if got := c.CaseNotesOn(tc.r, responsible, true); (len(got) == 1) != tc.shown || tc.shown && got[0] != want {
			t.Errorf("%s: %+v", tc.name, got)
		}
	}

	// With no lock in force (lifted), the note shows only to the
	// organisation that wrote it, the person it let in and the
	// network-wide roles: staff the lock kept out learn nothing of it
	// afterwards (R-LOCK-12).
	made := ref(orgA, orgB, at.Add(-time.Hour))
	for _, tc := range []struct {
		name   string
		reader domain.Actor
		shown  bool
	}{
		{"the granting organisation", domain.Actor{UserID: uuid.New(), OrganisationID: orgB, Roles: []domain.Role{domain.RoleAdviser}}, true},
		{"the grantee", domain.Actor{UserID: grantee.ID, OrganisationID: orgB, Roles: []domain.Role{domain.RoleAdviser}}, true},
		{"an auditor", domain.Actor{UserID: uuid.New(), OrganisationID: orgC, Roles: []domain.Role{domain.RoleAuditor}}, true},
		{"the other organisation", domain.Actor{UserID: uuid.New(), OrganisationID: orgA, Roles: []domain.Role{domain.RoleAdviser}}, false},
	} {
		if got := c.CaseNotesOn(made, tc.reader, false); (len(got) == 1) != tc.shown {
			t.Errorf("no lock in force, %s: %+v", tc.name, got)
		}
		if got := c.CaseNotesOn(made, tc.reader, true); len(got) != 1 {
			t.Errorf("through a lock in force, %s: %+v", tc.name, got)
		}
	}

	// Unlocked: the lock and its grants are gone, the note stays.
	sm := domain.Actor{UserID: uuid.New(), OrganisationID: orgB}
	unlocked := domain.EvolveClient(c, domain.Recorded{Event: &domain.UnlockApproved{RequestID: unlock}, At: at.Add(time.Hour), ActorUserID: sm.UserID})
	if unlocked.Lock.Status != domain.LockNone || len(unlocked.CaseNotes) != 1 || unlocked.CaseNotes[0] != want {
		t.Fatalf("after unlock: lock %+v, notes %+v", unlocked.Lock, unlocked.CaseNotes)
	}
	// Erased: the note stays without its text; the state it came from
	// keeps its own.
	erased := domain.EvolveClient(unlocked, domain.Recorded{Event: &domain.ClientErased{RequestID: uuid.New()}, At: at.Add(2 * time.Hour)})
	blank := want
	blank.Text = ""
	if len(erased.CaseNotes) != 1 || erased.CaseNotes[0] != blank {
		t.Fatalf("after erasure: %+v", erased.CaseNotes)
	}
	if unlocked.CaseNotes[0].Text != want.Text {
		t.Fatal("erasing changed the notes of the state folded before it")
	}
}
