package notify

import (
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
// It is rebuilt from the store on every Run and holds no client data: it
// is fed by the public codec, and keeps no free text.
//
// It interprets no event itself: referrals are folded by
// domain.EvolveReferral, organisations by domain.EvolveOrganisation and
// their accounts by domain.EvolveUser, clients' locks by
// domain.EvolveClient, and the notifier reads the states they return.
type state struct {
	orgs      map[uuid.UUID]domain.Organisation // Users left nil: accounts live below
	users     map[uuid.UUID]domain.User
	referrals map[uuid.UUID]domain.Referral // every referral, open or not: an ended one may be reopened
	clients   map[uuid.UUID]domain.Lock     // case locks, to reach a locked case's responsible person
}

type orgState struct {
	id         uuid.UUID
	name       string
	adminEmail string
}

func newState() *state {
	return &state{orgs: map[uuid.UUID]domain.Organisation{}, users: map[uuid.UUID]domain.User{},
		referrals: map[uuid.UUID]domain.Referral{}, clients: map[uuid.UUID]domain.Lock{}}
}

// readings declares what the notifier does with each event type: it folds
// referrals, organisations with their accounts, and clients with their
// locks, and derives notices from some of their events (derive); it needs
// nothing from access logs or name and username reservations.
var readings = domain.Readings{}.
	Handle(domain.ReferralEventTypes()...).
	Handle(domain.OrganisationEventTypes()...).
	Handle(domain.ClientEventTypes()...).Handle(domain.LockEventTypes()...).
	Ignore(domain.AccessEventTypes()...).Ignore(domain.AuditEventTypes()...).
	Ignore(domain.OrganisationNameEventTypes()...).Ignore(domain.UsernameEventTypes()...)

// Readings declares what the notifier does with each event type of the
// domain; it stops at an event of a type it does not declare.
func Readings() domain.Readings { return readings }

// apply folds one event into the read model.
func (s *state) apply(stored eventstore.RecordedEvent, rec domain.Recorded) {
	if id, ok := ledger.ReferralIDFromStream(stored.Stream); ok {
		s.applyReferral(id, rec)
		return
	}
	if rest, ok := strings.CutPrefix(stored.Stream, ledger.ClientPrefix); ok {
		if id, err := uuid.Parse(rest); err == nil {
			c := domain.EvolveClient(domain.ClientRecord{Lock: s.clients[id]}, rec)
			s.clients[id] = c.Lock
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
		}
		return
	}
	s.orgs[orgID] = domain.EvolveOrganisation(s.orgs[orgID], rec)
}

func (s *state) applyReferral(id uuid.UUID, rec domain.Recorded) {
	// The fold alone says what is open (a reopened referral is again,
	// R-REF-12); ended ones have no deadline, so they are never overdue.
	// A referral over for good is forgotten, to keep memory flat; a
	// closed or declined one is kept, as it may be reopened.
	r := domain.EvolveReferral(s.referrals[id], rec)
	if !r.Exists {
		return // a stream always starts with referral.made; a forgotten one stays forgotten
	}
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

// mailbox returns the address of an open account, or "".
func (s *state) mailbox(user uuid.UUID) string {
	if u, ok := s.users[user]; ok && !u.Closed {
		return strings.TrimSpace(u.Email)
	}
	return ""
}

// referrerMailbox is where news of r goes to its referrer: the adviser who
// made it; if their account has closed, their organisation's
// administrative contact.
func (s *state) referrerMailbox(r domain.Referral) string {
	if addr := s.mailbox(r.MadeBy); addr != "" {
		return addr
	}
	return strings.TrimSpace(s.org(r.FromOrganisationID).adminEmail)
}

// usersWithRole returns the addresses of open accounts holding role, in
// org if org is not uuid.Nil, sorted and without duplicates.
func (s *state) usersWithRole(role domain.Role, org uuid.UUID) []string {
	var out []string
	for _, u := range s.users {
		if u.Closed || (org != uuid.Nil && u.OrganisationID != org) || !slices.Contains(u.Roles, role) {
			continue
		}
		if addr := strings.TrimSpace(u.Email); addr != "" {
			out = append(out, addr)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// overdueReferral is a referral past its current deadline.
type overdueReferral struct {
	referral           domain.Referral
	stage              domain.Stage
	due                time.Time
	workingDaysOverdue int
}
