package projections

import (
	"context"
	"encoding/json"
	"fmt"
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
//
// Its size is that of the network (organisations and accounts), not of the
// log, and every authenticated request reads it, so it is read from
// memory; the views database keeps every organisation, account and
// username with the view's checkpoint, in the same transaction, and
// opening the read model loads them, so a restart resumes from the
// checkpoint instead of replaying the log. Changes applied in a batch are
// seen by readers once the batch commits.
type Organisations struct {
	views *Views

	// The committed state, which readers see.
	mu         sync.RWMutex
	orgs       map[uuid.UUID]domain.Organisation // Users left nil: users live below
	users      map[uuid.UUID]domain.User
	byUsername map[string]uuid.UUID

	// The batch being applied: its changes, held back until it commits.
	// bmu is taken before mu when both are.
	batchCursor
	checkpoint eventstore.Position // committed
	dirtyOrgs  map[uuid.UUID]domain.Organisation
	dirtyUsers map[uuid.UUID]domain.User
	dirtyNames map[string]uuid.UUID
}

// organisationsView names the organisations' checkpoint.
const organisationsView = "organisations"

// NewOrganisations returns an empty read model, kept in a private
// in-memory database.
func NewOrganisations() *Organisations {
	p, err := OpenOrganisations(context.Background(), openMemoryViews())
	if err != nil {
		panic(err)
	}
	return p
}

// OpenOrganisations returns the read model kept in views, loaded from its
// rows there and resuming from its checkpoint.
func OpenOrganisations(ctx context.Context, views *Views) (*Organisations, error) {
	p := &Organisations{views: views, orgs: map[uuid.UUID]domain.Organisation{}, users: map[uuid.UUID]domain.User{},
		byUsername: map[string]uuid.UUID{}}
	var err error
	if p.checkpoint, err = views.Checkpoint(ctx, organisationsView); err != nil {
		return nil, err
	}
	if err := loadRows(ctx, views, `SELECT id, state FROM organisations`, func(id uuid.UUID, state []byte) error {
		var o domain.Organisation
		if err := json.Unmarshal(state, &o); err != nil {
			return err
		}
		p.orgs[id] = o
		return nil
	}); err != nil {
		return nil, fmt.Errorf("views: load organisations: %w", err)
	}
	if err := loadRows(ctx, views, `SELECT id, state FROM organisation_users`, func(id uuid.UUID, state []byte) error {
		var u domain.User
		if err := json.Unmarshal(state, &u); err != nil {
			return err
		}
		p.users[id] = u
		return nil
	}); err != nil {
		return nil, fmt.Errorf("views: load accounts: %w", err)
	}
	if err := loadRows(ctx, views, `SELECT user, username FROM organisation_usernames`, func(id uuid.UUID, name []byte) error {
		p.byUsername[string(name)] = id
		return nil
	}); err != nil {
		return nil, fmt.Errorf("views: load usernames: %w", err)
	}
	return p, nil
}

// loadRows calls f with each row of query, which selects an id and a
// value.
func loadRows(ctx context.Context, views *Views, query string, f func(uuid.UUID, []byte) error) error {
	rows, err := views.db.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, val []byte
		if err := rows.Scan(&id, &val); err != nil {
			return err
		}
		uid, err := uuid.FromBytes(id)
		if err != nil {
			return err
		}
		if err := f(uid, val); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (p *Organisations) forget() {
	p.bmu.Lock()
	defer p.bmu.Unlock()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.checkpoint, p.batchPos, p.batch = 0, 0, nil
	p.dirtyOrgs, p.dirtyUsers, p.dirtyNames = nil, nil, nil
	clear(p.orgs)
	clear(p.users)
	clear(p.byUsername)
}

// ViewName implements Persistent.
func (p *Organisations) ViewName() string { return organisationsView }

// ViewsDB implements Persistent.
func (p *Organisations) ViewsDB() *Views { return p.views }

// Apply implements Projection, applying one event in a transaction of its
// own; one at or before the checkpoint is ignored. It panics if the views
// database fails: the runner applies through ApplyIn.
func (p *Organisations) Apply(stored eventstore.RecordedEvent, rec domain.Recorded) {
	if err := applyAlone(p, stored, rec); err != nil {
		panic(err)
	}
}

// ApplyIn implements Persistent.
func (p *Organisations) ApplyIn(b *Batch, stored eventstore.RecordedEvent, rec domain.Recorded) error {
	p.bmu.Lock()
	defer p.bmu.Unlock()
	if !p.admit(b, stored.Position, p.join) {
		return nil
	}
	if !strings.HasPrefix(stored.Stream, "organisation-") {
		return nil
	}
	orgID, _ := uuid.Parse(strings.TrimPrefix(stored.Stream, "organisation-"))
	switch e := rec.Event.(type) {
	case domain.UserEvent:
		// The account's fold is the domain's; the index adds only which
		// network roles are void, which depends on who recorded them
		// across the whole network (R-AUTH-7).
		id := e.AccountID()
		u, ok := p.user(id)
		if added, isAdded := e.(*domain.OrganisationUserAdded); isAdded {
			u, ok = domain.User{OrganisationID: orgID}, true
			p.dirtyNames[added.Username] = added.UserID
		}
		if !ok {
			return nil
		}
		u = domain.EvolveUser(u, rec)
		switch e.(type) {
		case *domain.OrganisationUserAdded, *domain.OrganisationUserRolesChanged:
			u.VoidRoles = domain.VoidNetworkRoles(u.Roles, p.byCoordinator(rec.ActorUserID))
		}
		p.dirtyUsers[id] = u
	default:
		o, ok := p.dirtyOrgs[orgID]
		if !ok {
			p.mu.RLock()
			o = p.orgs[orgID]
			p.mu.RUnlock()
		}
		p.dirtyOrgs[orgID] = domain.EvolveOrganisation(o, rec)
	}
	return nil
}

// user returns an account as the batch leaves it. The caller holds bmu.
func (p *Organisations) user(id uuid.UUID) (domain.User, bool) {
	if u, ok := p.dirtyUsers[id]; ok {
		return u, true
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	u, ok := p.users[id]
	return u, ok
}

// join makes b the batch the read model's changes go to: they are written
// with its checkpoint before b commits, and shown to readers once it has.
func (p *Organisations) join(b *Batch) {
	p.batch, p.batchPos = b, p.checkpoint
	p.dirtyOrgs, p.dirtyUsers, p.dirtyNames = map[uuid.UUID]domain.Organisation{}, map[uuid.UUID]domain.User{}, map[string]uuid.UUID{}
	b.onFlush(func(b *Batch) error {
		p.bmu.Lock()
		defer p.bmu.Unlock()
		for id, o := range p.dirtyOrgs {
			state, err := json.Marshal(o)
			if err != nil {
				return err
			}
			if err := b.exec(`INSERT OR REPLACE INTO organisations (id, state) VALUES (?, ?)`, id[:], state); err != nil {
				return err
			}
		}
		for id, u := range p.dirtyUsers {
			state, err := json.Marshal(u)
			if err != nil {
				return err
			}
			if err := b.exec(`INSERT OR REPLACE INTO organisation_users (id, organisation, state) VALUES (?, ?, ?)`,
				id[:], u.OrganisationID[:], state); err != nil {
				return err
			}
		}
		for name, id := range p.dirtyNames {
			if err := b.exec(`INSERT OR REPLACE INTO organisation_usernames (username, user) VALUES (?, ?)`, name, id[:]); err != nil {
				return err
			}
		}
		return b.SetCheckpoint(organisationsView, p.batchPos)
	})
	b.onCommit(func() {
		p.bmu.Lock()
		defer p.bmu.Unlock()
		p.mu.Lock()
		for id, o := range p.dirtyOrgs {
			p.orgs[id] = o
		}
		for id, u := range p.dirtyUsers {
			p.users[id] = u
		}
		for name, id := range p.dirtyNames {
			p.byUsername[name] = id
		}
		p.mu.Unlock()
		p.checkpoint, p.batch = p.batchPos, nil
		p.dirtyOrgs, p.dirtyUsers, p.dirtyNames = nil, nil, nil
	})
	b.onRollback(func() {
		p.bmu.Lock()
		defer p.bmu.Unlock()
		p.batch, p.batchPos = nil, p.checkpoint
		p.dirtyOrgs, p.dirtyUsers, p.dirtyNames = nil, nil, nil
	})
}

// byCoordinator reports whether the actor of an event held the coordinator
// role in effect when it was recorded (R-AUTH-7): events apply in log
// order, so the index holds the actor as they were at that moment. No actor
// is the system itself, at bootstrap. The caller holds bmu.
func (p *Organisations) byCoordinator(actor uuid.UUID) bool {
	if actor == uuid.Nil {
		return true
	}
	u, ok := p.user(actor)
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
	// IntakeReason is why intake is off, which the org lead gives for
	// the organisations that refer to them to read (R-ORG-2), as GET
	// /v1/organisations/{id} shows it; "" while accepting.
	IntakeReason string
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
			e.ResumeOn, e.IntakeReason = o.ResumeOn, o.IntakeReason
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
