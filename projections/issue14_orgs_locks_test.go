package projections

import (
	"context"
	"encoding/json"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
	"github.com/referral-ledger/ledger/ledger"
)

// accountModels are the organisations, locks and message rate read models
// on one views database.
type accountModels struct {
	views *Views
	orgs  *Organisations
	locks *Locks
	rate  *MessageRate
}

const (
	issue14RateLimit  = 3
	issue14RateWindow = time.Hour
)

// openAccountModels opens the read models kept in the views at path.
func openAccountModels(t *testing.T, path string, now func() time.Time) accountModels {
	t.Helper()
	ctx := context.Background()
	views, err := OpenViews(path)
	if err != nil {
		t.Fatal(err)
	}
	m := accountModels{views: views}
	if m.orgs, err = OpenOrganisations(ctx, views); err != nil {
		t.Fatal(err)
	}
	if m.locks, err = OpenLocks(ctx, views); err != nil {
		t.Fatal(err)
	}
	if m.rate, err = OpenMessageRate(ctx, views, issue14RateLimit, issue14RateWindow, now); err != nil {
		t.Fatal(err)
	}
	return m
}

// run feeds the read models from store through a runner, as the node
// does, until they hold every event; it returns where the runner's own
// subscription started.
func (m accountModels) run(t *testing.T, store eventstore.Store) eventstore.Position {
	t.Helper()
	ctx := context.Background()
	logged := &subscribeLog{Store: store}
	r := NewRunner(logged, ledger.NewPublicCodec(), m.orgs, m.locks, m.rate)
	r.CheckChains()
	r.UseViews(m.views)
	// What the runner says, before it replays, it resumes after (where
	// the node destroys revived keys of clients erased later, R-PRIV-8).
	var told []eventstore.Position
	r.SetBeforeReplay(func(_ context.Context, after eventstore.Position) error {
		told = append(told, after)
		return nil
	})
	head, err := store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(runCtx) }()
	if err := r.WaitFor(ctx, head); err != nil {
		t.Fatal(err)
	}
	stop()
	<-done
	for _, v := range []Persistent{m.orgs, m.locks, m.rate} {
		if cp, err := m.views.Checkpoint(ctx, v.ViewName()); err != nil || cp != head {
			t.Fatalf("the %s checkpoint is %d (%v), want the head %d", v.ViewName(), cp, err, head)
		}
	}
	if from := logged.last(); len(told) != 1 || told[0] != from {
		t.Fatalf("before replaying, the runner said it resumes after %v; it subscribed after %d", told, from)
	}
	return logged.last()
}

// accountState is everything the three read models answer.
type accountState struct {
	Directory  []DirectoryEntry
	Users      []domain.User
	ByID       map[uuid.UUID]domain.User
	ByName     map[string]domain.User
	Named      map[string]uuid.UUID
	MFA        map[uuid.UUID]bool
	LockOf     map[uuid.UUID]domain.Lock
	Locked     []LockedCase
	LockedBy   []LockedCase
	Pending    []ledger.PendingLock
	Locks      [2]int
	Requests   map[uuid.UUID]string
	Sent       map[rateKey][]sentMessage
	Seen       map[uuid.UUID]rateKey
	CheckOrgs  eventstore.Position
	CheckLocks eventstore.Position
	CheckRate  eventstore.Position
}

// accountWorld is the network the history is about.
type accountWorld struct {
	orgA, orgB                          uuid.UUID
	coord, lead, support, adviser, late uuid.UUID
	byLead, bySupport                   uuid.UUID
	clients                             [4]uuid.UUID
	requests                            []uuid.UUID
	now                                 time.Time
}

func (w *accountWorld) state(t *testing.T, m accountModels) accountState {
	t.Helper()
	s := accountState{Directory: m.orgs.Directory(w.now), Users: m.orgs.Users(), ByID: map[uuid.UUID]domain.User{},
		ByName: map[string]domain.User{}, Named: map[string]uuid.UUID{}, MFA: map[uuid.UUID]bool{},
		LockOf: map[uuid.UUID]domain.Lock{}, Requests: map[uuid.UUID]string{}}
	for _, id := range []uuid.UUID{w.coord, w.lead, w.support, w.adviser, w.late, w.byLead, w.bySupport, uuid.New()} {
		if u, ok := m.orgs.UserByID(id); ok {
			s.ByID[id] = u
		}
	}
	for _, name := range []string{"coord", "LEAD", "support", "adviser", "late", "bylead", "bysupport", "nobody"} {
		if u, ok := m.orgs.UserByUsername(name); ok {
			s.ByName[name] = u
		}
	}
	for _, name := range []string{"Alder Advice", "  BIRCH   housing ", "Nowhere"} {
		if id, ok := m.orgs.OrganisationNamed(name); ok {
			s.Named[name] = id
		}
	}
	for _, org := range []uuid.UUID{w.orgA, w.orgB} {
		s.MFA[org] = m.orgs.RequiresMFA(org)
	}
	for _, c := range w.clients {
		s.LockOf[c] = m.locks.LockOf(c)
	}
	s.Locked, s.LockedBy, s.Pending = m.locks.LockedCases(domain.Actor{}), m.locks.LockedCases(domain.Actor{UserID: w.adviser}), m.locks.PendingLocks()
	s.Locks[0], s.Locks[1] = m.locks.CountsAt(w.now)
	for _, r := range append(slices.Clone(w.requests), uuid.New()) {
		client, unlock, ok, err := m.locks.ClientOfLockRequest(r)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			s.Requests[r] = client.String() + map[bool]string{true: " unlock", false: " lock"}[unlock]
		}
	}
	m.rate.mu.Lock()
	s.Sent, s.Seen = cloneSent(m.rate.sent), maps.Clone(m.rate.seen)
	m.rate.mu.Unlock()
	var err error
	ctx := context.Background()
	if s.CheckOrgs, err = m.views.Checkpoint(ctx, organisationsView); err != nil {
		t.Fatal(err)
	}
	if s.CheckLocks, err = m.views.Checkpoint(ctx, locksView); err != nil {
		t.Fatal(err)
	}
	if s.CheckRate, err = m.views.Checkpoint(ctx, messageRateView); err != nil {
		t.Fatal(err)
	}
	return s
}

func cloneSent(in map[rateKey][]sentMessage) map[rateKey][]sentMessage {
	out := make(map[rateKey][]sentMessage, len(in))
	for k, v := range in {
		out[k] = slices.Clone(v)
	}
	return out
}

// appender appends events through the sealing codec, as the service does.
type appender struct {
	t     *testing.T
	store eventstore.Store
	codec *ledger.Codec
	at    time.Time
}

func (a *appender) add(stream string, actor, org uuid.UUID, ev domain.Event) {
	a.t.Helper()
	a.at = a.at.Add(time.Minute)
	a.addAt(stream, a.at, actor, org, ev)
}

func (a *appender) addAt(stream string, at time.Time, actor, org uuid.UUID, ev domain.Event) {
	a.t.Helper()
	meta := eventstore.Metadata{RecordedAt: at.UTC()}
	if actor != uuid.Nil {
		meta.ActorUserID = actor.String()
	}
	if org != uuid.Nil {
		meta.ActorOrganisationID = org.String()
	}
	data, err := a.codec.Encode(context.Background(), uuid.New(), ev, meta)
	if err != nil {
		a.t.Fatal(err)
	}
	if _, err := a.store.Append(context.Background(), stream, eventstore.Any(), data); err != nil {
		a.t.Fatal(err)
	}
}

func (w *accountWorld) user(a *appender, org, actor, id uuid.UUID, name string, roles ...domain.Role) {
	a.t.Helper()
	a.add(ledger.OrganisationStream(org), actor, org, &domain.OrganisationUserAdded{UserID: id, Username: name,
		DisplayName: "Staff " + name, Email: name + "@example.org", Roles: roles, Team: "Intake", PasswordHash: "hash-" + name})
}

// firstPart records organisations, accounts with roles granted with and
// without the coordinator's authority (R-AUTH-7), locks in every state
// (R-LOCK-1..7) and messages in and out of the rate window (R-LOCK-8).
func (w *accountWorld) firstPart(a *appender) {
	a.add(ledger.OrganisationStream(w.orgA), uuid.Nil, uuid.Nil, &domain.OrganisationRegistered{OrganisationID: w.orgA,
		Name: "Alder Advice", Description: "Advice", AdminEmail: "admin@alder.example", Services: []domain.Service{{Name: "Debt", Description: "Debt advice"}}})
	w.user(a, w.orgA, uuid.Nil, w.coord, "coord", domain.RoleCoordinator)
	a.add(ledger.OrganisationStream(w.orgB), w.coord, w.orgA, &domain.OrganisationRegistered{OrganisationID: w.orgB,
		Name: "Birch Housing", AdminEmail: "admin@birch.example", Services: []domain.Service{}})
	w.user(a, w.orgB, w.coord, w.lead, "lead", domain.RoleOrgLead)
	// An org lead grants a network role: void (R-AUTH-7).
	w.user(a, w.orgB, w.lead, w.support, "support", domain.RoleSystemSupport, domain.RoleAdviser)
	w.user(a, w.orgB, w.coord, w.adviser, "adviser", domain.RoleAdviser, domain.RoleTeamManager)
	a.add(ledger.OrganisationStream(w.orgB), w.coord, w.orgA, &domain.OrganisationUserRolesChanged{UserID: w.lead,
		Roles: []domain.Role{domain.RoleOrgLead, domain.RoleCoordinator}, Team: "Leads"})
	a.add(ledger.OrganisationStream(w.orgB), w.lead, w.orgB, &domain.OrganisationIntakeSwitchedOff{Reason: "full", ResumeOn: "2027-01-04"})
	a.add(ledger.OrganisationStream(w.orgA), w.coord, w.orgA, &domain.OrganisationDirectoryUpdated{Name: "Alder Advice",
		Description: "Advice and more", Services: []domain.Service{{Name: "Benefits"}}})
	a.add(ledger.OrganisationStream(w.orgA), w.coord, w.orgA, &domain.OrganisationPasswordChanged{UserID: w.coord, PasswordHash: "hash-2", PasswordChangeRequired: true})
	a.add(ledger.OrganisationStream(w.orgB), w.lead, w.orgB, &domain.OrganisationUserMFAEnrolled{UserID: w.lead, Method: "totp"})
	a.add(ledger.OrganisationStream(w.orgB), w.lead, w.orgB, &domain.OrganisationMFARequirementChanged{Required: true})
	w.user(a, w.orgB, w.lead, w.late, "late", domain.RoleAdviser)
	a.add(ledger.OrganisationStream(w.orgB), w.lead, w.orgB, &domain.OrganisationAccountClosed{UserID: w.late})

	c := w.clients
	w.requests = []uuid.UUID{uuid.New(), uuid.New(), uuid.New(), uuid.New(), uuid.New()}
	r := w.requests
	a.add(ledger.ClientStream(c[0]), w.adviser, w.orgB, &domain.LockRequested{RequestID: r[0], ClientID: c[0], ResponsibleUserID: w.adviser,
		Reason: "sealed", Allow: []domain.Party{{UserID: w.lead}, {Team: "Intake", OrganisationID: w.orgB}}, Deny: []domain.Party{{Role: domain.RoleHelpdesk}},
		SeriousCaseReview: true})
	a.add(ledger.ClientStream(c[0]), w.lead, w.orgB, &domain.LockApproved{RequestID: r[0]})
	a.add(ledger.ClientStream(c[0]), w.lead, w.orgB, &domain.TemporaryAccessGranted{GrantID: uuid.New(), ClientID: c[0], UserID: w.support,
		ExpiresAt: w.now.Add(20 * time.Hour), Reason: "sealed"})
	a.add(ledger.ClientStream(c[0]), w.adviser, w.orgB, &domain.UnlockRequested{RequestID: r[1], ClientID: c[0], Reason: "sealed"})
	a.add(ledger.ClientStream(c[1]), w.adviser, w.orgB, &domain.LockRequested{RequestID: r[2], ClientID: c[1], ResponsibleUserID: w.lead, Reason: "sealed"})
	a.add(ledger.ClientStream(c[2]), w.adviser, w.orgB, &domain.LockRequested{RequestID: r[3], ClientID: c[2], ResponsibleUserID: w.lead, Reason: "sealed"})
	a.add(ledger.ClientStream(c[2]), w.lead, w.orgB, &domain.LockRefused{RequestID: r[3], ClientID: c[2], Reason: "sealed"})
	a.add(ledger.ClientStream(c[3]), w.adviser, w.orgB, &domain.ClientErasureRequested{RequestID: r[4], ClientID: c[3], Reason: "sealed"})

	// Messages: one older than the window, two within it.
	for _, ago := range []time.Duration{2 * time.Hour, 30 * time.Minute, 10 * time.Minute} {
		a.addAt(ledger.MessagesStream(c[0]), w.now.Add(-ago), w.adviser, w.orgB,
			&domain.MessageForResponsiblePerson{MessageID: uuid.New(), ClientID: c[0], Text: "sealed"})
	}
}

// secondPart needs the first's state: who held the coordinator role, which
// lock is pending.
func (w *accountWorld) secondPart(a *appender) {
	c, r := w.clients, w.requests
	// The lead holds the coordinator role now: a network role they grant
	// stands; the support account's void role grants nothing, so one it
	// grants is void.
	w.user(a, w.orgA, w.lead, w.byLead, "bylead", domain.RoleEmergencyDuty)
	w.user(a, w.orgA, w.support, w.bySupport, "bysupport", domain.RoleAuditor, domain.RoleAdviser)
	a.add(ledger.ClientStream(c[1]), w.lead, w.orgB, &domain.LockApproved{RequestID: r[2]})
	a.add(ledger.ClientStream(c[0]), w.lead, w.orgB, &domain.UnlockApproved{RequestID: r[1]})
	a.add(ledger.OrganisationStream(w.orgA), w.coord, w.orgA, &domain.OrganisationIntakeSwitchedOff{Reason: "closed"})
	a.addAt(ledger.MessagesStream(c[0]), w.now.Add(-5*time.Minute), w.adviser, w.orgB,
		&domain.MessageForResponsiblePerson{MessageID: uuid.New(), ClientID: c[0], Text: "sealed"})
}

func newAccountWorld() *accountWorld {
	w := &accountWorld{orgA: uuid.New(), orgB: uuid.New(), coord: uuid.New(), lead: uuid.New(), support: uuid.New(),
		adviser: uuid.New(), late: uuid.New(), byLead: uuid.New(), bySupport: uuid.New(),
		now: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)}
	for i := range w.clients {
		w.clients[i] = uuid.New()
	}
	return w
}

// TestIssue14_AccountsLocksAndMessagesResumeFromViews (issue 14, point 2;
// R-VIEW-4, R-VIEW-5, R-AUTH-7, R-LOCK-1..8): the organisations, locks and
// message rate read models, kept in views.db, answer the same after a
// restart as before it without replaying the log: re-opened on the same
// file they resume from their checkpoints (the runner's subscription
// starts there, so no old event is applied again); and the views built
// with a restart in between hold the same rows as views rebuilt from the
// whole log at once, and answer the same.
func TestIssue14_AccountsLocksAndMessagesResumeFromViews(t *testing.T) {
	dir := t.TempDir()
	store, err := sqlite.Open(filepath.Join(dir, "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	w := newAccountWorld()
	clock := func() time.Time { return w.now }
	a := &appender{t: t, store: store, codec: ledger.NewCodec(benchKeys{}), at: w.now.Add(-3 * time.Hour)}

	w.firstPart(a)
	incremental := filepath.Join(dir, "incremental.db")
	m := openAccountModels(t, incremental, clock)
	if from := m.run(t, store); from != eventstore.Start {
		t.Fatalf("empty views: the runner subscribed after %d, want the start", from)
	}
	before := w.state(t, m)
	m.views.Close()

	// What the first part must show, so the comparisons below compare
	// something.
	if got := before.ByName["support"].VoidRoles; !slices.Equal(got, []domain.Role{domain.RoleSystemSupport}) {
		t.Errorf("the support account's void roles are %v, want system support (R-AUTH-7)", got)
	}
	if len(before.Directory) != 2 || before.Directory[1].AcceptingReferrals || before.Directory[1].ResumeOn != "2027-01-04" {
		t.Errorf("the directory is %+v", before.Directory)
	}
	if before.LockOf[w.clients[0]].Status != domain.LockLocked || before.LockOf[w.clients[0]].UnlockRequestID != w.requests[1] ||
		before.LockOf[w.clients[1]].Status != domain.LockPending || before.Locks != [2]int{1, 1} || len(before.Pending) != 2 {
		t.Errorf("the locks are %+v, pending %+v, counts %v", before.LockOf, before.Pending, before.Locks)
	}
	if len(before.Requests) != 4 || len(before.Seen) != 2 {
		t.Errorf("the lock requests are %v; the messages counted %v", before.Requests, before.Seen)
	}

	m = openAccountModels(t, incremental, clock)
	if again := w.state(t, m); !reflect.DeepEqual(again, before) {
		t.Fatalf("re-opened, the read models answer otherwise:\n%+v\nbefore:\n%+v", again, before)
	}
	head1, err := store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	w.secondPart(a)
	if from := m.run(t, store); from != head1 {
		t.Fatalf("the restart subscribed after %d, want its checkpoint %d", from, head1)
	}
	after := w.state(t, m)
	m.views.Close()
	if got := after.ByName["bylead"].VoidRoles; got != nil {
		t.Errorf("a network role granted by a coordinator of the first part is void: %v", got)
	}
	if got := after.ByName["bysupport"].VoidRoles; !slices.Equal(got, []domain.Role{domain.RoleAuditor}) {
		t.Errorf("a network role granted without authority: void roles %v, want auditor", got)
	}
	if after.LockOf[w.clients[0]].Status != domain.LockNone || after.Locks != [2]int{1, 0} || len(after.Pending) != 0 {
		t.Errorf("after the second part the locks are %+v, counts %v", after.LockOf, after.Locks)
	}
	if len(after.Seen) != 3 {
		t.Errorf("%d messages counted, want the 3 within the window", len(after.Seen))
	}
	if !reflect.DeepEqual(w.state(t, openAccountModels(t, incremental, clock)), after) {
		t.Error("re-opened after the second part, the read models answer otherwise")
	}

	rebuilt := filepath.Join(dir, "rebuilt.db")
	r := openAccountModels(t, rebuilt, clock)
	r.run(t, store)
	if got := w.state(t, r); !reflect.DeepEqual(got, after) {
		t.Errorf("rebuilt from the whole log, the read models answer otherwise:\n%+v\nincremental:\n%+v", got, after)
	}
	r.views.Close()
	want := dumpViews(t, rebuilt)
	for _, table := range []string{"organisations", "organisation_users", "organisation_usernames", "locks", "lock_requests", "message_rate"} {
		if len(want[table]) == 0 {
			t.Errorf("the rebuilt views hold no row in %s", table)
		}
	}
	if len(want["locks"]) != 1 {
		t.Errorf("the locks table holds %v, want only the case locked now", want["locks"])
	}
	if got := dumpViews(t, incremental); !reflect.DeepEqual(got, want) {
		t.Errorf("incremental views differ from the rebuild:\n%v\n%v", got, want)
	}

	// The last answer of the rate: the limit is reached until the oldest
	// message in the window ages out.
	m = openAccountModels(t, incremental, clock)
	defer m.views.Close()
	wait, ok := m.rate.Reserve(w.adviser, w.clients[0], uuid.New(), w.now)
	if ok || wait != 30*time.Minute {
		t.Errorf("after a restart, a fourth message: ok %v, wait %v; want refused for 30m (R-LOCK-8)", ok, wait)
	}
}

// TestMessageRateRestartCountsOnlyTheWindow_LOCK8: a restart counts the
// messages recorded within the window as of its clock, and the rows that
// aged out are deleted from the views as the runner goes on.
func TestMessageRateRestartCountsOnlyTheWindow_LOCK8(t *testing.T) {
	path := filepath.Join(t.TempDir(), "views.db")
	now := time.Date(2026, 12, 14, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	views, err := OpenViews(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := OpenMessageRate(context.Background(), views, 2, time.Hour, clock)
	if err != nil {
		t.Fatal(err)
	}
	sender, client := uuid.New(), uuid.New()
	var pos eventstore.Position
	record := func(p *MessageRate, at time.Time) {
		pos++
		p.Apply(eventstore.RecordedEvent{Position: pos}, domain.Recorded{At: at, ActorUserID: sender,
			Event: &domain.MessageForResponsiblePerson{MessageID: uuid.New(), ClientID: client}})
	}
	record(p, now.Add(-50*time.Minute))
	record(p, now.Add(-10*time.Minute))
	views.Close()

	reopen := func() *MessageRate {
		t.Helper()
		if views, err = OpenViews(path); err != nil {
			t.Fatal(err)
		}
		p, err := OpenMessageRate(context.Background(), views, 2, time.Hour, clock)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p = reopen()
	if wait, ok := p.Reserve(sender, client, uuid.New(), now); ok || wait != 10*time.Minute {
		t.Errorf("after a restart: ok %v, wait %v; want refused for 10m", ok, wait)
	}
	views.Close()

	now = now.Add(20 * time.Minute) // the first message is out of the window
	p = reopen()
	defer views.Close()
	if _, ok := p.Reserve(sender, client, uuid.New(), now); !ok {
		t.Error("after a restart, a message that aged out still counts")
	}
	record(p, now.Add(-time.Minute))
	rows := dumpTable(t, views, "message_rate")
	if len(rows) != 2 {
		t.Errorf("the views keep %d messages, want the 2 within the window: %v", len(rows), rows)
	}
}

func dumpTable(t *testing.T, v *Views, table string) []string {
	t.Helper()
	d, err := v.Dump(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return d[table]
}

// TestIssue14_OrganisationsShowABatchOnceCommitted: what a batch applies
// is seen by readers only once it commits, with its rows; a batch rolled
// back leaves neither memory nor the views changed, and its events apply
// again afterwards.
func TestIssue14_OrganisationsShowABatchOnceCommitted(t *testing.T) {
	p := NewOrganisations()
	org, user := uuid.New(), uuid.New()
	log := newEventLog()
	t0 := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	log.add(ledger.OrganisationStream(org), t0, uuid.Nil, uuid.Nil, &domain.OrganisationRegistered{OrganisationID: org, Name: "Alder"})
	log.add(ledger.OrganisationStream(org), t0, uuid.Nil, uuid.Nil, &domain.OrganisationUserAdded{UserID: user, Username: "ann",
		Roles: []domain.Role{domain.RoleCoordinator}})
	apply := func() *Batch {
		t.Helper()
		b, err := p.views.Begin(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range log.events {
			if err := p.ApplyIn(b, e.stored, e.rec); err != nil {
				t.Fatal(err)
			}
		}
		return b
	}
	shown := func() bool {
		_, byName := p.UserByUsername("ann")
		_, byID := p.UserByID(user)
		return len(p.Directory(t0)) > 0 || byName || byID
	}
	b := apply()
	if shown() {
		t.Error("an uncommitted batch is shown")
	}
	b.Rollback()
	if shown() || len(dumpTable(t, p.views, "organisations")) > 0 {
		t.Fatal("a batch rolled back is shown or kept")
	}
	if err := apply().Commit(); err != nil {
		t.Fatal(err)
	}
	if !shown() || len(dumpTable(t, p.views, "organisation_users")) != 1 {
		t.Fatal("the events of a batch rolled back were not applied again")
	}
}

// fillAll sets every field of v, recursively, to a value that is not the
// zero value; it fails on a field it cannot set (unexported).
func fillAll(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.Date(2026, 12, 7, 9, 30, 15, 123456789, time.UTC)))
			return
		}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				t.Errorf("%s.%s is not exported: JSON would not keep it", path, f.Name)
				continue
			}
			if f.Tag.Get("json") == "-" {
				t.Errorf("%s.%s is left out of JSON", path, f.Name)
			}
			fillAll(t, v.Field(i), path+"."+f.Name)
		}
	case reflect.Array:
		for i := range v.Len() {
			v.Index(i).Set(reflect.ValueOf(uint8(i + 1)).Convert(v.Type().Elem()))
		}
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := range 2 {
			fillAll(t, s.Index(i), path+"[]")
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fillAll(t, k, path+"{key}")
		fillAll(t, e, path+"{}")
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.String:
		v.SetString("x " + path)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(-7)
	case reflect.Uint, reflect.Uint64, reflect.Uint32, reflect.Uint8:
		v.SetUint(7)
	default:
		t.Errorf("%s: cannot fill a %s", path, v.Kind())
	}
}

// TestIssue14_KeptStatesRoundTrip: the organisation, account and lock
// states the views keep as JSON come back exactly, every field of them,
// new ones included.
func TestIssue14_KeptStatesRoundTrip(t *testing.T) {
	for _, v := range []any{&domain.Organisation{}, &domain.User{}, &domain.Lock{}} {
		fillAll(t, reflect.ValueOf(v).Elem(), reflect.TypeOf(v).Elem().Name())
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		back := reflect.New(reflect.TypeOf(v).Elem())
		if err := json.Unmarshal(data, back.Interface()); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back.Interface(), v) {
			t.Errorf("%T does not round-trip:\n%+v\n%+v", v, back.Elem().Interface(), reflect.ValueOf(v).Elem().Interface())
		}
	}
	if isZeroLock(domain.Lock{Grants: []domain.TemporaryGrant{}}) || !isZeroLock(domain.Lock{}) {
		t.Error("isZeroLock")
	}
}
