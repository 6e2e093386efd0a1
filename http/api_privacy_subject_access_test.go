package http

import (
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// subjectAccessExport is GET /v1/clients/{id}/subject-access as the tests
// read it.
type subjectAccessExport struct {
	ExportID   string `json:"export_id"`
	ClientID   string `json:"client_id"`
	ExportedAt string `json:"exported_at"`
	Erased     bool   `json:"erased"`
	Referrals  []struct {
		ReferralID string          `json:"referral_id"`
		Verified   bool            `json:"verified"`
		Events     []exportedEvent `json:"events"`
		State      map[string]any  `json:"state"`
	} `json:"referrals"`
	Events []exportedEvent `json:"events"`
}

// exportedEvent is one event of an export, with its payload.
type exportedEvent struct {
	Type  string `json:"type"`
	At    string `json:"at"`
	Actor struct {
		UserID         *string `json:"user_id"`
		OrganisationID *string `json:"organisation_id"`
	} `json:"actor"`
	Data   map[string]any `json:"data"`
	Erased bool           `json:"erased"`
}

func eventTypes(events []exportedEvent) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.Type
	}
	return out
}

// TestSubjectAccess exports everything held about a client (R-PRIV-6):
// every referral naming them, decrypted, with notes, times and the
// organisations that acted, and their erasure requests; only the
// coordinator may, and every export is itself recorded. After erasure the
// export shows the data as erased.
func TestSubjectAccess(t *testing.T) {
	n := newNetwork(t)
	client := n.clientOf(t, n.Referral)
	path := "/v1/clients/" + client + "/subject-access"
	want(t, n.do(t, http.MethodPost, "/v1/referrals/"+n.Referral+"/notes", n.AdviserB.Token,
		map[string]any{"text": "Spoke to the client's sister."}), http.StatusCreated)
	n.Clock.Advance(time.Hour)
	second := n.makeReferralWith(t, n.AdviserA.Token, map[string]any{
		"to_organisation_id": n.OrgC, "client": map[string]any{"client_id": client},
		"reason": "Debt advice as well.", "consent": map[string]any{"method": "verbal", "confirmed": true},
		"privacy_notice_given": true,
	})
	request := want(t, n.requestErasure(t, n.AdviserA.Token, client, "Asked by email."), http.StatusCreated).str("id")
	want(t, n.decideErasure(t, n.Admin.Token, request, false, "Legal hold: a claim is open."), http.StatusOK)
	other := n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Other")

	export := func(tb testing.TB) subjectAccessExport {
		tb.Helper()
		r := want(tb, n.do(tb, http.MethodGet, path, n.Admin.Token, nil), http.StatusOK)
		var x subjectAccessExport
		decodeInto(tb, r, &x)
		if _, err := uuid.Parse(x.ExportID); err != nil || x.ClientID != client {
			tb.Fatalf("export ids: %s", r.Body)
		}
		if x.ExportedAt != n.Clock.Now().Format(time.RFC3339) {
			tb.Errorf("exported_at %q, want %q", x.ExportedAt, n.Clock.Now().Format(time.RFC3339))
		}
		var ids []string
		for _, ref := range x.Referrals {
			ids = append(ids, ref.ReferralID)
			if !ref.Verified {
				tb.Errorf("referral %s does not verify in the export", ref.ReferralID)
			}
		}
		if !reflect.DeepEqual(ids, []string{n.Referral, second}) {
			tb.Fatalf("exported referrals %v, want %v (and never %s)", ids, []string{n.Referral, second}, other)
		}
		return x
	}

	var first subjectAccessExport
	t.Run("Decrypted", func(t *testing.T) {
		x := export(t)
		first = x
		if x.Erased {
			t.Errorf("export says erased before any erasure")
		}
		r1, r2 := x.Referrals[0], x.Referrals[1]
		if got := eventTypes(r1.Events); !reflect.DeepEqual(got, []string{domain.ReferralMadeType, domain.ReferralNoteAddedType}) {
			t.Fatalf("first referral's events %v", got)
		}
		made, note := r1.Events[0], r1.Events[1]
		if c, _ := made.Data["client"].(map[string]any); c["name"] != "Client Zero" || c["phone"] != "+44 20 7946 0000" ||
			made.Data["reason"] != "Needs help with housing." || made.Erased {
			t.Errorf("referral.made not decrypted: %v", made.Data)
		}
		if note.Data["text"] != "Spoke to the client's sister." || note.Erased {
			t.Errorf("note not decrypted: %v", note.Data)
		}
		for _, e := range []struct {
			ev  exportedEvent
			org string
		}{{made, n.OrgA}, {note, n.OrgB}} {
			if e.ev.At == "" || e.ev.Actor.OrganisationID == nil || *e.ev.Actor.OrganisationID != e.org {
				t.Errorf("%s: at %q, actor organisation %v, want %s", e.ev.Type, e.ev.At, e.ev.Actor.OrganisationID, e.org)
			}
		}
		if c, _ := r1.State["client"].(map[string]any); c["name"] != "Client Zero" || r1.State["erased"] != false {
			t.Errorf("first referral's state: %v", r1.State)
		}
		if notes, _ := r1.State["notes"].([]any); len(notes) != 1 || notes[0].(map[string]any)["text"] != "Spoke to the client's sister." {
			t.Errorf("first referral's notes: %v", r1.State["notes"])
		}
		if r2.State["reason"] != "Debt advice as well." || r2.State["to_organisation_id"] != n.OrgC {
			t.Errorf("second referral's state: %v", r2.State)
		}

		wantTypes := []string{domain.ClientErasureRequestedType, domain.ClientErasureRefusedType, domain.ClientSubjectAccessExportedType}
		if got := eventTypes(x.Events); !reflect.DeepEqual(got, wantTypes) {
			t.Fatalf("client events %v, want %v", got, wantTypes)
		}
		if x.Events[0].Data["reason"] != "Asked by email." || *x.Events[0].Actor.OrganisationID != n.OrgA {
			t.Errorf("erasure request not decrypted: %+v", x.Events[0])
		}
		if x.Events[1].Data["reason"] != "Legal hold: a claim is open." {
			t.Errorf("refusal not decrypted: %+v", x.Events[1])
		}
		if got := x.Events[2].Data["export_id"]; got != x.ExportID {
			t.Errorf("the recorded export names %v, the export is %s", got, x.ExportID)
		}
		if got := n.countEvents(t, domain.ClientSubjectAccessExportedType); got != 1 {
			t.Errorf("%d exports recorded, want 1", got)
		}
	})

	t.Run("EveryExportRecorded", func(t *testing.T) {
		x := export(t)
		if x.ExportID == first.ExportID {
			t.Errorf("two exports share id %s", x.ExportID)
		}
		if got := n.countEvents(t, domain.ClientSubjectAccessExportedType); got != 2 {
			t.Errorf("%d exports recorded, want 2", got)
		}
		if len(x.Events) != 4 || x.Events[3].Data["export_id"] != x.ExportID {
			t.Errorf("client events after the second export: %v", eventTypes(x.Events))
		}
	})

	t.Run("OnlyTheCoordinator", func(t *testing.T) {
		before := n.head(t)
		for _, u := range []testUser{n.AdviserA, n.LeadA, n.AdviserB, n.LeadB, n.HelpdeskB, n.AdviserC, n.Auditor} {
			n.do(t, http.MethodGet, path, u.Token, nil).problem(t, http.StatusForbidden)
		}
		n.do(t, http.MethodGet, "/v1/clients/"+uuid.NewString()+"/subject-access", n.Admin.Token, nil).problem(t, http.StatusNotFound)
		n.do(t, http.MethodGet, "/v1/clients/not-a-uuid/subject-access", n.Admin.Token, nil).problem(t, http.StatusBadRequest)
		n.do(t, http.MethodGet, path, "", nil).problem(t, http.StatusUnauthorized)
		if after := n.head(t); after != before {
			t.Errorf("refused exports were recorded: head %d → %d", before, after)
		}
	})

	t.Run("AfterErasure", func(t *testing.T) {
		request := want(t, n.requestErasure(t, n.AdviserB.Token, client, "Asked again, no hold now."), http.StatusCreated).str("id")
		want(t, n.decideErasure(t, n.Admin.Token, request, true, ""), http.StatusOK)
		x := export(t)
		if !x.Erased {
			t.Errorf("export after erasure does not say erased")
		}
		made, note := x.Referrals[0].Events[0], x.Referrals[0].Events[1]
		if made.Data["client"] != nil || made.Data["reason"] != nil || made.Data["erased"] != true || !made.Erased {
			t.Errorf("referral.made after erasure: %v", made.Data)
		}
		if note.Data["text"] != nil || !note.Erased {
			t.Errorf("note after erasure: %v", note.Data)
		}
		for _, ref := range x.Referrals {
			if c, _ := ref.State["client"].(map[string]any); c["name"] != nil || c["erased"] != true ||
				ref.State["reason"] != nil || ref.State["erased"] != true {
				t.Errorf("referral %s state after erasure: %v", ref.ReferralID, ref.State)
			}
		}
		for _, e := range x.Events {
			switch e.Type {
			case domain.ClientErasureRequestedType, domain.ClientErasureRefusedType:
				if e.Data["reason"] != nil || !e.Erased {
					t.Errorf("%s after erasure: %v", e.Type, e.Data)
				}
			}
		}
		wantTail := []string{domain.ClientErasureRequestedType, domain.ClientErasureStartedType, domain.ClientErasedType,
			domain.ClientSubjectAccessExportedType}
		if got := eventTypes(x.Events); len(got) != 8 || !reflect.DeepEqual(got[4:], wantTail) {
			t.Errorf("client events after erasure: %v", got)
		}
		if got := n.countEvents(t, domain.ClientSubjectAccessExportedType); got != 3 {
			t.Errorf("%d exports recorded, want 3", got)
		}
	})
}
