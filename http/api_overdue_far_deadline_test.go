package http

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
)

// TestListsFarAgreedCloseBy_VIEW3: an agreed close-by date past the year
// 2262 (a slip such as 2300 for 2030, which the note accepts as a working
// day in the future) overflowed the lists' sort key, Unix nanoseconds: the
// overdue list showed the referral as overdue, due in 2300, while its own
// page and its inbox entry said it was not, and the inbox put it first, as
// if it were the most urgent. Now a deadline beyond that range sorts after
// every nearer one: the referral is not in the overdue list (R-VIEW-3), and
// the inbox lists it after a referral due sooner (R-VIEW-1), as its
// deadlines say (R-TIME-4).
func TestListsFarAgreedCloseBy_VIEW3(t *testing.T) {
	n := newNetwork(t)
	far := n.Referral
	near := n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Near")
	for _, id := range []string{far, near} {
		want(t, n.do(t, http.MethodPost, lifecyclePath(id, "acknowledgement"), n.AdviserB.Token, map[string]any{}), http.StatusOK)
	}
	// Tuesday 2 January 2300: a working day, and after the last instant
	// Unix nanoseconds can hold (April 2262). A note now refuses a date
	// more than two years ahead (R-TIME-4), so the note is one recorded
	// before it did, as a ledger may hold.
	want(t, n.do(t, http.MethodPost, lifecyclePath(far, "notes"), n.AdviserB.Token,
		map[string]any{"text": "Agreed with the referrer.", "agreed_close_by": "2300-01-02"}), http.StatusUnprocessableEntity)
	farID := uuid.MustParse(far)
	note := &domain.ReferralNoteAdded{NoteID: uuid.New(), ClientID: uuid.MustParse(n.clientOf(t, far)),
		Text: "Agreed with the referrer.", AgreedCloseBy: "2300-01-02"}
	data, err := n.Server.Service.Codec().Encode(context.Background(), uuid.New(), note,
		eventstore.Metadata{RecordedAt: n.Clock.Now(), ActorUserID: n.AdviserB.ID, ActorOrganisationID: n.OrgB})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Store.Append(context.Background(), ledger.ReferralStream(farID), eventstore.Any(), data); err != nil {
		t.Fatal(err)
	}

	got := want(t, n.do(t, http.MethodGet, "/v1/referrals/"+far, n.AdviserB.Token, nil), http.StatusOK)
	closeBy := got.str("deadlines", "close_by")
	if got.JSON["overdue"] != false || closeBy == "" || closeBy[:4] != "2300" {
		t.Fatalf("the referral with the agreed date: overdue %v, close_by %q", got.JSON["overdue"], closeBy)
	}

	var overdue struct {
		Referrals []struct {
			ID string `json:"id"`
		} `json:"referrals"`
	}
	decodeInto(t, want(t, n.do(t, http.MethodGet, "/v1/overdue", n.Admin.Token, nil), http.StatusOK), &overdue)
	for _, o := range overdue.Referrals {
		if o.ID == far {
			t.Errorf("the overdue list names a referral due in 2300, which its own page says is not overdue")
		}
	}

	var inbox struct {
		Referrals []struct {
			ID           string `json:"id"`
			NextDeadline string `json:"next_deadline"`
			Overdue      bool   `json:"overdue"`
		} `json:"referrals"`
	}
	decodeInto(t, want(t, n.do(t, http.MethodGet, "/v1/inbox", n.AdviserB.Token, nil), http.StatusOK), &inbox)
	var order []string
	for _, r := range inbox.Referrals {
		order = append(order, r.ID)
		if r.ID == far && (r.NextDeadline != closeBy || r.Overdue) {
			t.Errorf("inbox entry: next_deadline %q overdue %v; the referral says %q, not overdue", r.NextDeadline, r.Overdue, closeBy)
		}
	}
	if len(order) != 2 || order[0] != near || order[1] != far {
		t.Errorf("inbox order %v, want the referral due sooner (%s) before the one due in 2300 (%s)", order, near, far)
	}
}
