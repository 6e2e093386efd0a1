package ledger

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// sampleEvents has one fully populated payload per event type, so a change
// to any payload's JSON shape shows up as a golden-file diff in review.
func sampleEvents() []domain.Event {
	id := func(n byte) uuid.UUID { return uuid.UUID{n, n, n, n, 0, 0, 0x40, 0, 0x80, 0, 0, 0, 0, 0, 0, n} }
	return []domain.Event{
		&domain.ReferralMade{ReferralID: id(1), FromOrganisationID: id(2), ToOrganisationID: id(3), ClientID: id(4),
			Urgent: true, Client: domain.Client{Name: "Client Name", DateOfBirth: "1980-02-03", Phone: "01234 567890",
				Email: "client@example.org", Address: "1 High Street"}, Reason: "reason text",
			Consent: &domain.Consent{Method: domain.ConsentWritten, Confirmed: true}, PrivacyNoticeGiven: true,
			ForwardedFrom: id(16), ForwardComment: "forward comment text"},
		&domain.ReferralAcknowledged{},
		&domain.ReferralAssigned{UserID: id(5)},
		&domain.ReferralNoteAdded{NoteID: id(6), ClientID: id(4), Text: "note text", AgreedCloseBy: "2026-12-01"},
		&domain.ReferralUrgencyDeclined{ClientID: id(4), Feedback: "feedback text"},
		&domain.ReferralClosed{ClientID: id(4), Outcome: domain.OutcomePositive, Comment: "comment text"},
		&domain.ReferralDeclined{ClientID: id(4), ReasonCode: domain.DeclineNoCapacity, Comment: "decline comment text"},
		&domain.ReferralForwarded{ClientID: id(4), ForwardedTo: id(16), ToOrganisationID: id(7), Comment: "forward comment text"},
		&domain.ReferralWithdrawn{ClientID: id(4), Reason: "withdraw reason text"},
		&domain.ReferralReopened{ClientID: id(4), Reason: "reopen reason text"},
		&domain.OrganisationRegistered{OrganisationID: id(7), Name: "Org", Description: "desc", AdminEmail: "admin@example.org",
			Services: []domain.Service{{Name: "Debt", Description: "debt advice"}}},
		&domain.OrganisationDirectoryUpdated{Name: "Org 2", Description: "desc 2", Services: []domain.Service{}},
		&domain.OrganisationAdminContactChanged{AdminEmail: "new@example.org"},
		&domain.OrganisationIntakeSwitchedOff{Reason: "full", ResumeOn: "2027-01-04"},
		&domain.OrganisationIntakeSwitchedOn{Reason: "space again"},
		&domain.OrganisationUserAdded{UserID: id(8), Username: "alice", DisplayName: "Alice", Email: "alice@example.org",
			Roles: []domain.Role{domain.RoleAdviser}, Team: "duty", PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"},
		&domain.OrganisationAccountClosed{UserID: id(8)},
		&domain.OrganisationPasswordChanged{UserID: id(8), PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdDI$aGFzaDI"},
		&domain.OrganisationPasswordRehashed{UserID: id(8), PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdDM$aGFzaDM"},
		&domain.UsernameReserved{UserID: id(8), OrganisationID: id(7)},
		&domain.UsernameReleased{UserID: id(8)},
		&domain.NetworkCoordinatorChanged{UserID: id(8), OrganisationID: id(7), Holds: true},
		&domain.OrganisationUserDetailsChanged{UserID: id(8), DisplayName: "Alice B", Email: "alice.b@example.org"},
		&domain.OrganisationUserRolesChanged{UserID: id(8), Roles: []domain.Role{domain.RoleAdviser, domain.RoleTeamManager}, Team: "t2"},
		&domain.OrganisationUserMFAEnrolled{UserID: id(8), Method: domain.MFAMethodTOTP},
		&domain.OrganisationUserMFAReset{UserID: id(8)},
		&domain.OrganisationMFARequirementChanged{Required: true},
		&domain.OrganisationNameReserved{OrganisationID: id(7)},
		&domain.CheckpointSigned{Origin: "referrals.example.org/ledger", TreeSize: 1234, RootHash: "PlBq4SWmSu0nWsHWawVgFdHDtxrPFcRUeodsgIxw9Gw=",
			Note: "referrals.example.org/ledger\n1234\nPlBq4SWmSu0nWsHWawVgFdHDtxrPFcRUeodsgIxw9Gw=\ntime 2026-12-06T05:00:00Z\n\n— referrals.example.org/ledger AAAA\n"},
		&domain.OrganisationNameReleased{OrganisationID: id(7)},
		&domain.ClientErasureRequested{RequestID: id(9), ClientID: id(4), Reason: "erasure reason"},
		&domain.ClientErasureRefused{RequestID: id(9), ClientID: id(4), Reason: "legal hold"},
		&domain.ClientErasureStarted{RequestID: id(9), Reason: "retention"},
		&domain.ClientErased{RequestID: id(9)},
		&domain.ClientSubjectAccessExported{ExportID: id(10)},
		&domain.LockRequested{RequestID: id(11), ClientID: id(4), ResponsibleUserID: id(8), Reason: "lock reason",
			Allow: []domain.Party{{UserID: id(5)}, {Team: "duty"}, {Team: "outreach", OrganisationID: id(7)}}, Deny: []domain.Party{{Role: domain.RoleEmergencyDuty}},
			HideNotification: true, SeriousCaseReview: true},
		&domain.LockApproved{RequestID: id(11), ClientID: id(4), Reason: "approval reason"},
		&domain.LockRefused{RequestID: id(11), ClientID: id(4), Reason: "refusal reason"},
		&domain.TemporaryAccessGranted{GrantID: id(12), ClientID: id(4), UserID: id(5),
			ExpiresAt: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC), Reason: "grant reason"},
		&domain.TemporaryAccessEnded{GrantID: id(12)},
		&domain.LockReviewed{ReviewID: id(13), ClientID: id(4), KeepLocked: true, Notes: "review notes"},
		&domain.UnlockRequested{RequestID: id(14), ClientID: id(4), Reason: "unlock reason"},
		&domain.UnlockApproved{RequestID: id(14), ClientID: id(4), Reason: "unlock approval reason"},
		&domain.UnlockRefused{RequestID: id(14), ClientID: id(4), Reason: "keep it"},
		&domain.SeriousCaseReviewCompleted{},
		&domain.LockRequestWithdrawn{RequestID: id(14), ClientID: id(4), Reason: "withdrawal reason"},
		&domain.MessageForResponsiblePerson{MessageID: id(15), ClientID: id(4), ChildProtection: true, Text: "message text"},
		&domain.AccessRecorded{ClientID: id(4), ReferralID: id(1), Endpoint: "GET /v1/referrals/:id", Grant: "responsible", Locked: true,
			Reason: "access reason"},
	}
}

// TestCodecAccessRecordedBeforeReason_LOCK9 (R-LOCK-9): an access-log
// event stored before the optional reason existed decodes as before, with
// no reason; one with a reason keeps it sealed, never in the clear.
func TestCodecAccessRecordedBeforeReason_LOCK9(t *testing.T) {
	old, err := os.ReadFile(filepath.Join("testdata", "events", "access.recorded.v1-before-reason.json"))
	if err != nil {
		t.Fatal(err)
	}
	codec := NewCodec(newMemKeys())
	rec, err := codec.Decode(context.Background(), eventstore.RecordedEvent{ID: uuid.New(), Type: domain.AccessRecordedType, SchemaVersion: 1, Data: old})
	if err != nil {
		t.Fatal(err)
	}
	e, ok := rec.Event.(*domain.AccessRecorded)
	if !ok || e.Reason != "" || !e.Locked || e.Endpoint != "GET /v1/referrals/:id" || rec.Erased {
		t.Fatalf("old access event decoded as %#v (erased %v)", rec.Event, rec.Erased)
	}
	withReason := &domain.AccessRecorded{ClientID: e.ClientID, Endpoint: "GET /v1/clients/:id/subject-access", Grant: "subject_access",
		Locked: true, Reason: "marker reason"}
	data, err := codec.Encode(context.Background(), uuid.New(), withReason, eventstore.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data.Data, []byte("marker")) {
		t.Fatalf("the reason is stored in the clear: %s", data.Data)
	}
}

// TestCodecLockApprovedBeforeReason_LOCK1 (R-LOCK-1, R-LOCK-6): a lock
// or unlock approval stored before approvals kept their reason (no client
// id, no reason) decodes as before and is stored again the same way,
// needing no key; one with a reason keeps it sealed, never in the clear.
func TestCodecLockApprovedBeforeReason_LOCK1(t *testing.T) {
	old, err := os.ReadFile(filepath.Join("testdata", "events", "client.lock_approved.v1-before-reason.json"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	codec := NewCodec(newMemKeys())
	for _, typ := range []string{domain.LockApprovedType, domain.UnlockApprovedType} {
		rec, err := codec.Decode(ctx, eventstore.RecordedEvent{ID: uuid.New(), Type: typ, SchemaVersion: 1, Data: old})
		if err != nil {
			t.Fatal(err)
		}
		again, err := NewPublicCodec().Encode(ctx, uuid.New(), rec.Event, eventstore.Metadata{})
		if err != nil || !bytes.Equal(compactJSON(t, old), again.Data) {
			t.Fatalf("old %s stored again as %s, %v; want %s", typ, again.Data, err, compactJSON(t, old))
		}
	}
	for _, ev := range []domain.Event{&domain.LockApproved{RequestID: uuid.New(), ClientID: uuid.New(), Reason: "marker reason"},
		&domain.UnlockApproved{RequestID: uuid.New(), ClientID: uuid.New(), Reason: "marker reason"}} {
		data, err := codec.Encode(ctx, uuid.New(), ev, eventstore.Metadata{})
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data.Data, []byte("marker")) {
			t.Fatalf("the reason is stored in the clear: %s", data.Data)
		}
	}
}

// compactJSON is data without its insignificant white space.
func compactJSON(t *testing.T, data []byte) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, data); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestCodecReferralMadeBeforeForward_REF10 (R-REF-10): a referral made
// before forwarding existed (no forwarded_from, no forward comment) decodes
// as a referral made afresh; a forwarded one keeps its comment sealed.
func TestCodecReferralMadeBeforeForward_REF10(t *testing.T) {
	old, err := os.ReadFile(filepath.Join("testdata", "events", "referral.made.v1-before-forward.json"))
	if err != nil {
		t.Fatal(err)
	}
	codec := NewCodec(newMemKeys())
	rec, err := codec.Decode(context.Background(), eventstore.RecordedEvent{ID: uuid.New(), Type: domain.ReferralMadeType, SchemaVersion: 1, Data: old})
	if err != nil {
		t.Fatal(err)
	}
	e, ok := rec.Event.(*domain.ReferralMade)
	if !ok || e.ForwardedFrom != uuid.Nil || e.ForwardComment != "" || e.ClientID == uuid.Nil || rec.Erased {
		t.Fatalf("old referral.made decoded as %#v (erased %v)", rec.Event, rec.Erased)
	}
	forwarded := *e
	forwarded.ForwardedFrom, forwarded.ForwardComment = uuid.New(), "marker comment"
	data, err := codec.Encode(context.Background(), uuid.New(), &forwarded, eventstore.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data.Data, []byte("marker")) || !bytes.Contains(data.Data, []byte(forwarded.ForwardedFrom.String())) {
		t.Fatalf("the forward comment is stored in the clear, or the link is not: %s", data.Data)
	}
}

// TestCodecGolden pins every event type's stored JSON (schema version 1)
// and checks it decodes back to the same payload. Run with -update after a
// deliberate change, and add an upcaster for the old shape.
func TestCodecGolden(t *testing.T) {
	codec := NewCodec(newMemKeys())
	seen := map[string]bool{}
	for _, ev := range sampleEvents() {
		t.Run(ev.EventType(), func(t *testing.T) {
			seen[ev.EventType()] = true
			meta := eventstore.Metadata{ActorUserID: uuid.NewString(), RecordedAt: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
			data, err := codec.Encode(context.Background(), uuid.New(), ev, meta)
			if err != nil {
				t.Fatal(err)
			}
			if data.Type != ev.EventType() || data.SchemaVersion != domain.SchemaVersion {
				t.Fatalf("type/version = %s/%d", data.Type, data.SchemaVersion)
			}
			// The golden file pins the payload's shape before sealing; the
			// stored form differs per write (random nonces).
			plain, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, plain, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			golden := filepath.Join("testdata", "events", ev.EventType()+".v1.json")
			if *update {
				if err := os.WriteFile(golden, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./ledger -update to create it)", err)
			}
			if !bytes.Equal(want, pretty.Bytes()) {
				t.Errorf("stored JSON of %s changed:\n got %s\nwant %s", ev.EventType(), pretty.Bytes(), want)
			}
			// What was stored decodes to the payload.
			rec, err := codec.Decode(context.Background(), eventstore.RecordedEvent{ID: data.ID, Type: data.Type, SchemaVersion: 1, Data: data.Data, Metadata: meta})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(rec.Event, ev) {
				t.Errorf("decoded %#v, want %#v", rec.Event, ev)
			}
			if rec.At != meta.RecordedAt || rec.ActorUserID.String() != meta.ActorUserID {
				t.Errorf("envelope not carried: %+v", rec)
			}
		})
	}
	for _, typ := range domain.EventTypes() {
		if !seen[typ] {
			t.Errorf("event type %s has no golden sample", typ)
		}
	}
}

func TestCodecRefusesUnknownTypesAndNewerSchemas(t *testing.T) {
	codec := NewCodec(newMemKeys())
	cases := map[string]eventstore.RecordedEvent{
		"ErrUnknownType":   {Type: "referral.teleported", SchemaVersion: 1, Data: []byte(`{}`)},
		"ErrNewerSchema":   {Type: domain.ReferralAcknowledgedType, SchemaVersion: domain.SchemaVersion + 1, Data: []byte(`{}`)},
		"ErrZeroSchema":    {Type: domain.ReferralAcknowledgedType, SchemaVersion: 0, Data: []byte(`{}`)},
		"ErrMalformedData": {Type: domain.ReferralClosedType, SchemaVersion: 1, Data: []byte(`{"outcome":`)},
	}
	for name, rec := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := codec.Decode(context.Background(), rec); err == nil {
				t.Fatal("decoded, want an error")
			}
		})
	}
}

// FuzzDecode feeds arbitrary stored events to the decoder: it must never
// panic, and whatever it accepts must re-encode to a payload that decodes
// to the same value.
func FuzzDecode(f *testing.F) {
	codec := NewCodec(newMemKeys())
	for _, ev := range sampleEvents() {
		data, err := json.Marshal(ev)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(ev.EventType(), 1, data)
	}
	f.Add("referral.made", 1, []byte(`{"consent":null,"client":{"name":1}}`))
	f.Add("organisation.user_added", 2, []byte(`{}`))
	f.Fuzz(func(t *testing.T, typ string, version int, data []byte) {
		rec, err := codec.Decode(context.Background(), eventstore.RecordedEvent{Type: typ, SchemaVersion: version, Data: data})
		if err != nil {
			return
		}
		again, err := json.Marshal(rec.Event)
		if err != nil {
			t.Fatalf("accepted %s but cannot re-encode it: %v", typ, err)
		}
		rec2, err := codec.Decode(context.Background(), eventstore.RecordedEvent{Type: typ, SchemaVersion: domain.SchemaVersion, Data: again})
		if err != nil {
			t.Fatalf("re-encoded %s does not decode: %v", typ, err)
		}
		if !reflect.DeepEqual(rec.Event, rec2.Event) {
			t.Fatalf("round trip changed %s: %#v vs %#v", typ, rec.Event, rec2.Event)
		}
	})
}

// TestCodecAccessRecordedWithoutReasonStoredAsBefore_Issue14 (R-LOCK-9,
// the hash chain covers stored bytes): the record of a read given no
// reason, encoded in one step, is byte for byte what the general path
// (encode, then move the sensitive members into a box) stores.
func TestCodecAccessRecordedWithoutReasonStoredAsBefore_Issue14(t *testing.T) {
	c := NewCodec(newMemKeys())
	ctx := context.Background()
	client, referral := uuid.New(), uuid.New()
	for _, ev := range []domain.AccessRecorded{
		{ClientID: client, ReferralID: referral, Endpoint: "GET /v1/referrals/:id", Grant: "organisation"},
		{ClientID: client, Endpoint: "GET /v1/clients/:id/<history>&\"x\"", Grant: "coordinator", Locked: true},
		{ClientID: client, ReferralID: referral, Endpoint: "page \u2028 é \x01", Grant: ""},
	} {
		id := uuid.New()
		got, err := c.Encode(ctx, id, &ev, eventstore.Metadata{})
		if err != nil {
			t.Fatal(err)
		}
		plain, err := json.Marshal(&ev)
		if err != nil {
			t.Fatal(err)
		}
		want, err := c.seal(ctx, id, client, plain, sensitiveFields(&ev))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Data, want) {
			t.Errorf("stored\n %s\nwant\n %s", got.Data, want)
		}
		if got.ID != id || got.Type != domain.AccessRecordedType || got.SchemaVersion != domain.SchemaVersion {
			t.Errorf("envelope %v %q %d", got.ID, got.Type, got.SchemaVersion)
		}
		back, err := c.Decode(ctx, eventstore.RecordedEvent{ID: id, Type: got.Type, SchemaVersion: got.SchemaVersion, Data: got.Data})
		if err != nil {
			t.Fatal(err)
		}
		if a, ok := back.Event.(*domain.AccessRecorded); !ok || *a != ev {
			t.Errorf("decoded %+v, want %+v", back.Event, ev)
		}
	}
}
