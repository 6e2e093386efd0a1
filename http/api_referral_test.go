package http

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
)

// london returns the instant of a London wall-clock time.
func london(year int, month time.Month, day, hour, min int) time.Time {
	return time.Date(year, month, day, hour, min, 0, 0, domain.London()).UTC()
}

// historyEvent is one event of GET /v1/referrals/{id}/history.
type historyEvent struct {
	Revision uint64 `json:"revision"`
	Type     string `json:"type"`
	At       string `json:"at"`
	Actor    struct {
		UserID         *string `json:"user_id"`
		OrganisationID *string `json:"organisation_id"`
	} `json:"actor"`
	Hash     string `json:"hash"`
	PrevHash string `json:"prev_hash"`
}

// history fetches a referral's history; query is "" or "?…".
func (n *network) history(tb testing.TB, token, id, query string) (*response, []historyEvent) {
	tb.Helper()
	r := want(tb, n.do(tb, http.MethodGet, "/v1/referrals/"+id+"/history"+query, token, nil), http.StatusOK)
	var body struct {
		Events []historyEvent `json:"events"`
	}
	decodeInto(tb, r, &body)
	return r, body.Events
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// TestReferralLifecycle follows one urgent referral through the API from
// making to closing (R-REF-1..8, R-TIME-1..4), then replays it as an
// auditor (R-LEDGER-4, R-LEDGER-5).
func TestReferralLifecycle(t *testing.T) {
	made := london(2026, time.December, 18, 10, 0) // a Friday
	n := newNetwork(t, startingAt(made.Add(-time.Hour)))
	n.Clock.Set(made)
	path := func(id, suffix string) string { return "/v1/referrals/" + id + suffix }

	// Made: 201 with Location and ETag; urgent, so both deadlines are the
	// end of the second working day counting the day made (R-TIME-3):
	// Friday 18 and Monday 21 December.
	body := validReferral(n.OrgB, "Client Lifecycle")
	body["urgent"] = true
	r := want(t, n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, body), http.StatusCreated)
	id := r.str("id")
	if loc := r.Header.Get("Location"); loc != "/v1/referrals/"+id {
		t.Errorf("Location %q", loc)
	}
	if etag := r.Header.Get("ETag"); etag != `"0"` {
		t.Errorf("ETag %q, want \"0\"", etag)
	}
	checkReferral(t, r, map[string]any{
		"status": "made", "urgent": true, "from_organisation_id": n.OrgA, "to_organisation_id": n.OrgB,
		"deadlines.acknowledge_by": "2026-12-21T23:59:59Z", "deadlines.close_by": "2026-12-21T23:59:59Z",
		"overdue": false, "revision": 0.0, "client.name": "Client Lifecycle", "consent.method": "written",
		"made_at": "2026-12-18T10:00:00Z",
	})
	if r.str("client_id") == "" {
		t.Errorf("no client_id: %s", r.Body)
	}

	// Acknowledged an hour later, with the ETag just read (R-REF-5).
	n.Clock.Advance(time.Hour)
	r = want(t, n.do(t, http.MethodPost, path(id, "/acknowledgement"), n.AdviserB.Token, map[string]any{}, "If-Match", `"0"`), http.StatusOK)
	checkReferral(t, r, map[string]any{"status": "acknowledged", "acknowledged_at": "2026-12-18T11:00:00Z", "revision": 1.0})
	if etag := r.Header.Get("ETag"); etag != `"1"` {
		t.Errorf("ETag after acknowledgement %q, want \"1\"", etag)
	}

	// Assigned to an adviser of the receiver.
	n.Clock.Advance(time.Hour)
	r = want(t, n.do(t, http.MethodPost, path(id, "/assignment"), n.LeadB.Token, map[string]any{"user_id": n.AdviserB.ID}), http.StatusOK)
	checkReferral(t, r, map[string]any{"assigned_to": n.AdviserB.ID, "revision": 2.0})

	// Urgency declined with feedback (R-REF-7): the normal timescales
	// apply. Acknowledge within 3 working days counting Friday: Tuesday
	// 22 (R-TIME-1); close within 5 working days after the day of
	// acknowledgement, skipping Christmas Day and the Boxing Day
	// substitute on Monday 28: Tuesday 29 (R-TIME-2).
	n.Clock.Advance(time.Hour)
	r = want(t, n.do(t, http.MethodPost, path(id, "/urgency-review"), n.AdviserB.Token,
		map[string]any{"urgent": false, "feedback": "Housing within a week is soon enough."}), http.StatusOK)
	checkReferral(t, r, map[string]any{"urgent": false, "made_urgent": true, "urgency_declined": true,
		"urgency_feedback":         "Housing within a week is soon enough.",
		"deadlines.acknowledge_by": "2026-12-22T23:59:59Z", "deadlines.close_by": "2026-12-29T23:59:59Z"})

	// A note from the referrer with an agreed closing date (R-REF-6),
	// which replaces the closing deadline (R-TIME-4).
	n.Clock.Advance(time.Hour)
	r = want(t, n.do(t, http.MethodPost, path(id, "/notes"), n.AdviserA.Token,
		map[string]any{"text": "Agreed by phone: landlord replies in January.", "agreed_close_by": "2027-01-08"}), http.StatusCreated)
	if got := r.str("note", "agreed_close_by"); got != "2027-01-08" {
		t.Errorf("note agreed_close_by %q: %s", got, r.Body)
	}
	if got := r.str("referral", "deadlines", "close_by"); got != "2027-01-08T23:59:59Z" {
		t.Errorf("close_by after agreed date %q, want 2027-01-08T23:59:59Z", got)
	}
	if r.Header.Get("Location") == "" || r.Header.Get("ETag") != `"4"` {
		t.Errorf("note Location %q ETag %q", r.Header.Get("Location"), r.Header.Get("ETag"))
	}

	// Closed with an outcome and comment (R-REF-5); closing again is a
	// domain conflict (409).
	n.Clock.Advance(time.Hour)
	r = want(t, n.do(t, http.MethodPost, path(id, "/closure"), n.AdviserB.Token,
		map[string]any{"outcome": "positive", "comment": "Tenancy offered."}), http.StatusOK)
	checkReferral(t, r, map[string]any{"status": "closed", "outcome": "positive", "comment": "Tenancy offered.",
		"closed_at": "2026-12-18T15:00:00Z", "overdue": false, "revision": 5.0})
	n.do(t, http.MethodPost, path(id, "/closure"), n.AdviserB.Token,
		map[string]any{"outcome": "negative", "comment": "Again."}).problem(t, http.StatusConflict)

	// The referrer sees the outcome (R-REF-8).
	r = want(t, n.do(t, http.MethodGet, path(id, ""), n.AdviserA.Token, nil), http.StatusOK)
	checkReferral(t, r, map[string]any{"status": "closed", "outcome": "positive"})

	// The auditor replays every event in order, hash-chained (R-LEDGER-4,
	// R-LEDGER-5).
	r, events := n.history(t, n.Auditor.Token, id, "")
	if v, _ := r.get("verified").(bool); !v {
		t.Errorf("history not verified: %s", r.Body)
	}
	wantTypes := []string{domain.ReferralMadeType, domain.ReferralAcknowledgedType, domain.ReferralAssignedType,
		domain.ReferralUrgencyDeclinedType, domain.ReferralNoteAddedType, domain.ReferralClosedType}
	wantOrgs := []string{n.OrgA, n.OrgB, n.OrgB, n.OrgB, n.OrgA, n.OrgB}
	if len(events) != len(wantTypes) {
		t.Fatalf("%d events, want %d: %s", len(events), len(wantTypes), r.Body)
	}
	prev := eventstore.GenesisHash
	for i, ev := range events {
		if ev.Revision != uint64(i) || ev.Type != wantTypes[i] {
			t.Errorf("event %d: revision %d type %q, want %d %q", i, ev.Revision, ev.Type, i, wantTypes[i])
		}
		if ev.PrevHash != prev {
			t.Errorf("event %d: prev_hash %q, want the hash of event %d, %q", i, ev.PrevHash, i-1, prev)
		}
		if !sha256Hex.MatchString(ev.Hash) {
			t.Errorf("event %d: hash %q is not SHA-256 hex", i, ev.Hash)
		}
		if ev.Actor.OrganisationID == nil || *ev.Actor.OrganisationID != wantOrgs[i] || ev.Actor.UserID == nil {
			t.Errorf("event %d: actor %+v, want organisation %s", i, ev.Actor, wantOrgs[i])
		}
		if at, err := time.Parse(time.RFC3339Nano, ev.At); err != nil || !at.Equal(made.Add(time.Duration(i)*time.Hour)) {
			t.Errorf("event %d: at %q, want %v", i, ev.At, made.Add(time.Duration(i)*time.Hour))
		}
		prev = ev.Hash
	}
	if events[0].PrevHash != strings.Repeat("0", 64) {
		t.Errorf("first prev_hash %q, want 64 zeros", events[0].PrevHash)
	}
	if got := r.str("state", "status"); got != "closed" {
		t.Errorf("history state %q, want closed", got)
	}

	// The state as of revision 1, and as of a time before acknowledgement.
	r, events = n.history(t, n.Auditor.Token, id, "?revision=1")
	if got := r.str("state", "status"); got != "acknowledged" || len(events) != 2 {
		t.Errorf("?revision=1: state %q with %d events, want acknowledged with 2", got, len(events))
	}
	r, events = n.history(t, n.AdviserA.Token, id, "?as_of="+url.QueryEscape(made.Add(30*time.Minute).Format(time.RFC3339)))
	if got := r.str("state", "status"); got != "made" || len(events) != 1 {
		t.Errorf("?as_of before acknowledgement: state %q with %d events, want made with 1", got, len(events))
	}
	if got := r.str("state", "deadlines", "acknowledge_by"); got != "2026-12-21T23:59:59Z" {
		t.Errorf("?as_of state deadlines: acknowledge_by %q, want the urgent one", got)
	}

	// Points the referral does not have, and bad points.
	before := url.QueryEscape(made.Add(-time.Minute).Format(time.RFC3339))
	n.do(t, http.MethodGet, path(id, "/history?as_of="+before), n.Auditor.Token, nil).problem(t, http.StatusNotFound)
	n.do(t, http.MethodGet, path(id, "/history?revision=99"), n.Auditor.Token, nil).problem(t, http.StatusNotFound)
	n.do(t, http.MethodGet, path(id, "/history?revision=1&as_of="+before), n.Auditor.Token, nil).invalid(t, "as_of")
	n.do(t, http.MethodGet, path(id, "/history?as_of=yesterday"), n.Auditor.Token, nil).problem(t, http.StatusBadRequest)
	n.do(t, http.MethodGet, path(id, "/history?revision=-1"), n.Auditor.Token, nil).problem(t, http.StatusBadRequest)
}

// TestReferralOverdue moves the injected clock past the acknowledgement
// deadline: the referral is overdue the moment the deadline has passed,
// not before (R-TIME-1, R-VIEW-3).
func TestReferralOverdue(t *testing.T) {
	n := newNetwork(t, startingAt(london(2026, time.December, 18, 10, 0)))
	id := n.Referral
	get := func() *response {
		return want(t, n.do(t, http.MethodGet, "/v1/referrals/"+id, n.AdviserA.Token, nil), http.StatusOK)
	}
	r := get()
	checkReferral(t, r, map[string]any{"deadlines.acknowledge_by": "2026-12-22T23:59:59Z", "deadlines.close_by": nil, "overdue": false})

	n.Clock.Set(time.Date(2026, time.December, 22, 23, 59, 59, 0, time.UTC))
	checkReferral(t, get(), map[string]any{"overdue": false})
	n.Clock.Set(time.Date(2026, time.December, 23, 0, 0, 0, 0, time.UTC))
	checkReferral(t, get(), map[string]any{"overdue": true})

	// Acknowledged late, the referral works towards the closing deadline:
	// 5 working days after Wednesday 23 December, skipping Christmas, the
	// Boxing Day substitute and New Year's Day: Monday 4 January.
	n.Clock.Advance(9 * time.Hour)
	r = want(t, n.do(t, http.MethodPost, "/v1/referrals/"+id+"/acknowledgement", n.AdviserB.Token, map[string]any{}), http.StatusOK)
	checkReferral(t, r, map[string]any{"overdue": false, "deadlines.close_by": "2027-01-04T23:59:59Z"})
	n.Clock.Set(time.Date(2027, time.January, 4, 23, 59, 59, 0, time.UTC))
	checkReferral(t, get(), map[string]any{"overdue": false})
	n.Clock.Set(time.Date(2027, time.January, 5, 0, 0, 0, 0, time.UTC))
	checkReferral(t, get(), map[string]any{"overdue": true})
}

// TestReferralDeadlines checks acknowledge_by against the England and
// Wales calendar (R-TIME-1, R-TIME-3): the end of the last working day in
// London, so 23:59:59 London time in both GMT and BST, counting the day
// made only if it is a working day.
func TestReferralDeadlines(t *testing.T) {
	n := newNetwork(t, startingAt(london(2026, time.June, 1, 9, 0)))
	cal, err := calendar.New(calendar.EnglandAndWales, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The calendar facts the December cases rely on.
	for _, d := range []string{"2026-12-25", "2026-12-28"} {
		if _, ok := cal.IsHoliday(calendar.MustParseDate(d)); !ok {
			t.Fatalf("%s is not a bank holiday in England and Wales", d)
		}
	}
	tests := []struct {
		name          string
		made          time.Time
		urgent        bool
		acknowledgeBy string
		closeBy       any
	}{
		// Summer time: the end of the London day is 22:59:59Z.
		{"FridayInSummer", london(2026, time.June, 19, 10, 0), false, "2026-06-23T22:59:59Z", nil},
		// 00:30 on Saturday in London is still Friday in UTC; the London
		// date decides, so counting starts on Monday.
		{"JustAfterMidnightSaturdayLondon", london(2026, time.June, 20, 0, 30), false, "2026-06-24T22:59:59Z", nil},
		{"FridayBeforeChristmas", london(2026, time.December, 18, 10, 0), false, "2026-12-22T23:59:59Z", nil},
		{"UrgentFridayBeforeChristmas", london(2026, time.December, 18, 16, 0), true, "2026-12-21T23:59:59Z", "2026-12-21T23:59:59Z"},
		{"SaturdayCountsFromMonday", london(2026, time.December, 19, 11, 0), false, "2026-12-23T23:59:59Z", nil},
		// 23 and 24 December, then Christmas Day (Friday), the weekend and
		// the Boxing Day substitute (Monday 28): Tuesday 29.
		{"OverChristmas", london(2026, time.December, 23, 10, 0), false, "2026-12-29T23:59:59Z", nil},
		{"UrgentOverChristmas", london(2026, time.December, 24, 10, 0), true, "2026-12-29T23:59:59Z", "2026-12-29T23:59:59Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n.Clock.Set(tt.made)
			body := validReferral(n.OrgB, "Client Deadline")
			body["urgent"] = tt.urgent
			r := want(t, n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, body), http.StatusCreated)
			checkReferral(t, r, map[string]any{"deadlines.acknowledge_by": tt.acknowledgeBy, "deadlines.close_by": tt.closeBy})

			// The same instant, worked out from the calendar package.
			days := 3
			if tt.urgent {
				days = 2
			}
			fromCal := cal.EndOfDay(cal.AddWorkingDays(cal.DateOf(tt.made), days, true)).Format(time.RFC3339)
			if fromCal != tt.acknowledgeBy {
				t.Errorf("the calendar says %s, the test %s", fromCal, tt.acknowledgeBy)
			}
			due, err := time.Parse(time.RFC3339, r.str("deadlines", "acknowledge_by"))
			if err != nil {
				t.Fatal(err)
			}
			if h, m, s := due.In(domain.London()).Clock(); h != 23 || m != 59 || s != 59 {
				t.Errorf("acknowledge_by %v is not 23:59:59 in London", due.In(domain.London()))
			}
		})
	}
}

// checkReferral compares fields of a referral response; keys are dotted
// paths, and numbers are float64 as encoding/json decodes them.
func checkReferral(tb testing.TB, r *response, fields map[string]any) {
	tb.Helper()
	for k, want := range fields {
		got := r.get(strings.Split(k, ".")...)
		if fmt.Sprint(got) != fmt.Sprint(want) || (got == nil) != (want == nil) {
			tb.Errorf("%s = %v, want %v", k, got, want)
		}
	}
	if tb.Failed() {
		tb.Logf("body: %s", r.Body)
	}
}

// TestReferralToTheCoordinatingBodyIsRefused_REF1_VIEW4: the network's
// coordinating body leads the network and takes no referrals: the
// directory leaves it out, and a referral made or forwarded to it is
// refused, 422 naming to_organisation_id, with nothing written.
func TestReferralToTheCoordinatingBodyIsRefused_REF1_VIEW4(t *testing.T) {
	n := newNetwork(t)
	body := validReferral(ledger.CoordinatorOrganisationID().String(), "Client Lead")
	before := n.countEvents(t, domain.ReferralMadeType)
	n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, body).invalid(t, "to_organisation_id")
	forward := map[string]any{"to_organisation_id": ledger.CoordinatorOrganisationID().String(), "comment": "Onward.",
		"consent": map[string]any{"method": "verbal", "confirmed": true}}
	n.do(t, http.MethodPost, "/v1/referrals/"+n.Referral+"/forward", n.AdviserB.Token, forward).invalid(t, "to_organisation_id")
	if got := n.countEvents(t, domain.ReferralMadeType); got != before {
		t.Errorf("%d referrals made after the refusals, want %d", got, before)
	}
	// Read as an organisation, it says it takes no referrals.
	o := want(t, n.do(t, http.MethodGet, "/v1/organisations/"+ledger.CoordinatorOrganisationID().String(), n.Admin.Token, nil), http.StatusOK)
	if o.get("accepting_referrals") != false || o.get("intake", "accepting") != false {
		t.Errorf("the coordinating body reads as accepting referrals: %s", o.Body)
	}
}
