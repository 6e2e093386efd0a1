package http

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/config"
	"github.com/referral-ledger/ledger/domain"
)

// listedReferral is an item of GET /v1/inbox and /v1/outbox.
type listedReferral struct {
	ID                 string  `json:"id"`
	Reference          string  `json:"reference"`
	Status             string  `json:"status"`
	Urgent             bool    `json:"urgent"`
	FromOrganisationID string  `json:"from_organisation_id"`
	ToOrganisationID   string  `json:"to_organisation_id"`
	ClientID           string  `json:"client_id"`
	AssignedTo         *string `json:"assigned_to"`
	MadeAt             string  `json:"made_at"`
	AcknowledgedAt     *string `json:"acknowledged_at"`
	ClosedAt           *string `json:"closed_at"`
	Outcome            *string `json:"outcome"`
	Deadlines          struct {
		AcknowledgeBy *string `json:"acknowledge_by"`
		CloseBy       *string `json:"close_by"`
	} `json:"deadlines"`
	NextDeadline *string `json:"next_deadline"`
	Stage        *string `json:"stage"`
	Overdue      bool    `json:"overdue"`
}

type referralList struct {
	Referrals []listedReferral `json:"referrals"`
	Next      *string          `json:"next"`
}

// overdueReferral is an item of GET /v1/overdue.
type overdueReferral struct {
	ID                 string `json:"id"`
	FromOrganisationID string `json:"from_organisation_id"`
	ToOrganisationID   string `json:"to_organisation_id"`
	Stage              string `json:"stage"`
	Due                string `json:"due"`
	WorkingDaysOverdue int    `json:"working_days_overdue"`
}

type overdueList struct {
	Referrals []overdueReferral `json:"referrals"`
	Next      *string           `json:"next"`
}

// viewList reads one page of the inbox or outbox.
func (a *testAPI) viewList(tb testing.TB, token, path string) referralList {
	tb.Helper()
	var l referralList
	decodeInto(tb, want(tb, a.do(tb, http.MethodGet, path, token, nil), http.StatusOK), &l)
	if l.Referrals == nil {
		tb.Fatalf("GET %s: referrals is not a list", path)
	}
	return l
}

// viewOverdue reads one page of the overdue list.
func (a *testAPI) viewOverdue(tb testing.TB, token, path string) overdueList {
	tb.Helper()
	var l overdueList
	decodeInto(tb, want(tb, a.do(tb, http.MethodGet, path, token, nil), http.StatusOK), &l)
	if l.Referrals == nil {
		tb.Fatalf("GET %s: referrals is not a list", path)
	}
	return l
}

// withQuery adds name=value to path.
func withQuery(path, name, value string) string {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + name + "=" + url.QueryEscape(value)
}

// viewAll follows next from page to page, limit at a time, and returns the
// ids in order, failing on a repeated id or a short page before the last.
func (a *testAPI) viewAll(tb testing.TB, token, path string, limit int) []string {
	tb.Helper()
	var out []string
	seen := map[string]bool{}
	next := ""
	for {
		p := withQuery(path, "limit", strconv.Itoa(limit))
		if next != "" {
			p = withQuery(p, "next", next)
		}
		l := a.viewList(tb, token, p)
		if len(l.Referrals) > limit || (l.Next != nil && len(l.Referrals) != limit) {
			tb.Fatalf("GET %s: %d items with limit %d, next %v", p, len(l.Referrals), limit, l.Next)
		}
		for _, r := range l.Referrals {
			if seen[r.ID] {
				tb.Fatalf("GET %s: %s listed twice", path, r.ID)
			}
			seen[r.ID] = true
			out = append(out, r.ID)
		}
		if l.Next == nil {
			return out
		}
		next = *l.Next
	}
}

func listedIDs(l referralList) []string {
	out := make([]string, len(l.Referrals))
	for i, r := range l.Referrals {
		out[i] = r.ID
	}
	return out
}

func overdueIDs(l overdueList) []string {
	out := make([]string, len(l.Referrals))
	for i, r := range l.Referrals {
		out[i] = r.ID
	}
	return out
}

// urgentReferral makes an urgent referral to toOrg and returns its id.
func (a *testAPI) urgentReferral(tb testing.TB, token, toOrg, clientName string) string {
	tb.Helper()
	body := validReferral(toOrg, clientName)
	body["urgent"] = true
	return a.makeReferralWith(tb, token, body)
}

// act posts an action on a referral and wants status.
func (a *testAPI) act(tb testing.TB, token, id, action string, body any, status int) {
	tb.Helper()
	want(tb, a.do(tb, http.MethodPost, "/v1/referrals/"+id+"/"+action, token, body), status)
}

func str(p *string) string {
	if p == nil {
		return "<null>"
	}
	return *p
}

// TestViewsInbox_VIEW1_TIME1_TIME3 lists the receiver's open referrals
// soonest next deadline first, urgent first at the same instant, with the
// filters ?assigned= and ?status= (R-VIEW-1, R-TIME-1, R-TIME-3).
func TestViewsInbox_VIEW1_TIME1_TIME3(t *testing.T) {
	n := newNetwork(t) // Monday 14 December 2026 09:00; n.Referral A→B, acknowledge by Wednesday 16
	// Urgent, made Monday: both deadlines Tuesday 15.
	urgentMon := n.urgentReferral(t, n.AdviserA.Token, n.OrgB, "Client Urgent Monday")
	n.Clock.Advance(25 * time.Hour)
	// Made Tuesday 15: urgent, due Wednesday 16 like n.Referral but listed
	// before it; normal from C, due Thursday 17.
	urgentTue := n.urgentReferral(t, n.AdviserA.Token, n.OrgB, "Client Urgent Tuesday")
	fromC := n.makeReferral(t, n.AdviserC.Token, n.OrgB, "Client From C")
	n.act(t, n.LeadB.Token, fromC, "assignment", map[string]any{"user_id": n.AdviserB.ID}, http.StatusOK)
	n.act(t, n.AdviserB.Token, urgentMon, "acknowledgement", map[string]any{}, http.StatusOK)

	l := n.viewList(t, n.AdviserB.Token, "/v1/inbox")
	if got, want := listedIDs(l), []string{urgentMon, urgentTue, n.Referral, fromC}; !slices.Equal(got, want) {
		t.Fatalf("inbox %v, want %v", got, want)
	}
	if l.Next != nil {
		t.Errorf("next %q on the only page", *l.Next)
	}
	first, assigned := l.Referrals[0], l.Referrals[3]
	if first.Status != "acknowledged" || !first.Urgent || str(first.Stage) != "close" ||
		str(first.NextDeadline) != "2026-12-15T23:59:59Z" || str(first.Deadlines.AcknowledgeBy) != "2026-12-15T23:59:59Z" ||
		first.FromOrganisationID != n.OrgA || first.ToOrganisationID != n.OrgB || first.ClientID == "" ||
		first.MadeAt != "2026-12-14T09:00:00Z" || first.AcknowledgedAt == nil || first.Overdue {
		t.Errorf("first item %+v", first)
	}
	if assigned.Urgent || str(assigned.Stage) != "acknowledge" || str(assigned.NextDeadline) != "2026-12-17T23:59:59Z" ||
		str(assigned.AssignedTo) != n.AdviserB.ID || assigned.Deadlines.CloseBy != nil {
		t.Errorf("assigned item %+v", assigned)
	}

	for _, tc := range []struct {
		name  string
		user  testUser
		query string
		want  []string
	}{
		{"AssignedToMe", n.AdviserB, "?assigned=me", []string{fromC}},
		{"NothingAssignedToTheLead", n.LeadB, "?assigned=me", []string{}},
		{"AssignedToAColleague", n.LeadB, "?assigned=" + n.AdviserB.ID, []string{fromC}},
		{"Made", n.LeadB, "?status=made", []string{urgentTue, n.Referral, fromC}},
		{"Acknowledged", n.LeadB, "?status=acknowledged", []string{urgentMon}},
		{"MadeAndAssignedToMe", n.AdviserB, "?status=made&assigned=me", []string{fromC}},
		{"ClosedOnlyWhenAsked", n.LeadB, "?status=closed", []string{}},
		{"HelpdeskOfTheReceiver", n.HelpdeskB, "", []string{urgentMon, urgentTue, n.Referral, fromC}},
		{"TheReferrerReceivesNothing", n.AdviserA, "", []string{}},
		{"TheCoordinatorSeesOnlyItsOwnInbox", n.Admin, "", []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := listedIDs(n.viewList(t, tc.user.Token, "/v1/inbox"+tc.query)); !slices.Equal(got, tc.want) {
				t.Errorf("inbox%s %v, want %v", tc.query, got, tc.want)
			}
		})
	}

	// Closed: out of the open inbox, into ?status=closed with its outcome.
	n.act(t, n.AdviserB.Token, urgentMon, "closure", map[string]any{"outcome": "positive", "comment": "Housed."}, http.StatusOK)
	if got := listedIDs(n.viewList(t, n.AdviserB.Token, "/v1/inbox")); slices.Contains(got, urgentMon) {
		t.Errorf("a closed referral in the open inbox: %v", got)
	}
	closed := n.viewList(t, n.AdviserB.Token, "/v1/inbox?status=closed")
	if len(closed.Referrals) != 1 || closed.Referrals[0].ID != urgentMon || str(closed.Referrals[0].Outcome) != "positive" ||
		closed.Referrals[0].Stage != nil || closed.Referrals[0].NextDeadline != nil || closed.Referrals[0].ClosedAt == nil {
		t.Errorf("closed inbox %+v", closed.Referrals)
	}

	t.Run("BadInput", func(t *testing.T) {
		for _, tc := range []struct{ query, field string }{
			{"?status=lost", "status"},
			{"?status=made&status=closed", "status"},
			{"?assigned=you", "assigned"},
			{"?assigned=" + n.AdviserA.ID, "assigned"},                          // a user of another organisation
			{"?assigned=" + "00000000-0000-4000-8000-000000000000", "assigned"}, // nobody
			{"?limit=0", "limit"},
			{"?limit=201", "limit"},
			{"?limit=ten", "limit"},
		} {
			n.do(t, http.MethodGet, "/v1/inbox"+tc.query, n.AdviserB.Token, nil).invalid(t, tc.field)
		}
		for _, cursor := range []string{"not-a-cursor", "AAAA", n.outboxCursor(t)} {
			p := n.do(t, http.MethodGet, withQuery("/v1/inbox", "next", cursor), n.AdviserB.Token, nil).problem(t, http.StatusBadRequest)
			if !p.hasField("next") {
				t.Errorf("400 does not name next: %+v", p)
			}
		}
		want(t, n.do(t, http.MethodGet, "/v1/inbox", "", nil), http.StatusUnauthorized)
	})
}

// outboxCursor returns a valid cursor of A's outbox, which no inbox takes.
func (n *network) outboxCursor(tb testing.TB) string {
	tb.Helper()
	n.makeReferral(tb, n.AdviserA.Token, n.OrgC, "Client Cursor")
	l := n.viewList(tb, n.AdviserA.Token, "/v1/outbox?limit=1")
	if l.Next == nil {
		tb.Fatal("A's outbox has one page only")
	}
	return *l.Next
}

// TestViewsPagination_VIEW1_VIEW2 pages through an inbox and an outbox
// with ?limit= and next: no duplicates, no gaps, in the order of one big
// page, and a referral added between pages does not repeat what was read.
func TestViewsPagination_VIEW1_VIEW2(t *testing.T) {
	n := newNetwork(t)
	made := []string{n.Referral}
	for i := range 10 {
		n.Clock.Advance(time.Duration(7+i) * time.Hour)
		if i%3 == 0 {
			made = append(made, n.urgentReferral(t, n.AdviserA.Token, n.OrgB, "Client Page "+strconv.Itoa(i)))
		} else {
			made = append(made, n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Page "+strconv.Itoa(i)))
		}
	}
	for _, path := range []string{"/v1/inbox", "/v1/outbox"} {
		user := n.AdviserB
		if path == "/v1/outbox" {
			user = n.AdviserA
		}
		all := listedIDs(n.viewList(t, user.Token, withQuery(path, "limit", "200")))
		if len(all) != len(made) {
			t.Fatalf("%s: %d referrals, want %d", path, len(all), len(made))
		}
		if def := n.viewList(t, user.Token, path); !slices.Equal(listedIDs(def), all) || def.Next != nil {
			t.Errorf("%s: the default page differs from limit=200", path)
		}
		for _, limit := range []int{1, 3, 4, 11} {
			if got := n.viewAll(t, user.Token, path, limit); !slices.Equal(got, all) {
				t.Errorf("%s by %d: %v, want %v", path, limit, got, all)
			}
		}
	}
	// The outbox is newest first.
	outbox := listedIDs(n.viewList(t, n.AdviserA.Token, "/v1/outbox"))
	if !slices.Equal(outbox, reversed(made)) {
		t.Errorf("outbox %v, want newest first %v", outbox, reversed(made))
	}

	// Read two pages, make a referral, read on: nothing read again,
	// nothing skipped of what was there.
	all := listedIDs(n.viewList(t, n.AdviserB.Token, "/v1/inbox?limit=200"))
	p1 := n.viewList(t, n.AdviserB.Token, "/v1/inbox?limit=4")
	p2 := n.viewList(t, n.AdviserB.Token, withQuery("/v1/inbox?limit=4", "next", *p1.Next))
	late := n.urgentReferral(t, n.AdviserA.Token, n.OrgB, "Client Late Arrival")
	rest := n.viewAll(t, n.AdviserB.Token, withQuery("/v1/inbox", "next", *p2.Next), 200)
	got := slices.DeleteFunc(append(append(listedIDs(p1), listedIDs(p2)...), rest...), func(id string) bool { return id == late })
	if !slices.Equal(got, all) {
		t.Errorf("pages around an insertion %v, want %v", got, all)
	}
}

func reversed(s []string) []string {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}

// TestViewsOutbox_VIEW2 (R-VIEW-2) lists what the referrer made, of every status,
// newest first, with outcome and times, to the referrer's users only.
func TestViewsOutbox_VIEW2(t *testing.T) {
	n := newNetwork(t)
	n.Clock.Advance(time.Hour)
	toC := n.makeReferral(t, n.AdviserA.Token, n.OrgC, "Client To C")
	n.Clock.Advance(time.Hour)
	n.act(t, n.AdviserB.Token, n.Referral, "acknowledgement", map[string]any{}, http.StatusOK)
	n.Clock.Advance(time.Hour)
	n.act(t, n.AdviserB.Token, n.Referral, "closure", map[string]any{"outcome": "negative", "comment": "Not for us."}, http.StatusOK)

	l := n.viewList(t, n.LeadA.Token, "/v1/outbox")
	if got, want := listedIDs(l), []string{toC, n.Referral}; !slices.Equal(got, want) {
		t.Fatalf("outbox %v, want %v", got, want)
	}
	if c := l.Referrals[1]; c.Status != "closed" || str(c.Outcome) != "negative" || str(c.AcknowledgedAt) != "2026-12-14T11:00:00Z" ||
		str(c.ClosedAt) != "2026-12-14T12:00:00Z" || c.Stage != nil {
		t.Errorf("closed item %+v", c)
	}
	if o := l.Referrals[0]; o.Status != "made" || o.Outcome != nil || o.ClosedAt != nil || str(o.Stage) != "acknowledge" {
		t.Errorf("open item %+v", o)
	}
	for _, u := range []testUser{n.AdviserB, n.AdviserC, n.Admin, n.Auditor} {
		if got := listedIDs(n.viewList(t, u.Token, "/v1/outbox")); len(got) != 0 {
			t.Errorf("%s sees another organisation's outbox: %v", u.Username, got)
		}
	}
}

// TestViewsOverdueWhoSees_VIEW3 gives the coordinator every overdue
// referral, an org lead those to or from their organisation, and anyone
// else 403 (R-VIEW-3).
func TestViewsOverdueWhoSees_VIEW3(t *testing.T) {
	n := newNetwork(t)
	fromC := n.makeReferral(t, n.AdviserC.Token, n.OrgB, "Client From C")
	n.Clock.Advance(time.Hour)
	toC := n.makeReferral(t, n.AdviserA.Token, n.OrgC, "Client To C")
	// All three are due on Wednesday 16; on Thursday they are overdue.
	n.Clock.Set(london(2026, time.December, 17, 9, 0))
	// The same deadline: in id order.
	byID := func(ids ...string) []string {
		return slices.SortedFunc(slices.Values(ids), func(a, b string) int { return strings.Compare(uuidBytes(a), uuidBytes(b)) })
	}
	all := byID(n.Referral, fromC, toC)
	coordinator := n.viewOverdue(t, n.Admin.Token, "/v1/overdue")
	if got := overdueIDs(coordinator); !slices.Equal(got, all) {
		t.Fatalf("coordinator's overdue %v, want %v", got, all)
	}
	if o := coordinator.Referrals[slices.Index(all, toC)]; o.Stage != "acknowledge" || o.Due != "2026-12-16T23:59:59Z" ||
		o.WorkingDaysOverdue != 1 || o.FromOrganisationID != n.OrgA || o.ToOrganisationID != n.OrgC {
		t.Errorf("overdue item %+v", o)
	}
	if got, want := overdueIDs(n.viewOverdue(t, n.LeadA.Token, "/v1/overdue")), byID(n.Referral, toC); !slices.Equal(got, want) {
		t.Errorf("lead A's overdue %v, want to or from A only: %v", got, want)
	}
	if got, want := overdueIDs(n.viewOverdue(t, n.LeadB.Token, "/v1/overdue")), byID(n.Referral, fromC); !slices.Equal(got, want) {
		t.Errorf("lead B's overdue %v, want %v", got, want)
	}
	page := n.viewOverdue(t, n.Admin.Token, "/v1/overdue?limit=2")
	if page.Next == nil || !slices.Equal(overdueIDs(page), all[:2]) {
		t.Fatalf("first page of 2: %+v", page)
	}
	if rest := n.viewOverdue(t, n.Admin.Token, withQuery("/v1/overdue?limit=2", "next", *page.Next)); !slices.Equal(overdueIDs(rest), all[2:]) || rest.Next != nil {
		t.Errorf("second page %+v", rest)
	}
	for _, u := range []testUser{n.AdviserB, n.HelpdeskB, n.TeamManager, n.Auditor} {
		n.do(t, http.MethodGet, "/v1/overdue", u.Token, nil).problem(t, http.StatusForbidden)
	}
	n.do(t, http.MethodGet, "/v1/overdue?limit=0", n.Admin.Token, nil).invalid(t, "limit")
	n.do(t, http.MethodGet, "/v1/overdue?next=zzzz", n.Admin.Token, nil).problem(t, http.StatusBadRequest)
}

func uuidBytes(s string) string {
	id := uuid.MustParse(s)
	return string(id[:])
}

// TestViewsWorkingDaysOverdue_VIEW3_TIME3 counts working days overdue
// across a weekend and the Christmas bank holidays of England and Wales: 1
// on the first working day after the deadline day, 0 on the days off
// straight after it (R-VIEW-3, R-TIME-3).
func TestViewsWorkingDaysOverdue_VIEW3_TIME3(t *testing.T) {
	n := newNetwork(t, startingAt(london(2026, time.December, 17, 9, 0)))
	// Urgent, made Thursday 17: due Friday 18.
	friday := n.urgentReferral(t, n.AdviserA.Token, n.OrgB, "Client Friday")
	// Urgent, made Wednesday 23: due Thursday 24; Friday 25 is Christmas
	// Day and Monday 28 the substitute Boxing Day.
	n.Clock.Set(london(2026, time.December, 23, 9, 0))
	christmas := n.urgentReferral(t, n.AdviserA.Token, n.OrgB, "Client Christmas")
	days := func(id string, now time.Time) int {
		t.Helper()
		n.Clock.Set(now)
		for _, o := range n.viewOverdue(t, n.Admin.Token, "/v1/overdue").Referrals {
			if o.ID == id {
				return o.WorkingDaysOverdue
			}
		}
		return -1
	}
	for _, tc := range []struct {
		name string
		id   string
		now  time.Time
		want int // -1: not overdue
	}{
		{"LastMinuteOfTheDeadlineDay", friday, london(2026, time.December, 18, 23, 59), -1},
		{"Saturday", friday, london(2026, time.December, 19, 9, 0), 0},
		{"MondayAfterTheWeekend", friday, london(2026, time.December, 21, 9, 0), 1},
		{"Wednesday", friday, london(2026, time.December, 23, 9, 0), 3},
		{"ChristmasDay", christmas, london(2026, time.December, 25, 9, 0), 0},
		{"SubstituteBoxingDay", christmas, london(2026, time.December, 28, 9, 0), 0},
		{"FirstWorkingDayAfterChristmas", christmas, london(2026, time.December, 29, 9, 0), 1},
		{"FridayReferralAfterChristmas", friday, london(2026, time.December, 29, 9, 0), 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := days(tc.id, tc.now); got != tc.want {
				t.Errorf("working days overdue %d, want %d", got, tc.want)
			}
		})
	}
	// n.Referral, made Thursday 17 and not urgent, was due Monday 21.
	n.Clock.Set(london(2026, time.December, 29, 9, 0))
	if got, want := overdueIDs(n.viewOverdue(t, n.Admin.Token, "/v1/overdue")), []string{friday, n.Referral, christmas}; !slices.Equal(got, want) {
		t.Errorf("most overdue first: %v, want %v", got, want)
	}
}

// TestViewsTimescalesMove_TIME2_TIME4 declines an urgency (back to the
// normal timescales, R-REF-7) and agrees a new closing date (R-TIME-4): the
// referral leaves the overdue list and its inbox deadline moves.
func TestViewsTimescalesMove_TIME2_TIME4(t *testing.T) {
	n := newNetwork(t) // Monday 14 December 2026
	id := n.urgentReferral(t, n.AdviserA.Token, n.OrgB, "Client Timescales")
	overdue := func() []string { return overdueIDs(n.viewOverdue(t, n.LeadB.Token, "/v1/overdue")) }
	inboxItem := func() listedReferral {
		t.Helper()
		for _, r := range n.viewList(t, n.AdviserB.Token, "/v1/inbox").Referrals {
			if r.ID == id {
				return r
			}
		}
		t.Fatalf("%s not in the inbox", id)
		return listedReferral{}
	}
	// Urgent: due Tuesday 15 (R-TIME-3); overdue on Wednesday.
	n.Clock.Set(london(2026, time.December, 16, 9, 0))
	if !slices.Contains(overdue(), id) || !inboxItem().Overdue {
		t.Fatal("the urgent referral is not overdue on Wednesday")
	}
	// Declined as urgent: acknowledge within 3 working days counting
	// Monday, by Wednesday 16 (R-TIME-1): no longer overdue.
	n.act(t, n.AdviserB.Token, id, "urgency-review", map[string]any{"urgent": false, "feedback": "Not urgent."}, http.StatusOK)
	if item := inboxItem(); item.Urgent || item.Overdue || str(item.NextDeadline) != "2026-12-16T23:59:59Z" {
		t.Errorf("after the urgency decline %+v", item)
	}
	if slices.Contains(overdue(), id) {
		t.Error("overdue after the urgency decline")
	}
	// Acknowledged Wednesday: close within 5 working days after, by
	// Wednesday 23 (R-TIME-2); overdue on Thursday 24.
	n.act(t, n.AdviserB.Token, id, "acknowledgement", map[string]any{}, http.StatusOK)
	n.Clock.Set(london(2026, time.December, 24, 9, 0))
	if item := inboxItem(); str(item.Stage) != "close" || str(item.NextDeadline) != "2026-12-23T23:59:59Z" || !item.Overdue {
		t.Errorf("acknowledged %+v", item)
	}
	o := n.viewOverdue(t, n.LeadB.Token, "/v1/overdue")
	if i := slices.Index(overdueIDs(o), id); i < 0 || o.Referrals[i].Stage != "close" || o.Referrals[i].WorkingDaysOverdue != 1 {
		t.Fatalf("overdue to close: %+v", o.Referrals)
	}
	// An agreed closing date replaces the deadline (R-TIME-4).
	want(t, n.do(t, http.MethodPost, "/v1/referrals/"+id+"/notes", n.AdviserB.Token,
		map[string]any{"text": "Agreed with the referrer.", "agreed_close_by": "2027-01-08"}), http.StatusCreated)
	if slices.Contains(overdue(), id) {
		t.Error("overdue after an agreed closing date")
	}
	if item := inboxItem(); item.Overdue || str(item.NextDeadline) != "2027-01-08T23:59:59Z" || str(item.Deadlines.CloseBy) != "2027-01-08T23:59:59Z" {
		t.Errorf("after the agreed date %+v", item)
	}
}

// TestViewsReadYourWrites_VIEW5 reads the lists straight after writes:
// made through the API, the receiver sees it at once; made through the
// ledger directly (no API settle), the list still waits for the views to
// reach the store's head.
func TestViewsReadYourWrites_VIEW5(t *testing.T) {
	n := newNetwork(t)
	for i := range 5 {
		id := n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Fresh "+strconv.Itoa(i))
		if !slices.Contains(listedIDs(n.viewList(t, n.AdviserB.Token, "/v1/inbox?limit=200")), id) {
			t.Fatalf("the receiver's inbox lacks the referral just made: %s", id)
		}
		n.act(t, n.AdviserB.Token, id, "acknowledgement", map[string]any{}, http.StatusOK)
		if !slices.Contains(listedIDs(n.viewList(t, n.AdviserB.Token, "/v1/inbox?status=acknowledged&limit=200")), id) {
			t.Fatalf("the acknowledgement just made is not listed: %s", id)
		}
	}
	actor := domain.Actor{UserID: uuid.MustParse(n.AdviserA.ID), OrganisationID: uuid.MustParse(n.OrgA), Roles: []domain.Role{domain.RoleAdviser}}
	for range 5 {
		r, _, err := n.Server.Service.MakeReferral(context.Background(), actor, domain.MakeReferral{
			ToOrganisationID: uuid.MustParse(n.OrgB), Client: domain.Client{Name: "Client Direct"}, Reason: "Direct.",
			Consent: &domain.Consent{Method: domain.ConsentVerbal, Confirmed: true}, PrivacyNoticeGiven: true}, n.Server.cases())
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(listedIDs(n.viewList(t, n.LeadB.Token, "/v1/inbox?limit=200")), r.ID.String()) {
			t.Fatalf("the inbox lacks a referral the ledger has stored: %s", r.ID)
		}
	}
}

// TestViewsHoldNoClientData_LEDGER6 puts marker strings in every client
// field and free text of a referral's life and checks that no list
// response carries any of them (R-LEDGER-6, R-PRIV-7).
func TestViewsHoldNoClientData_LEDGER6(t *testing.T) {
	n := newNetwork(t)
	markers := []string{"Zebedee Marker", "1913-04-01", "+44 20 7946 0999", "zebedee.marker@example.org", "42 Marker Lane",
		"marker reason", "marker feedback", "marker note", "marker comment", "marker override"}
	body := validReferral(n.OrgB, markers[0])
	body["urgent"] = true
	body["client"] = map[string]any{"name": markers[0], "date_of_birth": markers[1], "phone": markers[2], "email": markers[3], "address": markers[4]}
	body["reason"] = markers[5]
	id := n.makeReferralWith(t, n.AdviserA.Token, body)
	override := validReferral(n.OrgB, markers[0]+" Two")
	delete(override, "consent")
	override["safeguarding_override"] = map[string]any{"reason": markers[9]}
	n.makeReferralWith(t, n.AdviserA.Token, override)
	n.act(t, n.AdviserB.Token, id, "urgency-review", map[string]any{"urgent": false, "feedback": markers[6]}, http.StatusOK)
	want(t, n.do(t, http.MethodPost, "/v1/referrals/"+id+"/notes", n.AdviserA.Token, map[string]any{"text": markers[7]}), http.StatusCreated)
	n.Clock.Set(london(2026, time.December, 18, 9, 0))
	check := func(when string) {
		t.Helper()
		for _, c := range []struct {
			user testUser
			path string
		}{
			{n.AdviserB, "/v1/inbox"}, {n.AdviserB, "/v1/inbox?status=acknowledged"}, {n.AdviserB, "/v1/inbox?status=closed"},
			{n.AdviserA, "/v1/outbox"}, {n.Admin, "/v1/overdue"}, {n.LeadB, "/v1/overdue"},
		} {
			r := want(t, n.do(t, http.MethodGet, c.path, c.user.Token, nil), http.StatusOK)
			for _, m := range markers {
				if strings.Contains(strings.ToLower(string(r.Body)), strings.ToLower(m)) {
					t.Errorf("%s: GET %s carries client data %q: %s", when, c.path, m, r.Body)
				}
			}
		}
	}
	check("open")
	n.act(t, n.AdviserB.Token, id, "acknowledgement", map[string]any{}, http.StatusOK)
	n.act(t, n.AdviserB.Token, id, "closure", map[string]any{"outcome": "positive", "comment": markers[8]}, http.StatusOK)
	check("closed")
}

// TestViewsLockedCase_LOCK2 lists a locked case's referral only to those
// the lock lets in: the responsible person, not the rest of the receiving
// organisation, not helpdesk, not the referrer (R-LOCK-2, R-AUTH-4).
func TestViewsLockedCase_LOCK2(t *testing.T) {
	n := newLockNet(t)
	n.lock(t, n.Client, nil)
	listed := func(u testUser, path string) bool {
		t.Helper()
		return slices.Contains(listedIDs(n.viewList(t, u.Token, path)), n.Referral)
	}
	if !listed(n.AdviserB, "/v1/inbox") {
		t.Error("the responsible person's inbox lacks the locked case")
	}
	if !listed(n.DutyMember, "/v1/inbox") {
		t.Error("the allowed team's inbox lacks the locked case")
	}
	for _, u := range []testUser{n.LeadB, n.HelpdeskB, n.TeamManager} {
		if listed(u, "/v1/inbox") {
			t.Errorf("%s's inbox lists a locked case they may not enter", u.Username)
		}
	}
	if listed(n.AdviserA, "/v1/outbox") {
		t.Error("the referrer's outbox lists a locked case they may not enter")
	}
	n.Clock.Set(london(2026, time.December, 18, 9, 0))
	for _, u := range []testUser{n.Admin, n.LeadB} {
		if slices.Contains(overdueIDs(n.viewOverdue(t, u.Token, "/v1/overdue")), n.Referral) {
			t.Errorf("%s's overdue list shows a locked case they may not enter", u.Username)
		}
	}
}

// TestViewsFollowChangedTimescales_TIME5_VIEW5: the timescales are
// configuration (R-TIME-5). Restarted with other ones, the inbox and the
// overdue list give the deadlines the referral's own page gives, worked
// out with the new timescales, not those the views stored under the old
// ones (R-VIEW-5: the views equal a rebuild).
func TestViewsFollowChangedTimescales_TIME5_VIEW5(t *testing.T) {
	n := newNetwork(t) // Monday 14 December 2026
	id := n.makeReferral(t, n.AdviserA.Token, n.OrgB, "Client Settings")
	before := n.viewList(t, n.AdviserB.Token, "/v1/inbox")
	if i := slices.IndexFunc(before.Referrals, func(r listedReferral) bool { return r.ID == id }); i < 0 ||
		str(before.Referrals[i].Deadlines.AcknowledgeBy) != "2026-12-16T23:59:59Z" {
		t.Fatalf("before the change: %+v", before.Referrals)
	}
	n.Close()

	restarted := *n
	restarted.testAPI = newTestAPI(t, onDataDir(n.Dir, n.MasterKey), startingAt(london(2026, time.December, 15, 9, 0)),
		func(c *apiConfig) {
			c.configure = func(conf *config.Config) { conf.Timescales.AcknowledgeWorkingDays = 1 }
		})
	m := &restarted
	page := want(t, m.do(t, http.MethodGet, "/v1/referrals/"+id, m.AdviserB.Token, nil), http.StatusOK)
	if got := page.str("deadlines", "acknowledge_by"); got != "2026-12-14T23:59:59Z" {
		t.Fatalf("the referral's page: acknowledge by %s, want the Monday it was made", got)
	}
	inbox := m.viewList(t, m.AdviserB.Token, "/v1/inbox")
	i := slices.IndexFunc(inbox.Referrals, func(r listedReferral) bool { return r.ID == id })
	if i < 0 || str(inbox.Referrals[i].Deadlines.AcknowledgeBy) != "2026-12-14T23:59:59Z" || !inbox.Referrals[i].Overdue {
		t.Errorf("the inbox after the change: %+v, want acknowledge by 2026-12-14 and overdue", inbox.Referrals)
	}
	if !slices.Contains(overdueIDs(m.viewOverdue(t, m.LeadB.Token, "/v1/overdue")), id) {
		t.Error("the referral is not on the overdue list under the new timescales")
	}
}
