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
		{"ErrBankHoliday", "2025-08-25", "bank holiday"}, // Summer bank holiday
		{"ErrChristmasSubstitute", "2027-12-27", "bank holiday"},
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
