package notify

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
)

// countingStore is a store that counts the events read through it at or
// before a position, and after it.
type countingStore struct {
	eventstore.Store
	upTo eventstore.Position

	mu           sync.Mutex
	early, later int
}

func (s *countingStore) count(evs ...eventstore.RecordedEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ev := range evs {
		if ev.Position <= s.upTo {
			s.early++
		} else {
			s.later++
		}
	}
}

func (s *countingStore) counts() (early, later int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.early, s.later
}

func (s *countingStore) ReadAll(ctx context.Context, after eventstore.Position, limit int) ([]eventstore.RecordedEvent, error) {
	evs, err := s.Store.ReadAll(ctx, after, limit)
	s.count(evs...)
	return evs, err
}

func (s *countingStore) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.RecordedEvent, error) {
	evs, err := s.Store.ReadStream(ctx, stream, from, limit)
	s.count(evs...)
	return evs, err
}

func (s *countingStore) Subscribe(ctx context.Context, after eventstore.Position) eventstore.Subscription {
	inner := s.Store.Subscribe(ctx, after)
	sub := &countingSubscription{inner: inner, out: make(chan eventstore.RecordedEvent)}
	go func() {
		defer close(sub.out)
		for ev := range inner.Events() {
			s.count(ev)
			select {
			case sub.out <- ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	return sub
}

type countingSubscription struct {
	inner eventstore.Subscription
	out   chan eventstore.RecordedEvent
}

func (c *countingSubscription) Events() <-chan eventstore.RecordedEvent { return c.out }
func (c *countingSubscription) Err() error                              { return c.inner.Err() }
func (c *countingSubscription) Close()                                  { c.inner.Close() }

// startOn opens a notifier at path on store and runs it until the test
// stops it.
func (h *harness) startOn(path string, store eventstore.Store, sender Sender) *running {
	h.tb.Helper()
	n, err := Open(context.Background(), path, store, sender, h.opts)
	if err != nil {
		h.tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{n: n, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- n.Run(ctx) }()
	h.tb.Cleanup(func() { r.stop(h.tb) })
	return r
}

func (h *harness) head() eventstore.Position {
	h.tb.Helper()
	head, err := h.store.Head(context.Background())
	if err != nil {
		h.tb.Fatal(err)
	}
	return head
}

// lockCase locks client's case with nw.toLead responsible for it.
func (h *harness) lockCase(nw network, client uuid.UUID, at time.Time) {
	manager := domain.Actor{UserID: nw.toLead.UserID, OrganisationID: nw.to}
	request := uuid.New()
	h.appendEvent(ledger.ClientStream(client), manager, at, &domain.LockRequested{RequestID: request, ClientID: client,
		ResponsibleUserID: nw.toLead.UserID, Reason: "reason " + marker, Allow: []domain.Party{}, Deny: []domain.Party{}})
	h.appendEvent(ledger.ClientStream(client), manager, at, &domain.LockApproved{RequestID: request})
}

// wantNoClientData checks the notifier's database files hold none of the
// client data, free text or password hashes of the events.
func wantNoClientData(t *testing.T, dir string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, FileName+"*"))
	if len(files) == 0 {
		t.Fatal("no notifications database")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{marker, "$argon2id$", "User "} {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds %q", filepath.Base(f), s)
			}
		}
	}
}

// TestIssue14RunResumesFromItsCheckpoint_NOTE3: a notifier restarted on a
// ledger it has processed reads no event at or before its checkpoint, yet
// addresses notices about referrals, accounts and locks it learnt of
// before: its state was kept with the checkpoint. The state holds no
// client data, free text or password hash (R-NOTE-2, R-PRIV-7).
func TestIssue14RunResumesFromItsCheckpoint_NOTE3(t *testing.T) {
	h := newHarness(t)
	path := filepath.Join(h.dir, FileName)
	first := h.start(LogSender{Log: zerolog.Nop()})
	first.stop(t) // the checkpoint is before everything below
	at := monday0600.Add(-time.Hour)
	nw := h.network(at)
	before := h.makeBatch(nw, 20) + 1
	id, client := h.makeReferral(nw, false, at)
	h.lockCase(nw, client, at)
	second := h.start(h.smtpSender())
	h.mail.WaitFor(t, before)
	h.caughtUp(second.n)
	second.stop(t)
	head := h.head()
	wantNoClientData(t, h.dir)

	counting := &countingStore{Store: h.store, upTo: head}
	r := h.startOn(path, counting, h.smtpSender())
	h.acknowledge(nw, id, at)
	h.appendEvent(ledger.MessagesStream(client), nw.adviser, at, &domain.MessageForResponsiblePerson{MessageID: uuid.New(),
		ClientID: client, Text: "text " + marker})
	msgs := h.mail.WaitFor(t, before+2)[before:]
	h.caughtUp(r.n)
	r.stop(t)
	mustOne(t, msgs, adviserMail, Reference(id)+" acknowledged")
	mustOne(t, msgs, toLeadMail, "Information passed to you")
	if len(msgs) != 2 {
		t.Errorf("%d notices after the restart (%v), want 2", len(msgs), recipients(msgs))
	}
	if early, later := counting.counts(); early != 0 || later != 2 {
		t.Errorf("the restarted notifier read %d events at or before its checkpoint %d and %d after; want 0 and 2", early, head, later)
	}
	wantNoClientData(t, h.dir)
}

// outboxRow is a notice as stored, without its delivery state.
type outboxRow struct {
	ID, Kind, Reference, Recipient, Subject, Body, Link string
}

func outboxRows(t *testing.T, n *Notifier) []outboxRow {
	t.Helper()
	rows, err := n.outbox.db.Query(`SELECT id, kind, reference, recipient, subject, body, link FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []outboxRow
	for rows.Next() {
		var r outboxRow
		if err := rows.Scan(&r.ID, &r.Kind, &r.Reference, &r.Recipient, &r.Subject, &r.Body, &r.Link); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// stateRows returns the rows of the state tables, and the state's
// position.
func stateRows(t *testing.T, n *Notifier) []string {
	t.Helper()
	var out []string
	for _, q := range []string{`SELECT 'referral', hex(id), ifnull(due, ''), hex(data) FROM state_referrals`,
		`SELECT 'lock', hex(client), '', hex(data) FROM state_locks`,
		`SELECT 'organisation', hex(id), '', hex(data) FROM state_organisations`,
		`SELECT 'user', hex(id), '', hex(data) FROM state_users`,
		`SELECT 'meta', name, '', value FROM meta WHERE name = 'state_position'`} {
		rows, err := n.outbox.db.Query(q + ` ORDER BY 2`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var kind, id, due, data string
			if err := rows.Scan(&kind, &id, &due, &data); err != nil {
				t.Fatal(err)
			}
			out = append(out, kind+" "+id+" "+due+" "+data)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func digestCount(t *testing.T, n *Notifier) int {
	t.Helper()
	var k int
	if err := n.outbox.db.QueryRow(`SELECT COUNT(*) FROM outbox WHERE kind = ?`, string(KindOverdueDigest)).Scan(&k); err != nil {
		t.Fatal(err)
	}
	return k
}

// TestIssue14NoticesAfterRestartsEqualAnUninterruptedRun_NOTE1: a
// notifier restarted between referrals' events, whose overdue digest is
// computed from the referrals stored with its checkpoint, enqueues exactly
// the notices of one that ran throughout, and its digest is the one an
// in-memory fold of the whole log gives. The caches are kept tiny, so
// referrals and locks are read back from the database.
func TestIssue14NoticesAfterRestartsEqualAnUninterruptedRun_NOTE1(t *testing.T) {
	defer func(limit int) { cacheLimit = limit }(cacheLimit)
	cacheLimit = 1
	h := newHarness(t)
	quiet := LogSender{Log: zerolog.Nop()}
	pathA, pathB := filepath.Join(h.dir, "a-"+FileName), filepath.Join(h.dir, "b-"+FileName)
	uninterrupted := h.startOn(pathA, h.store, quiet)
	restarted := h.startOn(pathB, h.store, quiet)
	restart := func() {
		h.caughtUp(restarted.n)
		restarted.stop(t)
		restarted = h.startOn(pathB, h.store, quiet)
	}

	lastWeek := monday0600.AddDate(0, 0, -7)
	nw := h.network(lastWeek)
	late, _ := h.makeReferral(nw, false, lastWeek)
	urgent, _ := h.makeReferral(nw, true, lastWeek)
	acked, _ := h.makeReferral(nw, false, lastWeek.AddDate(0, 0, -7))
	agreed, agreedClient := h.makeReferral(nw, false, lastWeek)
	closed, closedClient := h.makeReferral(nw, false, lastWeek)
	twoWeeks := lastWeek.AddDate(0, 0, -7)
	declined, declinedClient := h.makeReferral(nw, false, twoWeeks)
	onTime, _ := h.makeReferral(nw, false, monday0600)
	restart()
	h.acknowledge(nw, acked, lastWeek.AddDate(0, 0, -7))
	h.acknowledge(nw, agreed, lastWeek)
	h.appendEvent(ledger.ReferralStream(agreed), nw.toLead, lastWeek, &domain.ReferralNoteAdded{NoteID: uuid.New(),
		ClientID: agreedClient, Text: "note " + marker, AgreedCloseBy: "2026-02-27"})
	h.acknowledge(nw, closed, lastWeek)
	h.lockCase(nw, closedClient, lastWeek)
	restart()
	h.closeReferral(nw, closed, closedClient, lastWeek)
	h.appendEvent(ledger.ReferralStream(declined), nw.toLead, twoWeeks, &domain.ReferralDeclined{ClientID: declinedClient,
		ReasonCode: domain.DeclineNoCapacity, Comment: "comment " + marker})
	h.appendEvent(ledger.MessagesStream(closedClient), nw.adviser, lastWeek, &domain.MessageForResponsiblePerson{
		MessageID: uuid.New(), ClientID: closedClient, Text: "text " + marker})
	restart()
	h.appendEvent(ledger.ReferralStream(declined), nw.toLead, twoWeeks, &domain.ReferralReopened{ClientID: declinedClient,
		Reason: "reason " + marker})
	restart() // the last restart: the digest reads every referral from the database
	h.caughtUp(uninterrupted.n)
	h.caughtUp(restarted.n)

	h.clock.Set(monday0600.Add(time.Hour)) // 07:00 London: the digest
	waitUntil(t, "both notifiers enqueue their digest", func() bool {
		return digestCount(t, uninterrupted.n) > 0 && digestCount(t, restarted.n) > 0
	})
	a, b := outboxRows(t, uninterrupted.n), outboxRows(t, restarted.n)
	stateA, stateB := stateRows(t, uninterrupted.n), stateRows(t, restarted.n)
	uninterrupted.stop(t)
	restarted.stop(t)
	// Rebuilt from the log by a new notifications.db, the stored state is
	// the one kept up incrementally, with or without restarts.
	rebuilt := h.startOn(filepath.Join(h.dir, "c-"+FileName), h.store, quiet)
	h.caughtUp(rebuilt.n)
	rebuilt.stop(t)
	reopened, err := Open(context.Background(), filepath.Join(h.dir, "c-"+FileName), h.store, quiet, h.opts)
	if err != nil {
		t.Fatal(err)
	}
	stateC := stateRows(t, reopened)
	reopened.Close()
	if len(stateA) == 0 || !slices.Equal(stateA, stateB) || !slices.Equal(stateA, stateC) {
		t.Errorf("stored states differ:\nuninterrupted %v\nrestarted %v\nrebuilt %v", stateA, stateB, stateC)
	}
	if !slices.Equal(a, b) {
		t.Errorf("notices of the restarted notifier differ from those of the uninterrupted one:\n%v\nwant\n%v", b, a)
	}

	// The digest an in-memory fold of the whole log gives.
	oracle := &Notifier{state: newState(), opts: h.opts, log: zerolog.Nop(), links: links{base: publicURL}}
	evs, err := h.store.ReadAll(context.Background(), eventstore.Start, 0)
	if err != nil {
		t.Fatal(err)
	}
	public := ledger.NewPublicCodec()
	for _, ev := range evs {
		rec, err := public.Decode(context.Background(), ev)
		if err != nil {
			t.Fatal(err)
		}
		oracle.state.apply(ev, rec)
	}
	now := monday0600.Add(time.Hour)
	var want []outboxRow
	for _, n := range oracle.digest("2026-03-02", now) {
		want = append(want, outboxRow{n.ID, string(n.Kind), n.Reference, n.To, n.Subject, n.Body, n.Link})
	}
	var got []outboxRow
	for _, r := range b {
		if r.Kind == string(KindOverdueDigest) {
			got = append(got, r)
		}
	}
	slices.SortFunc(want, func(x, y outboxRow) int { return strings.Compare(x.ID, y.ID) })
	if len(want) == 0 || !slices.Equal(got, want) {
		t.Errorf("digest from the stored state:\n%v\nwant the in-memory fold's:\n%v", got, want)
	}
	var body string
	for _, r := range got {
		if r.Recipient == coordinatorMail {
			body = r.Body
		}
	}
	for _, id := range []uuid.UUID{late, urgent, acked, agreed, declined} {
		if !strings.Contains(body, Reference(id)) {
			t.Errorf("the coordinator's digest does not list %s:\n%s", Reference(id), body)
		}
	}
	for _, id := range []uuid.UUID{closed, onTime} {
		if strings.Contains(body, Reference(id)) {
			t.Errorf("the coordinator's digest lists %s:\n%s", Reference(id), body)
		}
	}
	var locked int
	for _, r := range b {
		if r.Kind == string(KindLockedCaseMessage) {
			locked++
		}
	}
	if locked != 1 {
		t.Errorf("%d locked-case messages, want 1: the lock was read back from the database", locked)
	}
}

// TestIssue14MigratesFromSchemaVersion1: a notifications.db of the schema
// without the state (version 1) is migrated; the state is rebuilt from the
// log once, without a notice for the events up to the checkpoint, notices
// after it are addressed from it, and the next restart reads nothing up to
// its checkpoint.
func TestIssue14MigratesFromSchemaVersion1(t *testing.T) {
	h := newHarness(t)
	at := monday0600.Add(-time.Hour)
	nw := h.network(at)
	id, client := h.makeReferral(nw, false, at)
	h.makeBatch(nw, 3)
	cp := h.head()

	path := filepath.Join(h.dir, FileName)
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(migrations[0] + fmt.Sprintf(`; PRAGMA application_id = %d; PRAGMA user_version = 1;
		INSERT INTO meta (name, value) VALUES ('checkpoint', '%d')`, applicationID, cp))
	if err == nil {
		err = db.Close()
	}
	if err != nil {
		t.Fatal(err)
	}

	h.acknowledge(nw, id, at) // after the checkpoint
	counting := &countingStore{Store: h.store, upTo: cp}
	r := h.startOn(path, counting, h.smtpSender())
	msgs := h.mail.WaitFor(t, 1)
	h.caughtUp(r.n)
	var version int
	if err := r.n.outbox.db.QueryRow(`PRAGMA user_version`).Scan(&version); err != nil || version != len(migrations) {
		t.Errorf("schema version %d (%v), want %d", version, err, len(migrations))
	}
	r.stop(t)
	mustOne(t, msgs, adviserMail, Reference(id)+" acknowledged")
	if len(msgs) != 1 {
		t.Errorf("%d notices (%v), want only the acknowledgement after the checkpoint", len(msgs), recipients(msgs))
	}
	if early, _ := counting.counts(); early != int(cp) {
		t.Errorf("the migration read %d events up to the checkpoint %d, want each once", early, cp)
	}

	cp = h.head()
	counting = &countingStore{Store: h.store, upTo: cp}
	r = h.startOn(path, counting, h.smtpSender())
	h.closeReferral(nw, id, client, at)
	msgs = h.mail.WaitFor(t, 2)
	h.caughtUp(r.n)
	r.stop(t)
	mustOne(t, msgs, adviserMail, Reference(id)+" closed")
	if early, later := counting.counts(); early != 0 || later != 1 {
		t.Errorf("after the migration, a restart read %d events up to the checkpoint and %d after; want 0 and 1", early, later)
	}
	wantNoClientData(t, h.dir)
}

// copyFile copies a closed SQLite database (no WAL left beside it).
func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err == nil {
		err = os.WriteFile(to, b, 0o600)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(to + suffix); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
}

// TestIssue14RestoredFromAnOlderBackupCatchesUp_NOTE3: a notifications.db
// restored from a backup older than the log resumes from its own
// checkpoint: it reads only the events after it, and its state catches up
// with them, so a notice about a referral made after the backup reaches
// its referrer.
func TestIssue14RestoredFromAnOlderBackupCatchesUp_NOTE3(t *testing.T) {
	h := newHarness(t)
	path, backup := filepath.Join(h.dir, FileName), filepath.Join(h.dir, "backup.db")
	r := h.start(h.smtpSender())
	at := monday0600.Add(-time.Hour)
	nw := h.network(at)
	h.makeReferral(nw, false, at)
	h.mail.WaitFor(t, 1)
	h.caughtUp(r.n)
	r.stop(t)
	backedUp := h.head()
	copyFile(t, path, backup)

	r = h.start(h.smtpSender())
	after, _ := h.makeReferral(nw, false, at)
	h.mail.WaitFor(t, 2)
	h.caughtUp(r.n)
	r.stop(t)
	copyFile(t, backup, path)

	counting := &countingStore{Store: h.store, upTo: backedUp}
	r = h.startOn(path, counting, h.smtpSender())
	h.acknowledge(nw, after, at)
	msgs := h.mail.WaitFor(t, 4) // the notice after the backup again, and the acknowledgement
	h.caughtUp(r.n)
	r.stop(t)
	mustOne(t, msgs, adviserMail, Reference(after)+" acknowledged")
	wantEachOnce(t, msgs, 3, msgs[1].NoticeID)
	if counts := byNoticeID(msgs); counts[msgs[1].NoticeID] != 2 {
		t.Errorf("the notice derived after the backup was sent %d times, want again once", counts[msgs[1].NoticeID])
	}
	if early, later := counting.counts(); early != 0 || later != int(h.head()-backedUp) {
		t.Errorf("the restored notifier read %d events up to its checkpoint and %d after; want 0 and %d",
			early, later, h.head()-backedUp)
	}
}

// TestIssue14DeadlinesFollowTheTimescales_NOTE1: the deadlines stored
// with the referrals are computed again when the timescales change, so a
// referral the old ones did not make overdue is in the digest the new
// ones make it overdue in.
func TestIssue14DeadlinesFollowTheTimescales_NOTE1(t *testing.T) {
	h := newHarness(t)
	lastWeek := monday0600.AddDate(0, 0, -7)
	patient := h.opts
	patient.Timescales.AcknowledgeDays = 30
	n, err := Open(context.Background(), filepath.Join(h.dir, FileName), h.store, LogSender{Log: zerolog.Nop()}, patient)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	nw := h.network(lastWeek)
	late, _ := h.makeReferral(nw, false, lastWeek) // due in 30 working days, or in 3
	h.caughtUp(n)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	n.Close()

	r := h.start(LogSender{Log: zerolog.Nop()}) // the default timescales
	h.caughtUp(r.n)
	h.clock.Set(monday0600.Add(time.Hour))
	waitUntil(t, "the digest is enqueued", func() bool { return digestCount(t, r.n) > 0 })
	var found bool
	for _, row := range outboxRows(t, r.n) {
		if row.Kind == string(KindOverdueDigest) && row.Recipient == coordinatorMail {
			found = strings.Contains(row.Body, Reference(late))
		}
	}
	if !found {
		t.Errorf("the digest under the new timescales does not list %s", Reference(late))
	}
}
