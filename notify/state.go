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
// accounts and open referrals to address notices and find overdue
// referrals. It is rebuilt from the store on every Run and holds no client
// data: it is fed by the public codec, and keeps no free text.
type state struct {
	orgs      map[uuid.UUID]*orgState
	users     map[uuid.UUID]*userState
	referrals map[uuid.UUID]domain.Referral // open referrals only
	clients   map[uuid.UUID]domain.Lock     // case locks, to reach a locked case's responsible person
}

type orgState struct {
	id         uuid.UUID
	name       string
	adminEmail string
}

type userState struct {
	org    uuid.UUID
	email  string
	roles  []domain.Role
	closed bool
}

func newState() *state {
	return &state{orgs: map[uuid.UUID]*orgState{}, users: map[uuid.UUID]*userState{},
		referrals: map[uuid.UUID]domain.Referral{}, clients: map[uuid.UUID]domain.Lock{}}
}

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
	switch e := rec.Event.(type) {
	case *domain.OrganisationRegistered:
		s.orgs[orgID] = &orgState{id: orgID, name: e.Name, adminEmail: e.AdminEmail}
	case *domain.OrganisationDirectoryUpdated:
		if o := s.orgs[orgID]; o != nil {
			o.name = e.Name
		}
	case *domain.OrganisationAdminContactChanged:
		if o := s.orgs[orgID]; o != nil {
			o.adminEmail = e.AdminEmail
		}
	case *domain.OrganisationUserAdded:
		s.users[e.UserID] = &userState{org: orgID, email: e.Email, roles: slices.Clone(e.Roles)}
	case *domain.OrganisationAccountClosed:
		if u := s.users[e.UserID]; u != nil {
			u.closed = true
		}
	}
}

func (s *state) applyReferral(id uuid.UUID, rec domain.Recorded) {
	r, ok := s.referrals[id]
	if _, made := rec.Event.(*domain.ReferralMade); !ok && !made {
		return // closed and forgotten, or never seen
	}
	r = domain.EvolveReferral(r, rec)
	if r.Status == domain.StatusForwarded || r.Status == domain.StatusWithdrawn {
		// Final (R-REF-10, R-REF-11): nothing more will happen to it.
		delete(s.referrals, id)
		return
	}
	// A closed or declined referral is kept (it has no deadline, so it is
	// never overdue): its receiver may reopen it (R-REF-12), and the
	// reopened referral is tracked again from the state it had.
	r.Notes = nil // deadlines need only AgreedCloseBy; keep memory flat
	s.referrals[id] = r
}

// org returns an organisation, or a placeholder for one not seen.
func (s *state) org(id uuid.UUID) orgState {
	if o := s.orgs[id]; o != nil {
		return *o
	}
	return orgState{id: id, name: "an organisation"}
}

// mailbox returns the address of an open account, or "".
func (s *state) mailbox(user uuid.UUID) string {
	if u := s.users[user]; u != nil && !u.closed {
		return strings.TrimSpace(u.email)
	}
	return ""
}

// usersWithRole returns the addresses of open accounts holding role, in
// org if org is not uuid.Nil, sorted and without duplicates.
func (s *state) usersWithRole(role domain.Role, org uuid.UUID) []string {
	var out []string
	for _, u := range s.users {
		if u.closed || (org != uuid.Nil && u.org != org) || !slices.Contains(u.roles, role) {
			continue
		}
		if addr := strings.TrimSpace(u.email); addr != "" {
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
