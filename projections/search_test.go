package projections

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// searchCase is one search the views property test reads a page at a time
// and compares with filtering every referral the obvious way.
type searchCase struct {
	name  string
	q     SearchQuery
	match func(r domain.Referral) bool
}

// searchCases combine every filter of a search over w (R-VIEW, R-AUTH-4,
// R-LOCK-2): network-wide, an organisation's own, by status, by
// organisation from and to, made between two dates, and with a case-lock
// rule hiding some clients.
func (w world) searchCases() []searchCase {
	from, before := at(2026, 12, 14, 0), at(2026, 12, 24, 0)
	within := func(r domain.Referral) bool { return !r.MadeAt.Before(from) && r.MadeAt.Before(before) }
	evenClient := func(client uuid.UUID) bool { return client[0]%2 == 0 }
	cases := []searchCase{
		{"all", SearchQuery{}, func(domain.Referral) bool { return true }},
		{"made between", SearchQuery{MadeFrom: from, MadeBefore: before}, within},
		{"made from", SearchQuery{MadeFrom: from}, func(r domain.Referral) bool { return !r.MadeAt.Before(from) }},
		{"made before", SearchQuery{MadeBefore: before}, func(r domain.Referral) bool { return r.MadeAt.Before(before) }},
		{"visible", SearchQuery{Visible: evenClient}, func(r domain.Referral) bool { return evenClient(r.ClientID) }},
	}
	for _, st := range domain.Statuses() {
		cases = append(cases, searchCase{fmt.Sprintf("status %s made between", st), SearchQuery{Status: st, MadeFrom: from, MadeBefore: before},
			func(r domain.Referral) bool { return r.Status == st && within(r) }})
	}
	for _, org := range w.orgs {
		other := w.orgs[0]
		cases = append(cases,
			searchCase{fmt.Sprintf("org %s", org), SearchQuery{Organisation: org}, func(r domain.Referral) bool { return r.Involves(org) }},
			searchCase{fmt.Sprintf("from %s", org), SearchQuery{From: org}, func(r domain.Referral) bool { return r.FromOrganisationID == org }},
			searchCase{fmt.Sprintf("to %s", org), SearchQuery{To: org}, func(r domain.Referral) bool { return r.ToOrganisationID == org }},
			searchCase{fmt.Sprintf("org %s to %s", other, org), SearchQuery{Organisation: other, To: org},
				func(r domain.Referral) bool { return r.Involves(other) && r.ToOrganisationID == org }},
			searchCase{fmt.Sprintf("org %s made between, visible", org), SearchQuery{Organisation: org, MadeFrom: from, MadeBefore: before, Visible: evenClient},
				func(r domain.Referral) bool { return r.Involves(org) && within(r) && evenClient(r.ClientID) }},
		)
		for _, st := range domain.Statuses() {
			cases = append(cases, searchCase{fmt.Sprintf("org %s status %s", org, st), SearchQuery{Organisation: org, Status: st},
				func(r domain.Referral) bool { return r.Involves(org) && r.Status == st }})
		}
	}
	return cases
}

// TestSearch_VIEW_ByReferenceAndDates finds referrals by reference, only
// for the organisations involved when the search is an organisation's
// (R-AUTH-4), and bounds dates by the instant: made_from is the first
// instant of a London day, made_before the first of the day after the last.
func TestSearch_VIEW_ByReferenceAndDates(t *testing.T) {
	cal := testCalendar(t)
	orgA, orgB, orgC := uuid.New(), uuid.New(), uuid.New()
	log := newEventLog()
	made := func(from, to uuid.UUID, when time.Time) uuid.UUID {
		id := uuid.New()
		log.referral(id, when, &domain.ReferralMade{ReferralID: id, FromOrganisationID: from, ToOrganisationID: to,
			ClientID: uuid.New(), PrivacyNoticeGiven: true})
		return id
	}
	// Midnight at the start of Monday 14 December in London, the last
	// instant of Monday, and Tuesday.
	monday := made(orgA, orgB, at(2026, 12, 14, 0))
	late := made(orgB, orgC, at(2026, 12, 15, 0).Add(-time.Nanosecond))
	tuesday := made(orgC, orgA, at(2026, 12, 15, 9))
	p := NewReferrals(cal, domain.DefaultTimescales())
	feed(p, log.events)
	now := at(2026, 12, 16, 9)
	search := func(q SearchQuery) []uuid.UUID { return ids(must[ReferralSummary](t)(p.Search(q, now)).Items) }

	if got, want := search(SearchQuery{MadeFrom: at(2026, 12, 14, 0), MadeBefore: at(2026, 12, 15, 0)}), []uuid.UUID{late, monday}; !slices.Equal(got, want) {
		t.Errorf("made on Monday %v, want %v", got, want)
	}
	if got, want := search(SearchQuery{MadeFrom: at(2026, 12, 15, 0)}), []uuid.UUID{tuesday}; !slices.Equal(got, want) {
		t.Errorf("made from Tuesday %v, want %v", got, want)
	}
	if got, want := search(SearchQuery{MadeBefore: at(2026, 12, 14, 0)}), []uuid.UUID{}; !slices.Equal(got, want) {
		t.Errorf("made before Monday %v, want none", got)
	}
	ref := domain.ReferenceOf(late)
	if got := search(SearchQuery{Reference: ref}); !slices.Equal(got, []uuid.UUID{late}) {
		t.Errorf("network search by reference %v, want %v", got, late)
	}
	if got := search(SearchQuery{Reference: ref, Organisation: orgC}); !slices.Equal(got, []uuid.UUID{late}) {
		t.Errorf("receiver's search by reference %v, want %v", got, late)
	}
	if got := search(SearchQuery{Reference: ref, Organisation: orgA}); len(got) != 0 {
		t.Errorf("an organisation not involved finds %v by its reference", got)
	}
	if got := search(SearchQuery{Reference: ref, Status: domain.StatusClosed}); len(got) != 0 {
		t.Errorf("reference and status closed finds an open referral %v", got)
	}
	// A page ends where the next begins: two pages of one cover all three.
	first := must[ReferralSummary](t)(p.Search(SearchQuery{Organisation: orgA, Limit: 1}, now))
	second := must[ReferralSummary](t)(p.Search(SearchQuery{Organisation: orgA, Limit: 1, After: first.Next}, now))
	if got := append(ids(first.Items), ids(second.Items)...); !slices.Equal(got, []uuid.UUID{tuesday, monday}) || second.Next != "" {
		t.Errorf("A's pages %v (next %q), want %v", got, second.Next, []uuid.UUID{tuesday, monday})
	}
	if _, err := p.Search(SearchQuery{After: first.Next[:len(first.Next)-2]}, now); err == nil {
		t.Error("a cut cursor is accepted")
	}
	if _, err := p.Search(SearchQuery{After: encodeCursor(listOutbox.list(), newestFirst(now, monday))}, now); err != ErrInvalidCursor {
		t.Errorf("an outbox cursor in a search: %v, want ErrInvalidCursor", err)
	}
	if _, err := p.Search(SearchQuery{Status: "lost"}, now); err == nil {
		t.Error("an unknown status is accepted")
	}
}
