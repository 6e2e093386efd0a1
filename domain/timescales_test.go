package domain_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/domain"
)

// TestTimescalesAreConfiguration_TIME5: the policies' timescales are the
// defaults (3, 5 and 2 working days) and a network may configure its own
// (R-TIME-5); deadlines follow whatever is configured.
func TestTimescalesAreConfiguration_TIME5(t *testing.T) {
	cal, err := calendar.New(calendar.EnglandAndWales, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := domain.DefaultTimescales(); d != (domain.Timescales{AcknowledgeDays: 3, CloseDays: 5, UrgentDays: 2}) {
		t.Fatalf("defaults = %+v", d)
	}
	made := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC) // Monday
	r := domain.Referral{ID: uuid.New(), Exists: true, Status: domain.StatusMade, MadeAt: made}
	for _, tc := range []struct {
		name string
		ts   domain.Timescales
		ack  string // Europe/London date of the acknowledgement deadline
	}{
		{"OKDefaults", domain.DefaultTimescales(), "2026-11-25"},
		{"OKFiveDays", domain.Timescales{AcknowledgeDays: 5, CloseDays: 10, UrgentDays: 1}, "2026-11-27"},
		{"OKOneDay", domain.Timescales{AcknowledgeDays: 1, CloseDays: 5, UrgentDays: 1}, "2026-11-23"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.ts.Deadlines(r, cal)
			if got := cal.DateOf(d.AcknowledgeBy).String(); got != tc.ack {
				t.Fatalf("acknowledge by %s, want %s", got, tc.ack)
			}
		})
	}
}

// TestDeadlinesInLondonTimeAndRegions_TIME1_TIME2_TIME3 works deadlines
// out by hand for referrals made at the edges the calendar has: a made
// time that is already the next day in London (BST), either side of the
// clocks changing, weekends, substitute bank holidays and the holidays
// one region has and another does not (SPEC "Timescales"). Each deadline
// is the end of its last working day in London: 23:59:59.999999999 GMT,
// or 22:59:59.999999999 UTC in summer.
func TestDeadlinesInLondonTimeAndRegions_TIME1_TIME2_TIME3(t *testing.T) {
	cals := map[calendar.Region]*calendar.Calendar{}
	for _, region := range calendar.Regions() {
		cal, err := calendar.New(region, nil)
		if err != nil {
			t.Fatal(err)
		}
		cals[region] = cal
	}
	instant := func(s string) time.Time {
		t.Helper()
		at, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return at
	}
	const (
		ew = calendar.EnglandAndWales
		sc = calendar.Scotland
		ni = calendar.NorthernIreland
	)
	for _, tc := range []struct {
		name         string
		region       calendar.Region
		made         string
		urgent       bool
		acknowledged string // "" for not yet
		ackBy        string
		closeBy      string // "" for not known yet
	}{
		// Saturday 5 December 2026: counting starts on Monday 7.
		{"MadeOnASaturday", ew, "2026-12-05T10:00:00Z", false, "", "2026-12-09T23:59:59.999999999Z", ""},
		// Thursday 24 December 2026: Friday 25 is Christmas Day, Boxing Day
		// (a Saturday) is Monday 28.
		{"ChristmasEve", ew, "2026-12-24T10:00:00Z", false, "", "2026-12-30T23:59:59.999999999Z", ""},
		{"ChristmasEveUrgent", ew, "2026-12-24T10:00:00Z", true, "", "2026-12-29T23:59:59.999999999Z", "2026-12-29T23:59:59.999999999Z"},
		// Scotland: 1 January 2027 is a Friday, 2 January a Saturday whose
		// substitute is Monday 4.
		{"NewYearScotland", sc, "2026-12-31T10:00:00Z", false, "", "2027-01-06T23:59:59.999999999Z", ""},
		{"NewYearEngland", ew, "2026-12-31T10:00:00Z", false, "", "2027-01-05T23:59:59.999999999Z", ""},
		// Easter Monday, 29 March 2027, is a working day in Scotland only;
		// British Summer Time began the day before.
		{"EasterMondayScotland", sc, "2027-03-29T09:00:00Z", false, "", "2027-03-31T22:59:59.999999999Z", ""},
		{"EasterMondayEngland", ew, "2027-03-29T09:00:00Z", false, "", "2027-04-01T22:59:59.999999999Z", ""},
		{"EasterMondayNorthernIreland", ni, "2027-03-29T09:00:00Z", false, "", "2027-04-01T22:59:59.999999999Z", ""},
		// St Andrew's Day, Monday 30 November 2026, in Scotland only.
		{"StAndrewsDay", sc, "2026-11-27T10:00:00Z", false, "", "2026-12-02T23:59:59.999999999Z", ""},
		{"StAndrewsDayInEngland", ew, "2026-11-27T10:00:00Z", false, "", "2026-12-01T23:59:59.999999999Z", ""},
		// 12 July 2026 is a Sunday: Northern Ireland's holiday is Monday 13.
		{"BattleOfTheBoyneSubstitute", ni, "2026-07-10T10:00:00Z", false, "", "2026-07-15T22:59:59.999999999Z", ""},
		{"BattleOfTheBoyneInEngland", ew, "2026-07-10T10:00:00Z", false, "", "2026-07-14T22:59:59.999999999Z", ""},
		// St Patrick's Day, Wednesday 17 March 2027, in Northern Ireland.
		{"StPatricksDay", ni, "2027-03-16T10:00:00Z", false, "", "2027-03-19T23:59:59.999999999Z", ""},
		// 23:30 UTC on Friday 23 October 2026 is 00:30 on Saturday in London
		// (BST): counting starts on Monday 26, after the clocks went back.
		{"FridayNightIsSaturdayInLondon", ew, "2026-10-23T23:30:00Z", false, "", "2026-10-28T23:59:59.999999999Z", ""},
		{"FridayEveningInLondon", ew, "2026-10-23T22:59:00Z", false, "", "2026-10-27T23:59:59.999999999Z", ""},
		// 23:30 UTC on Saturday 28 March 2026 is still Saturday (GMT); the
		// clocks go forward that night. Good Friday is 3 April.
		{"SaturdayBeforeTheClocksGoForward", ew, "2026-03-28T23:30:00Z", false, "", "2026-04-01T22:59:59.999999999Z", ""},
		// 23:30 UTC on Sunday 29 March 2026 is Monday 00:30 BST.
		{"SundayNightIsMondayInLondon", ew, "2026-03-29T23:30:00Z", true, "", "2026-03-31T22:59:59.999999999Z", "2026-03-31T22:59:59.999999999Z"},
		// R-TIME-2: 5 working days after the day of acknowledgement.
		{"CloseAfterAcknowledgement", ew, "2026-12-07T10:00:00Z", false, "2026-12-10T15:00:00Z", "2026-12-09T23:59:59.999999999Z", "2026-12-17T23:59:59.999999999Z"},
		{"CloseAcrossChristmas", ew, "2026-12-16T10:00:00Z", false, "2026-12-18T15:00:00Z", "2026-12-18T23:59:59.999999999Z", "2026-12-29T23:59:59.999999999Z"},
		// Acknowledged at 23:30 UTC on Wednesday 1 April 2026, which is
		// Thursday 2 in London: close by Monday 13, after Easter.
		{"AcknowledgedAtNightInSummer", ew, "2026-03-30T09:00:00Z", false, "2026-04-01T23:30:00Z", "2026-04-01T22:59:59.999999999Z", "2026-04-13T22:59:59.999999999Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := domain.Referral{ID: uuid.New(), Exists: true, Status: domain.StatusMade, MadeAt: instant(tc.made), Urgent: tc.urgent}
			if tc.acknowledged != "" {
				r.Status, r.AcknowledgedAt = domain.StatusAcknowledged, instant(tc.acknowledged)
			}
			d := domain.DefaultTimescales().Deadlines(r, cals[tc.region])
			if !d.AcknowledgeBy.Equal(instant(tc.ackBy)) {
				t.Errorf("acknowledge by %s, want %s", d.AcknowledgeBy.Format(time.RFC3339Nano), tc.ackBy)
			}
			switch {
			case tc.closeBy == "" && !d.CloseBy.IsZero():
				t.Errorf("close by %s, want none yet", d.CloseBy.Format(time.RFC3339Nano))
			case tc.closeBy != "" && !d.CloseBy.Equal(instant(tc.closeBy)):
				t.Errorf("close by %s, want %s", d.CloseBy.Format(time.RFC3339Nano), tc.closeBy)
			}
		})
	}
}
