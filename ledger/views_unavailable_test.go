package ledger

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
)

// unreadableCases is a clients index whose look-ups fail, as on views
// that cannot be read; it holds no lock.
type unreadableCases struct{}

func (unreadableCases) OrganisationKnowsClient(uuid.UUID, uuid.UUID) (bool, error) {
	return false, errViews
}
func (unreadableCases) ReferralsOf(uuid.UUID) ([]uuid.UUID, error) { return nil, errViews }
func (unreadableCases) LockOf(uuid.UUID) domain.Lock               { return domain.Lock{} }
func (unreadableCases) ClientOfErasureRequest(uuid.UUID) (uuid.UUID, bool, error) {
	return uuid.Nil, false, errViews
}
func (unreadableCases) ClientOfLockRequest(uuid.UUID) (uuid.UUID, bool, bool, error) {
	return uuid.Nil, false, false, errViews
}

// noCases is a clients index, read, that holds no client.
type noCases struct{}

func (noCases) OrganisationKnowsClient(uuid.UUID, uuid.UUID) (bool, error) { return false, nil }
func (noCases) ReferralsOf(uuid.UUID) ([]uuid.UUID, error)                 { return nil, nil }
func (noCases) LockOf(uuid.UUID) domain.Lock                               { return domain.Lock{} }

// TestCaseChecksUnavailableWhenViewsUnreadable_OPS4: the checks that let
// a caller at a client's case (does their organisation know the client,
// has the client any referral, which client an erasure or lock request
// is about)
// read "no" from views that could not be read. The caller was then told
// the client, or the request, does not exist (404), or a message's text
// was dropped as for an unknown id. Each is now Unavailable (503), the
// views' error kept as the cause, and nothing is recorded.
func TestCaseChecksUnavailableWhenViewsUnreadable_OPS4(t *testing.T) {
	store, svc := viewsTestService(t)
	ctx := context.Background()
	org, client := uuid.New(), uuid.New()
	actor := func(roles ...domain.Role) domain.Actor {
		return domain.Actor{UserID: uuid.New(), OrganisationID: org, Roles: roles}
	}
	adviser, manager, coordinator := actor(domain.RoleAdviser), actor(domain.RoleTeamManager), actor(domain.RoleCoordinator)
	idx := unreadableCases{}
	checks := map[string]func() error{
		"MayRequestErasure": func() error { return svc.MayRequestErasure(adviser, client, idx) },
		"RequestErasure": func() error {
			_, _, err := svc.RequestErasure(ctx, adviser, client, "the client asked", idx)
			return err
		},
		"MayRequestLock": func() error { return svc.MayRequestLock(ctx, manager, client, idx) },
		"AccessLog (network-wide)": func() error {
			_, err := svc.AccessLog(ctx, coordinator, client, idx)
			return err
		},
		"AccessLog (an organisation)": func() error {
			_, err := svc.AccessLog(ctx, adviser, client, idx)
			return err
		},
		"CheckSubjectAccess": func() error { return svc.CheckSubjectAccess(ctx, coordinator, client, "", idx) },
		"SubjectAccess": func() error {
			_, err := svc.SubjectAccess(ctx, coordinator, client, "", idx)
			return err
		},
		"DecideErasure": func() error {
			_, err := svc.DecideErasure(ctx, coordinator, uuid.New(), false, "a legal hold", idx, &shredLog{})
			return err
		},
		"MakeReferral (an existing client)": func() error {
			_, _, err := svc.MakeReferral(ctx, adviser, domain.MakeReferral{ClientID: client, ToOrganisationID: uuid.New()}, idx)
			return err
		},
		"SendMessage": func() error {
			_, err := svc.SendMessage(ctx, adviser, client, "the client has moved", false, idx)
			return err
		},
		"DecideLockRequest": func() error {
			_, _, _, err := svc.DecideLockRequest(ctx, actor(domain.RoleServiceManager), uuid.New(), true, "", idx, noCases{})
			return err
		},
		"WithdrawLockRequest": func() error {
			_, _, _, err := svc.WithdrawLockRequest(ctx, manager, uuid.New(), "", idx, noCases{})
			return err
		},
		"LockRequest": func() error {
			_, err := svc.LockRequest(ctx, manager, uuid.New(), idx, noCases{})
			return err
		},
		"LockRequestDecision": func() error {
			_, err := svc.LockRequestDecision(ctx, actor(domain.RoleServiceManager), uuid.New(), idx)
			return err
		},
		"Messages": func() error {
			_, err := svc.Messages(ctx, adviser, client, idx)
			return err
		},
	}
	for name, check := range checks {
		t.Run(name, func(t *testing.T) {
			err := check()
			if domain.ErrorCode(err) != domain.Unavailable || !errors.Is(err, errViews) {
				t.Fatalf("%s on views that cannot be read = %v; want Unavailable with the views' error", name, err)
			}
		})
	}
	if head, err := store.Head(ctx); err != nil || head != 0 {
		t.Fatalf("the log's head after checks on views that cannot be read = %d, %v; want nothing recorded", head, err)
	}
}

// TestErasureDecisionRefusedBeforeViewsRead_PRIV2: only the coordinator
// decides erasure requests. Anyone else is refused (403) whether or not
// the views can be read: before, views that could not be read answered
// them 503, as if they might have decided once the views came back.
func TestErasureDecisionRefusedBeforeViewsRead_PRIV2(t *testing.T) {
	store, svc := viewsTestService(t)
	ctx := context.Background()
	for _, role := range []domain.Role{domain.RoleAdviser, domain.RoleOrgLead, domain.RoleAuditor} {
		actor := domain.Actor{UserID: uuid.New(), OrganisationID: uuid.New(), Roles: []domain.Role{role}}
		for name, idx := range map[string]ErasureIndex{"unreadable": unreadableCases{}, "no request": noErasureRequests{}} {
			_, err := svc.DecideErasure(ctx, actor, uuid.New(), true, "", idx, &shredLog{})
			if domain.ErrorCode(err) != domain.Forbidden {
				t.Errorf("%s deciding an erasure request, views %s: %v; want Forbidden", role, name, err)
			}
		}
	}
	coordinator := domain.Actor{UserID: uuid.New(), OrganisationID: uuid.New(), Roles: []domain.Role{domain.RoleCoordinator}}
	if _, err := svc.DecideErasure(ctx, coordinator, uuid.New(), true, "", noErasureRequests{}, &shredLog{}); domain.ErrorCode(err) != domain.NotFound {
		t.Errorf("the coordinator deciding no request: %v; want NotFound", err)
	}
	if head, err := store.Head(ctx); err != nil || head != 0 {
		t.Fatalf("the log's head after refused decisions = %d, %v; want nothing recorded", head, err)
	}
}

// viewsTestService is a service on a new SQLite store, with its keys in
// memory.
func viewsTestService(t *testing.T) (*sqlite.Store, *Service) {
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store, NewService(store, NewCodec(newMemKeys()), time.Now, uuid.New)
}

// noErasureRequests is a clients index, read, that holds no erasure
// request.
type noErasureRequests struct{}

func (noErasureRequests) ClientOfErasureRequest(uuid.UUID) (uuid.UUID, bool, error) {
	return uuid.Nil, false, nil
}

// unreadableReferences cannot tell whether a reference is taken.
type unreadableReferences struct{}

func (unreadableReferences) ReferenceTaken(domain.Reference, uuid.UUID) (bool, error) {
	return false, errViews
}

// TestNewReferralUnavailableWhenReferencesUnreadable_REF13: a new
// referral's id is drawn until its reference is free. When the references
// taken could not be read every reference was free, so a referral could
// be made, or forwarded, with a reference another holds. No referral is
// made now: the answer is Unavailable, the views' error kept.
func TestNewReferralUnavailableWhenReferencesUnreadable_REF13(t *testing.T) {
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	svc := NewService(store, NewCodec(newMemKeys()), time.Now, uuid.New)
	svc.SetReferences(unreadableReferences{})
	ctx := context.Background()
	adviser := domain.Actor{UserID: uuid.New(), OrganisationID: uuid.New(), Roles: []domain.Role{domain.RoleAdviser}}
	_, _, err = svc.MakeReferral(ctx, adviser, domain.MakeReferral{ToOrganisationID: uuid.New(),
		Client: domain.Client{Name: "Ada Lovelace", DateOfBirth: "1815-12-10"}}, nil)
	if domain.ErrorCode(err) != domain.Unavailable || !errors.Is(err, errViews) {
		t.Fatalf("MakeReferral when the references cannot be read = %v; want Unavailable with the views' error", err)
	}
	_, _, err = svc.Forward(ctx, adviser, uuid.New(), domain.ForwardReferral{ToOrganisationID: uuid.New()})
	if domain.ErrorCode(err) != domain.Unavailable || !errors.Is(err, errViews) {
		t.Fatalf("Forward when the references cannot be read = %v; want Unavailable with the views' error", err)
	}
	if _, _, _, err := svc.EarlierReferral(WithIdempotencyKey(ctx, []byte("a request"))); domain.ErrorCode(err) != domain.Unavailable {
		t.Fatalf("EarlierReferral when the references cannot be read = %v; want Unavailable", err)
	}
	if head, err := store.Head(ctx); err != nil || head != 0 {
		t.Fatalf("the log's head = %d, %v; want nothing recorded", head, err)
	}
}
