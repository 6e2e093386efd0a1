package projections

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
)

// Organisations is the read model of organisations and their accounts: the
// directory (R-VIEW-4) and the user index sign-in uses.
type Organisations struct {
	mu         sync.RWMutex
	orgs       map[uuid.UUID]domain.Organisation // Users left nil: users live below
	users      map[uuid.UUID]domain.User
	byUsername map[string]uuid.UUID
}

// NewOrganisations returns an empty read model.
func NewOrganisations() *Organisations {
	return &Organisations{orgs: map[uuid.UUID]domain.Organisation{}, users: map[uuid.UUID]domain.User{},
		byUsername: map[string]uuid.UUID{}}
}

// Apply implements Projection.
func (p *Organisations) Apply(stored eventstore.RecordedEvent, rec domain.Recorded) {
	if !strings.HasPrefix(stored.Stream, "organisation-") {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	orgID, _ := uuid.Parse(strings.TrimPrefix(stored.Stream, "organisation-"))
	switch e := rec.Event.(type) {
	case domain.UserEvent:
		// The account's fold is the domain's; the index adds only which
		// network roles are void, which depends on who recorded them
		// across the whole network (R-AUTH-7).
		id := e.AccountID()
		u, ok := p.users[id]
		if added, isAdded := e.(*domain.OrganisationUserAdded); isAdded {
			u, ok = domain.User{OrganisationID: orgID}, true
			p.byUsername[added.Username] = added.UserID
		}
		if !ok {
			return
		}
		u = domain.EvolveUser(u, rec)
		switch e.(type) {
		case *domain.OrganisationUserAdded, *domain.OrganisationUserRolesChanged:
			u.VoidRoles = domain.VoidNetworkRoles(u.Roles, p.byCoordinator(rec.ActorUserID))
		}
		p.users[id] = u
	default:
		p.orgs[orgID] = domain.EvolveOrganisation(p.orgs[orgID], rec)
	}
}

// byCoordinator reports whether the actor of an event held the coordinator
// role in effect when it was recorded (R-AUTH-7): events apply in log
// order, so the index holds the actor as they were at that moment. No actor
// is the system itself, at bootstrap.
func (p *Organisations) byCoordinator(actor uuid.UUID) bool {
	if actor == uuid.Nil {
		return true
	}
	u, ok := p.users[actor]
	return ok && !u.Closed && u.Actor().Has(domain.RoleCoordinator)
}

// OrganisationNamed returns the id of an organisation whose name is name,
// ignoring case and spacing (R-ORG-1).
func (p *Organisations) OrganisationNamed(name string) (uuid.UUID, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	want := domain.NormaliseOrganisationName(name)
	for id, o := range p.orgs {
		if o.Exists && domain.NormaliseOrganisationName(o.Name) == want {
			return id, true
		}
	}
	return uuid.Nil, false
}

// UserByID returns an account by id.
func (p *Organisations) UserByID(id uuid.UUID) (domain.User, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	u, ok := p.users[id]
	return u, ok
}

// UserByUsername returns an account by username, in any case.
func (p *Organisations) UserByUsername(username string) (domain.User, bool) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	id, ok := p.byUsername[domain.NormaliseUsername(username)]
	if !ok {
		return domain.User{}, false
	}
	return p.users[id], true
}

// DirectoryEntry is an organisation as the directory lists it.
type DirectoryEntry struct {
	ID                 uuid.UUID
	Name               string
	Description        string
	Services           []domain.Service
	AcceptingReferrals bool
	ResumeOn           string
}

// Directory lists the organisations signed up, by name, with whether each
// accepts referrals at now, resume dates applied on time (R-VIEW-4).
func (p *Organisations) Directory(now time.Time) []DirectoryEntry {
	p.mu.RLock()
	defer p.mu.RUnlock()
	today := domain.LondonDate(now)
	out := make([]DirectoryEntry, 0, len(p.orgs))
	for _, o := range p.orgs {
		if !o.Exists {
			continue
		}
		e := DirectoryEntry{ID: o.ID, Name: o.Name, Description: o.Description, Services: o.Services,
			AcceptingReferrals: o.AcceptingOn(today)}
		if !e.AcceptingReferrals {
			e.ResumeOn = o.ResumeOn
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b DirectoryEntry) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.ID.String(), b.ID.String())
	})
	return out
}

// UserIndex is the organisations read model together with the runner that
// feeds it, which is what sign-in needs: look-ups plus read-your-writes.
type UserIndex struct {
	*Organisations
	*Runner
}

// Users lists every account of the network, of every organisation, by
// organisation then display name.
func (p *Organisations) Users() []domain.User {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make([]domain.User, 0, len(p.users))
	for _, u := range p.users {
		out = append(out, u)
	}
	slices.SortFunc(out, func(a, b domain.User) int {
		if c := strings.Compare(a.OrganisationID.String(), b.OrganisationID.String()); c != 0 {
			return c
		}
		if c := strings.Compare(strings.ToLower(a.DisplayName), strings.ToLower(b.DisplayName)); c != 0 {
			return c
		}
		return strings.Compare(a.ID.String(), b.ID.String())
	})
	return out
}

// RequiresMFA reports whether the organisation's lead requires a second
// factor of all its users (issue 17).
func (p *Organisations) RequiresMFA(organisationID uuid.UUID) bool {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.orgs[organisationID].MFARequired
}
