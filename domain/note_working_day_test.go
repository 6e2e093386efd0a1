package domain_test

import (
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/domain"
)

// TestAgreedCloseByIsAWorkingDay_REF6_TIME4: an agreed close-by date
// replaces the closing deadline (R-TIME-4), and a deadline is the end of a
// working day, so a date at a weekend or on a bank holiday of the
// network's calendar is refused, 422 on agreed_close_by naming why, and
// nothing is recorded; a working day is accepted.
func TestAgreedCloseByIsAWorkingDay_REF6_TIME4(t *testing.T) {
	cal, err := calendar.New(calendar.EnglandAndWales, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, agreed, says string
	}{
		{"ErrSaturday", "2025-06-14", "Saturday"},
		{"ErrSunday", "2025-06-15", "Sunday"},
		{"ErrBankHoliday", "2025-08-25", "bank holiday"},         // Summer bank holiday
		{"ErrChristmasSubstitute", "2026-12-28", "bank holiday"}, // Boxing Day substitute: 2027-12-27 is now past the two-year bound
		{"OKFriday", "2025-06-13", ""},
		{"OKTuesdayAfterBankHoliday", "2025-08-26", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := given(ackedRef()...).referral()
			cmd := domain.AddNote{NoteID: id("note"), Text: "Agreed with the referrer", AgreedCloseBy: tt.agreed, Calendar: cal}
			events, err := domain.DecideAddNote(r, receiverAdviser, cmd, now)
			if tt.says == "" {
				when(events, err).then(t, &domain.ReferralNoteAdded{NoteID: cmd.NoteID, ClientID: clientID,
					Text: cmd.Text, AgreedCloseBy: tt.agreed})
				return
			}
			when(events, err).thenError(t, domain.Invalid, "agreed_close_by")
			if !strings.Contains(err.Error(), tt.says) || !strings.Contains(err.Error(), "working day") {
				t.Errorf("error %q does not say it must be a working day and that %s is a %s", err, tt.agreed, tt.says)
			}
		})
	}
}

// TestAgreedCloseByAtMostTwoYearsAhead_TIME4: an agreed close-by date
// replaces the closing deadline (R-TIME-4), so one typed years ahead (2300
// for 2030) would leave the referral never overdue. A date more than two
// years after today (London) is refused, 422 on agreed_close_by naming the
// latest date allowed; that date itself is accepted.
func TestAgreedCloseByAtMostTwoYearsAhead_TIME4(t *testing.T) {
	latest := domain.LatestAgreedCloseBy(now)
	if latest != "2027-06-10" { // now is 2025-06-10 in London
		t.Fatalf("latest agreed close-by at %v: %s", now, latest)
	}
	for _, tt := range []struct{ name, agreed string }{
		{"ErrCenturiesAhead", "2300-06-10"},
		{"ErrTheDayAfter", "2027-06-11"},
		{"ErrThreeYears", "2028-06-09"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := given(ackedRef()...).referral()
			cmd := domain.AddNote{NoteID: id("note"), Text: "Agreed with the referrer", AgreedCloseBy: tt.agreed}
			events, err := domain.DecideAddNote(r, receiverAdviser, cmd, now)
			when(events, err).thenError(t, domain.Invalid, "agreed_close_by")
			if !strings.Contains(err.Error(), "no later than "+latest) {
				t.Errorf("error %q does not name the latest date allowed, %s", err, latest)
			}
		})
	}
	t.Run("OKTheLatest", func(t *testing.T) {
		r := given(ackedRef()...).referral()
		cmd := domain.AddNote{NoteID: id("note"), Text: "Agreed with the referrer", AgreedCloseBy: latest}
		events, err := domain.DecideAddNote(r, receiverAdviser, cmd, now)
		when(events, err).then(t, &domain.ReferralNoteAdded{NoteID: cmd.NoteID, ClientID: clientID, Text: cmd.Text, AgreedCloseBy: latest})
	})
}
