package notify

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/notify/notifytest"
)

// TestOverdueDigest: on each working day at the configured time, each
// organisation's administrative contact gets its overdue referrals and
// each coordinator all of them, by reference with a link to the overdue
// list (R-NOTE-1); a restart the same day does not send it again
// (R-NOTE-3).
func TestOverdueDigest_NOTE1_NOTE2(t *testing.T) {
	h := newHarness(t)
	r := h.start(h.smtpSender())
	lastWeek := monday0600.AddDate(0, 0, -7) // acknowledgement was due by Wednesday
	nw := h.network(lastWeek)
	late, _ := h.makeReferral(nw, false, lastWeek)
	onTime, _ := h.makeReferral(nw, false, lastWeek)
	h.acknowledge(nw, onTime, lastWeek)
	fresh, _ := h.makeReferral(nw, false, monday0600)
	h.mail.WaitFor(t, 4) // three new referrals, one acknowledged
	h.caughtUp(r.n)

	h.clock.Set(monday0600.Add(time.Hour)) // 07:00 London
	msgs := h.mail.WaitFor(t, 6)
	org := mustOne(t, msgs, toAdmin, "Overdue referrals for Receiving Housing Trust on 2026-03-02: 1")
	coord := mustOne(t, msgs, coordinatorMail, "Overdue referrals across the network on 2026-03-02: 1")
	for _, m := range []notifytest.Message{org, coord} {
		if !strings.Contains(m.Body, Reference(late)) || !strings.Contains(m.Body, publicURL+"/referrals/"+late.String()) {
			t.Errorf("digest %q lacks the overdue referral %s:\n%s", m.Subject, Reference(late), m.Body)
		}
		if !strings.Contains(m.Body, "acknowledgement due 2026-02-25, 3 working days overdue") {
			t.Errorf("digest %q does not say the stage, due date and working days overdue:\n%s", m.Subject, m.Body)
		}
		for _, id := range []uuid.UUID{onTime, fresh} {
			if strings.Contains(m.Body, Reference(id)) {
				t.Errorf("digest %q lists %s, which is not overdue", m.Subject, Reference(id))
			}
		}
	}
	// The organisation's digest links to Incoming, where its people work
	// the referrals; the coordinators' to the network's Overdue page, since
	// a coordinator takes no referrals, and their Incoming lists none.
	if !strings.Contains(org.Body, "The overdue list: "+publicURL+"/incoming") {
		t.Errorf("the organisation's digest does not link to Incoming:\n%s", org.Body)
	}
	if !strings.Contains(coord.Body, "The overdue list: "+publicURL+"/overdue") {
		t.Errorf("the coordinators' digest does not link to the Overdue page:\n%s", coord.Body)
	}
	if !strings.Contains(coord.Body, "from Referring Advice Centre to Receiving Housing Trust") {
		t.Errorf("the coordinators' digest does not say between whom:\n%s", coord.Body)
	}

	// A restart later the same day sends no second digest; the next
	// working day's goes out at its time.
	r.stop(t)
	h.clock.Set(monday0600.Add(3 * time.Hour))
	r = h.start(h.smtpSender())
	h.caughtUp(r.n)
	h.clock.Set(monday0600.Add(25 * time.Hour)) // Tuesday 07:00
	msgs = h.mail.WaitFor(t, 8)
	mustOne(t, msgs, toAdmin, "Overdue referrals for Receiving Housing Trust on 2026-03-03")
	mustOne(t, msgs, coordinatorMail, "on 2026-03-03")
	if got := len(findTo(msgs, toAdmin, "on 2026-03-02")); got != 1 {
		t.Errorf("Monday's digest was sent %d times", got)
	}
}

// TestNextDigest: digests go out on working days only, at the configured
// London time, whatever the season.
func TestNextDigest(t *testing.T) {
	h := newHarness(t)
	n := h.open(LogSender{})
	defer n.Close()
	london := domain.London()
	for _, tc := range []struct {
		name     string
		now      time.Time
		last     string
		wantDate string
		wantAt   time.Time
	}{
		{"BeforeTimeToday", time.Date(2026, 3, 2, 6, 0, 0, 0, london), "2026-02-27", "2026-03-02", time.Date(2026, 3, 2, 7, 0, 0, 0, london)},
		{"AfterTimeNotSent", time.Date(2026, 3, 2, 9, 0, 0, 0, london), "2026-02-27", "2026-03-02", time.Date(2026, 3, 2, 7, 0, 0, 0, london)},
		{"SentToday", time.Date(2026, 3, 2, 9, 0, 0, 0, london), "2026-03-02", "2026-03-03", time.Date(2026, 3, 3, 7, 0, 0, 0, london)},
		{"FridayToMonday", time.Date(2026, 3, 6, 9, 0, 0, 0, london), "2026-03-06", "2026-03-09", time.Date(2026, 3, 9, 7, 0, 0, 0, london)},
		{"EasterWeekend", time.Date(2026, 4, 2, 9, 0, 0, 0, london), "2026-04-02", "2026-04-07", time.Date(2026, 4, 7, 7, 0, 0, 0, london)},
		{"SummerTime", time.Date(2026, 7, 1, 5, 0, 0, 0, london), "", "2026-07-01", time.Date(2026, 7, 1, 6, 0, 0, 0, time.UTC)},
		{"MissedDaysNotCaughtUp", time.Date(2026, 3, 5, 9, 0, 0, 0, london), "2026-02-27", "2026-03-05", time.Date(2026, 3, 5, 7, 0, 0, 0, london)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			date, at := n.nextDigest(tc.last, tc.now)
			if date != tc.wantDate || !at.Equal(tc.wantAt) {
				t.Errorf("nextDigest(%q, %v) = %s %v, want %s %v", tc.last, tc.now, date, at, tc.wantDate, tc.wantAt)
			}
		})
	}
}

// steppedClock is a fakeClock whose time of day can be stepped without
// its timers, which count elapsed time, noticing: the system clock set
// forward, or a host that slept.
type steppedClock struct {
	*fakeClock
	mu   sync.Mutex
	step time.Duration
}

func (c *steppedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fakeClock.Now().Add(c.step)
}

func (c *steppedClock) stepBy(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.step += d
}

// TestDigestAfterTheClockWasStepped_NOTE1: the digest goes out at the
// configured London time by the clock, not after the time that was left
// until it when the timer was set: once the system clock is stepped past
// it (or the host slept through it), it goes out within a minute.
func TestDigestAfterTheClockWasStepped_NOTE1(t *testing.T) {
	h := newHarness(t)
	clock := &steppedClock{fakeClock: h.clock}
	h.opts.Clock = clock
	r := h.start(h.smtpSender())
	lastWeek := monday0600.AddDate(0, 0, -7)
	nw := h.network(lastWeek)
	h.makeReferral(nw, false, lastWeek)
	h.mail.WaitFor(t, 1)
	h.caughtUp(r.n)

	clock.stepBy(3 * time.Hour)                // 09:00 by the clock, 06:00 by the timers
	h.clock.Set(monday0600.Add(digestRecheck)) // a minute passes
	msgs := h.mail.WaitFor(t, 3)
	mustOne(t, msgs, toAdmin, "Overdue referrals for Receiving Housing Trust on 2026-03-02: 1")
	mustOne(t, msgs, coordinatorMail, "on 2026-03-02")
}
