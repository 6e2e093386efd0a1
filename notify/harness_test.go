package notify

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/notify/notifytest"
)

// marker is put in every client field and free text of the events the
// tests write; it must never reach a notice, a log line or the notifier's
// database (R-NOTE-2, R-PRIV-7).
const marker = "ZQXMARKER"

const publicURL = "https://referrals.example.org"

// harness is an event store, a mail server and a notifier's options.
type harness struct {
	tb    testing.TB
	dir   string
	store *sqlite.Store
	codec *ledger.Codec // the full codec: events carry sealed client data
	clock *fakeClock
	mail  *notifytest.Server
	logs  *syncBuffer
	opts  Options
}

// monday0600 is Monday 2 March 2026, 06:00 in London (GMT).
var monday0600 = time.Date(2026, 3, 2, 6, 0, 0, 0, time.UTC)

func newHarness(tb testing.TB) *harness {
	tb.Helper()
	dir := tb.TempDir()
	store, err := sqlite.Open(filepath.Join(dir, "events.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	cal, err := calendar.New(calendar.EnglandAndWales, nil)
	if err != nil {
		tb.Fatal(err)
	}
	h := &harness{tb: tb, dir: dir, store: store, codec: ledger.NewCodec(&memKeys{keys: map[uuid.UUID]ledger.DataKey{}}),
		clock: newFakeClock(monday0600), mail: notifytest.Start(tb, notifytest.Options{}), logs: &syncBuffer{}}
	h.opts = Options{PublicURL: publicURL, DigestAt: TimeOfDay{Hour: 7}, IntakeOffReminderDays: 7,
		MaxAttempts: 5, RetryBackoff: time.Minute, Timescales: domain.DefaultTimescales(), Calendar: cal,
		Clock: h.clock, Log: zerolog.New(h.logs).Level(zerolog.DebugLevel)}
	return h
}

// smtpConfig returns an SMTPConfig for a test server without TLS.
func smtpConfig(s *notifytest.Server) SMTPConfig {
	return SMTPConfig{Host: s.Host, Port: s.Port, TLS: TLSNone, From: "Referral ledger <ledger@example.net>",
		Timeout: 10 * time.Second}
}

// smtpSender returns a sender to the harness's mail server.
func (h *harness) smtpSender() Sender {
	h.tb.Helper()
	s, err := NewSMTPSender(smtpConfig(h.mail))
	if err != nil {
		h.tb.Fatal(err)
	}
	return s
}

// open opens a notifier on the harness's notifications.db.
func (h *harness) open(sender Sender) *Notifier {
	h.tb.Helper()
	n, err := Open(context.Background(), filepath.Join(h.dir, FileName), h.store, sender, h.opts)
	if err != nil {
		h.tb.Fatal(err)
	}
	return n
}

// running is a notifier running in the background.
type running struct {
	n      *Notifier
	cancel context.CancelFunc
	done   chan error
}

// start opens and runs a notifier; stop (or the test's end) stops it.
func (h *harness) start(sender Sender) *running {
	h.tb.Helper()
	n := h.open(sender)
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{n: n, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- n.Run(ctx) }()
	h.tb.Cleanup(func() { r.stop(h.tb) })
	return r
}

// stop cancels Run, waits for it and closes the database; it may be
// called more than once.
func (r *running) stop(tb testing.TB) {
	tb.Helper()
	r.cancel()
	if err, ok := <-r.done; ok {
		close(r.done)
		if err != nil {
			tb.Errorf("Run = %v", err)
		}
		if err := r.n.Close(); err != nil {
			tb.Errorf("Close = %v", err)
		}
	}
}

// caughtUp waits until the notifier has enqueued the notices of every
// event in the store.
func (h *harness) caughtUp(n *Notifier) {
	h.tb.Helper()
	head, err := h.store.Head(context.Background())
	if err != nil {
		h.tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := n.WaitFor(ctx, head); err != nil {
		h.tb.Fatalf("notifier did not catch up with position %d: %v", head, err)
	}
}

// appendEvent writes ev to stream as actor at the given time, sealing its
// client data with the full codec.
func (h *harness) appendEvent(stream string, actor domain.Actor, at time.Time, ev domain.Event) {
	h.tb.Helper()
	ctx := context.Background()
	data, err := h.codec.Encode(ctx, uuid.New(), ev, eventstore.Metadata{ActorUserID: actor.UserID.String(),
		ActorOrganisationID: actor.OrganisationID.String(), RecordedAt: at.UTC()})
	if err != nil {
		h.tb.Fatal(err)
	}
	if _, err := h.store.Append(ctx, stream, eventstore.Any(), data); err != nil {
		h.tb.Fatal(err)
	}
}

// The network the tests use: a coordinator, and two organisations with
// an adviser and a lead each.
type network struct {
	coordinator           domain.Actor
	from, to              uuid.UUID
	adviser, lead, toLead domain.Actor
}

const (
	coordinatorMail = "coordinator@network.example"
	fromAdmin       = "admin@from.example"
	toAdmin         = "admin@to.example"
	adviserMail     = "adviser@from.example"
	fromLeadMail    = "lead@from.example"
	toLeadMail      = "lead@to.example"
)

func (h *harness) network(at time.Time) network {
	h.tb.Helper()
	coordOrg := uuid.New()
	nw := network{from: uuid.New(), to: uuid.New()}
	h.registerOrg(coordOrg, "Network coordination", "coordination@network.example", at)
	nw.coordinator = h.addUser(coordOrg, coordinatorMail, at, domain.RoleCoordinator)
	h.registerOrg(nw.from, "Referring Advice Centre", fromAdmin, at)
	h.registerOrg(nw.to, "Receiving Housing Trust", toAdmin, at)
	nw.adviser = h.addUser(nw.from, adviserMail, at, domain.RoleAdviser)
	nw.lead = h.addUser(nw.from, fromLeadMail, at, domain.RoleOrgLead)
	nw.toLead = h.addUser(nw.to, toLeadMail, at, domain.RoleOrgLead, domain.RoleAdviser)
	return nw
}

func (h *harness) registerOrg(id uuid.UUID, name, admin string, at time.Time) {
	h.appendEvent(ledger.OrganisationStream(id), domain.Actor{}, at,
		&domain.OrganisationRegistered{OrganisationID: id, Name: name, AdminEmail: admin, Services: []domain.Service{}})
}

func (h *harness) addUser(org uuid.UUID, email string, at time.Time, roles ...domain.Role) domain.Actor {
	id := uuid.New()
	h.appendEvent(ledger.OrganisationStream(org), domain.Actor{}, at, &domain.OrganisationUserAdded{UserID: id,
		Username: id.String()[:8], DisplayName: "User " + id.String()[:4], Email: email, Roles: roles,
		PasswordHash: "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA"})
	return domain.Actor{UserID: id, OrganisationID: org, Roles: roles}
}

// makeReferral writes a referral from nw.from to nw.to by the adviser,
// with the marker in every client field.
func (h *harness) makeReferral(nw network, urgent bool, at time.Time) (id, client uuid.UUID) {
	id, client = uuid.New(), uuid.New()
	h.appendEvent(ledger.ReferralStream(id), nw.adviser, at, &domain.ReferralMade{ReferralID: id,
		FromOrganisationID: nw.from, ToOrganisationID: nw.to, ClientID: client, Urgent: urgent,
		Client: domain.Client{Name: marker + " Name", DateOfBirth: "1970-01-01", Phone: "0700 " + marker,
			Email: marker + "@client.example", Address: "1 " + marker + " Street"},
		Reason: "reason " + marker, Consent: &domain.Consent{Method: domain.ConsentVerbal, Confirmed: true},
		PrivacyNoticeGiven: true})
	return id, client
}

func (h *harness) acknowledge(nw network, id uuid.UUID, at time.Time) {
	h.appendEvent(ledger.ReferralStream(id), nw.toLead, at, &domain.ReferralAcknowledged{})
}

func (h *harness) closeReferral(nw network, id, client uuid.UUID, at time.Time) {
	h.appendEvent(ledger.ReferralStream(id), nw.toLead, at, &domain.ReferralClosed{ClientID: client,
		Outcome: domain.OutcomePositive, Comment: "comment " + marker})
}

func (h *harness) note(nw network, id, client uuid.UUID, at time.Time) {
	h.appendEvent(ledger.ReferralStream(id), nw.toLead, at, &domain.ReferralNoteAdded{NoteID: uuid.New(),
		ClientID: client, Text: "note " + marker})
}

func (h *harness) intakeOff(org uuid.UUID, lead domain.Actor, at time.Time, resumeOn string) {
	h.appendEvent(ledger.OrganisationStream(org), lead, at,
		&domain.OrganisationIntakeSwitchedOff{Reason: "staff away " + marker, ResumeOn: resumeOn})
}

func (h *harness) intakeOn(org uuid.UUID, lead domain.Actor, at time.Time) {
	h.appendEvent(ledger.OrganisationStream(org), lead, at, &domain.OrganisationIntakeSwitchedOn{})
}

// byNoticeID counts the messages notifytest.Message per notice id.
func byNoticeID(msgs []notifytest.Message) map[string]int {
	out := map[string]int{}
	for _, m := range msgs {
		out[m.NoticeID]++
	}
	return out
}
