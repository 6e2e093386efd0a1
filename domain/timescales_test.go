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
