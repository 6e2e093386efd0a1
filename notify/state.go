package notify

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
)

// state is the notifier's own read model: just enough of organisations,
// accounts and referrals to address notices and find overdue referrals.
// It holds no client data: it is fed by the public codec, and keeps no
// free text.
//
// It interprets no event itself: referrals are folded by
// domain.EvolveReferral, organisations by domain.EvolveOrganisation and
// their accounts by domain.EvolveUser, clients' locks by
// domain.EvolveClient, and the notifier reads the states they return.
//
// A state opened on the notifier's database (openState) lives there, with
// the checkpoint: organisations and accounts (as many as the network has)
// are loaded whole, while referrals and locks are read when an event needs
// them and kept in a bounded cache; what events change is written in the
// transaction that moves the checkpoint (flush). A state from newState
// lives in memory only.
type state struct {
	orgs      map[uuid.UUID]domain.Organisation // Users left nil: accounts live below
	users     map[uuid.UUID]domain.User
	referrals map[uuid.UUID]domain.Referral // open or not (an ended one may be reopened); with a store, a cache
	clients   map[uuid.UUID]domain.Lock     // case locks, to reach a locked case's responsible person; with a store, a cache

	// With a store: what changed since the last flush (a changed referral
	// or lock missing from its map was forgotten), how to find a
	// referral's deadline, and the first error reading the store, which
	// stops the notifier before anything is committed.
	store *outbox
	dirty *dirtySet
	due   func(domain.Referral) (time.Time, bool)
	err   error
}

// dirtySet names what changed in a state since it was last flushed.
type dirtySet struct {
	orgs, users, referrals, clients map[uuid.UUID]struct{}
}

func newDirtySet() *dirtySet {
	return &dirtySet{orgs: map[uuid.UUID]struct{}{}, users: map[uuid.UUID]struct{}{},
		referrals: map[uuid.UUID]struct{}{}, clients: map[uuid.UUID]struct{}{}}
}

// cacheLimit bounds how many referrals, and how many locks, a stored
// state keeps in memory between flushes beyond those changed (a variable
// for tests).
var cacheLimit = 4096

type orgState struct {
	id         uuid.UUID
	name       string
	adminEmail string
}

func newState() *state {
	return &state{orgs: map[uuid.UUID]domain.Organisation{}, users: map[uuid.UUID]domain.User{},
		referrals: map[uuid.UUID]domain.Referral{}, clients: map[uuid.UUID]domain.Lock{}}
}

// fail records the first error reading the store.
func (s *state) fail(err error) {
	if s.err == nil {
		s.err = fmt.Errorf("notifier state: %w", err)
	}
}

// referral returns a referral the notifier tracks.
func (s *state) referral(id uuid.UUID) (domain.Referral, bool) { return s.lookupReferral(id, true) }

// lookupReferral is referral; stored is false when the store cannot hold
// it (its stream's first event is being applied), to spare a read.
func (s *state) lookupReferral(id uuid.UUID, stored bool) (domain.Referral, bool) {
	if r, ok := s.referrals[id]; ok {
		return r, true
	}
	if s.store == nil || !stored {
		return domain.Referral{}, false
	}
	if _, forgotten := s.dirty.referrals[id]; forgotten {
		return domain.Referral{}, false
	}
	r, ok, err := s.store.loadReferral(id)
	if err != nil {
		s.fail(err)
		return domain.Referral{}, false
	}
	if ok {
		s.referrals[id] = r
	}
	return r, ok
}

// lock returns a client's case lock.
func (s *state) lock(client uuid.UUID) domain.Lock { return s.lookupLock(client, true) }

// lookupLock is lock; stored is false when the store cannot hold it.
func (s *state) lookupLock(client uuid.UUID, stored bool) domain.Lock {
	if l, ok := s.clients[client]; ok || s.store == nil || !stored {
		return l
	}
	if _, changed := s.dirty.clients[client]; changed {
		return domain.Lock{}
	}
	l, err := s.store.loadLock(client)
	if err != nil {
		s.fail(err)
		return domain.Lock{}
	}
	s.clients[client] = l
	return l
}

// mark notes that an entry of one of the maps changed.
func (s *state) mark(set func(*dirtySet) map[uuid.UUID]struct{}, id uuid.UUID) {
	if s.dirty != nil {
		set(s.dirty)[id] = struct{}{}
	}
}

func dirtyOrgs(d *dirtySet) map[uuid.UUID]struct{}      { return d.orgs }
func dirtyUsers(d *dirtySet) map[uuid.UUID]struct{}     { return d.users }
func dirtyReferrals(d *dirtySet) map[uuid.UUID]struct{} { return d.referrals }
func dirtyClients(d *dirtySet) map[uuid.UUID]struct{}   { return d.clients }

// readings declares what the notifier does with each event type: it folds
// referrals, organisations with their accounts, and clients with their
// locks, and derives notices from some of their events (derive); it needs
// nothing from access logs or name and username reservations.
var readings = domain.Readings{}.
	Handle(domain.ReferralEventTypes()...).
	Handle(domain.OrganisationEventTypes()...).
	Handle(domain.ClientEventTypes()...).Handle(domain.LockEventTypes()...).
	Ignore(domain.AccessEventTypes()...).Ignore(domain.AuditEventTypes()...).
	Ignore(domain.OrganisationNameEventTypes()...).Ignore(domain.UsernameEventTypes()...).
	Ignore(domain.NetworkRoleEventTypes()...)

// Readings declares what the notifier does with each event type of the
// domain; it stops at an event of a type it does not declare.
func Readings() domain.Readings { return readings }

// apply folds one event into the read model.
func (s *state) apply(stored eventstore.RecordedEvent, rec domain.Recorded) {
	if id, ok := ledger.ReferralIDFromStream(stored.Stream); ok {
		s.applyReferral(id, rec, stored.Revision > 0)
		return
	}
	if rest, ok := strings.CutPrefix(stored.Stream, ledger.ClientPrefix); ok {
		if id, err := uuid.Parse(rest); err == nil {
			c := domain.EvolveClient(domain.ClientRecord{Lock: s.lookupLock(id, stored.Revision > 0)}, rec)
			s.clients[id] = c.Lock
			s.mark(dirtyClients, id)
		}
		return
	}
	orgID, ok := orgOfStream(stored.Stream)
	if !ok {
		return
	}
	if e, ok := rec.Event.(domain.UserEvent); ok {
		u, known := s.users[e.AccountID()]
		if _, added := e.(*domain.OrganisationUserAdded); added {
			u, known = domain.User{OrganisationID: orgID}, true
		}
		if known {
			s.users[e.AccountID()] = domain.EvolveUser(u, rec)
			s.mark(dirtyUsers, e.AccountID())
		}
		return
	}
	s.orgs[orgID] = domain.EvolveOrganisation(s.orgs[orgID], rec)
	s.mark(dirtyOrgs, orgID)
}

func (s *state) applyReferral(id uuid.UUID, rec domain.Recorded, stored bool) {
	// The fold alone says what is open (a reopened referral is again,
	// R-REF-12); ended ones have no deadline, so they are never overdue.
	// A referral over for good is forgotten, to keep memory flat; a
	// closed or declined one is kept, as it may be reopened.
	prev, _ := s.lookupReferral(id, stored)
	r := domain.EvolveReferral(prev, rec)
	if !r.Exists {
		return // a stream always starts with referral.made; a forgotten one stays forgotten
	}
	s.mark(dirtyReferrals, id)
	if r.Status.Final() {
		delete(s.referrals, id)
		return
	}
	r.Notes = nil // deadlines need only AgreedCloseBy; keep memory flat
	s.referrals[id] = r
}

// org returns an organisation, or a placeholder for one not seen.
func (s *state) org(id uuid.UUID) orgState {
	if o, ok := s.orgs[id]; ok && o.Exists {
		return orgState{id: id, name: o.Name, adminEmail: o.AdminEmail}
	}
	return orgState{id: id, name: "an organisation"}
}

// recipient is where a notice goes: an address, and the key of the
// mailbox it is the address of (notice.RecipientKey), "" when no one
// mailbox owns it alone.
type recipient struct {
	addr, key string
}

// orgKey and userKey are the keys of an organisation's administrative
// contact and of an account's mailbox.
func orgKey(id uuid.UUID) string  { return "organisation:" + id.String() }
func userKey(id uuid.UUID) string { return "account:" + id.String() }

// mailbox returns the address of an open account, or "".
func (s *state) mailbox(user uuid.UUID) string {
	if u, ok := s.users[user]; ok && !u.Closed {
		return strings.TrimSpace(u.Email)
	}
	return ""
}

// account is the mailbox of an open account (addr "" if it is closed).
func (s *state) account(user uuid.UUID) recipient {
	return recipient{addr: s.mailbox(user), key: userKey(user)}
}

// adminContact is an organisation's administrative contact.
func (s *state) adminContact(org uuid.UUID) recipient {
	return recipient{addr: strings.TrimSpace(s.org(org).adminEmail), key: orgKey(org)}
}

// accounts returns the mailboxes of the open accounts among users, in
// order, without duplicate addresses.
func (s *state) accounts(users ...uuid.UUID) []recipient {
	var out []recipient
	for _, u := range users {
		r := s.account(u)
		if r.addr != "" && !slices.ContainsFunc(out, func(o recipient) bool { return o.addr == r.addr }) {
			out = append(out, r)
		}
	}
	return out
}

// referrerMailbox is where news of r goes to its referrer: the adviser who
// made it; if their account has closed, their organisation's
// administrative contact. user is the account the address is of, or
// uuid.Nil for the administrative contact.
func (s *state) referrerMailbox(r domain.Referral) (to recipient, user uuid.UUID) {
	if to := s.account(r.MadeBy); to.addr != "" {
		return to, r.MadeBy
	}
	return s.adminContact(r.FromOrganisationID), uuid.Nil
}

// usersWithRole returns the addresses of open accounts holding role, in
// org if org is not uuid.Nil, sorted and without duplicates.
func (s *state) usersWithRole(role domain.Role, org uuid.UUID) []string {
	rs := s.recipientsWithRole(role, org)
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.addr
	}
	return out
}

// recipientsWithRole is usersWithRole with each address's mailbox: the
// account's, when one account alone has that address; none when several
// share it (a shared mailbox stays theirs while any of them is open at
// it).
func (s *state) recipientsWithRole(role domain.Role, org uuid.UUID) []recipient {
	holders := map[string][]uuid.UUID{}
	for id, u := range s.users {
		if u.Closed || (org != uuid.Nil && u.OrganisationID != org) || !slices.Contains(u.Roles, role) {
			continue
		}
		if addr := strings.TrimSpace(u.Email); addr != "" {
			holders[addr] = append(holders[addr], id)
		}
	}
	out := make([]recipient, 0, len(holders))
	for addr, ids := range holders {
		r := recipient{addr: addr}
		if len(ids) == 1 {
			r.key = userKey(ids[0])
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b recipient) int { return strings.Compare(a.addr, b.addr) })
	return out
}

// overdueReferral is a referral past its current deadline.
type overdueReferral struct {
	referral           domain.Referral
	stage              domain.Stage
	due                time.Time
	workingDaysOverdue int
}
