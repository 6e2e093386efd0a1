package domain

import (
	"time"

	"github.com/google/uuid"
)

// The kinds of entry in the access a locked case lists (R-LOCK-7): the
// grants LockAccess names, and the deny list's entries.
const (
	AccessDeniedUser = "denied_user"
	AccessDeniedTeam = "denied_team"
	AccessDeniedRole = "denied_role"
)

// AccessEntry is one line of the access a locked case grants now, or of
// its deny list (R-LOCK-7). Kind is a CaseGrant other than not_locked, or
// one of the Access… kinds; one of UserID, Team (of TeamOrganisationID)
// and Role says whom it names, and ExpiresAt ends a temporary grant.
type AccessEntry struct {
	Kind               string
	UserID             uuid.UUID
	Team               string
	TeamOrganisationID uuid.UUID
	Role               Role
	ExpiresAt          time.Time
}

// Lets reports whether the lock lets the member of staff id in now, as
// their account is (people looks it up): an unknown or closed account is
// let in nowhere.
func (l Lock) Lets(people func(uuid.UUID) (User, bool), id uuid.UUID, now time.Time) bool {
	if people == nil {
		return false
	}
	u, ok := people(id)
	if !ok || u.ID != id || u.Closed {
		return false
	}
	_, in := LockAccess(l, u.Actor(), now)
	return in
}

// AccessNow lists the access a locked case grants at now, for the
// locked-cases report (R-LOCK-7), decided for each person by LockAccess,
// the rule every read applies (R-LOCK-2), with the account as people (the
// directory) has it now: the responsible person, the users the allow list
// names and the holders of live temporary grants are listed only if the
// case lets them in, so a person listed is never refused. An account the
// directory does not know, or that is closed, gets into nothing and is
// left out; so is someone who is helpdesk staff now, or whom the deny list
// refuses (moved into a denied team, say). A team on the allow list is
// listed unless the deny list refuses the whole team; system support and
// emergency duty unless the deny list refuses the role. The deny list
// follows, entry by entry.
func (l Lock) AccessNow(people func(uuid.UUID) (User, bool), now time.Time) []AccessEntry {
	if l.Status != LockLocked {
		return nil
	}
	lets := func(id uuid.UUID) bool { return l.Lets(people, id, now) }
	teamOrg := func(p Party) uuid.UUID {
		if p.OrganisationID != uuid.Nil {
			return p.OrganisationID
		}
		return l.OwningOrganisationID
	}
	var out []AccessEntry
	if lets(l.ResponsibleUserID) {
		out = append(out, AccessEntry{Kind: string(GrantResponsible), UserID: l.ResponsibleUserID})
	}
	for _, p := range l.Allow {
		switch {
		case p.UserID != uuid.Nil:
			if lets(p.UserID) {
				out = append(out, AccessEntry{Kind: string(GrantAllowedUser), UserID: p.UserID})
			}
		case p.Team != "":
			if !l.deniesTeam(p.Team, teamOrg(p)) {
				out = append(out, AccessEntry{Kind: string(GrantAllowedTeam), Team: p.Team, TeamOrganisationID: teamOrg(p)})
			}
		}
	}
	for _, g := range l.Grants {
		if g.Live(now) && lets(g.UserID) {
			out = append(out, AccessEntry{Kind: string(GrantTemporary), UserID: g.UserID, ExpiresAt: g.ExpiresAt})
		}
	}
	for _, r := range []Role{RoleSystemSupport, RoleEmergencyDuty} {
		if !l.deniesRole(r) {
			out = append(out, AccessEntry{Kind: string(GrantAutomaticRole), Role: r})
		}
	}
	for _, p := range l.Deny {
		switch {
		case p.UserID != uuid.Nil:
			out = append(out, AccessEntry{Kind: AccessDeniedUser, UserID: p.UserID})
		case p.Team != "":
			out = append(out, AccessEntry{Kind: AccessDeniedTeam, Team: p.Team, TeamOrganisationID: teamOrg(p)})
		default:
			out = append(out, AccessEntry{Kind: AccessDeniedRole, Role: p.Role})
		}
	}
	return out
}

// deniesTeam reports whether the deny list refuses the whole of team of
// organisation org.
func (l Lock) deniesTeam(team string, org uuid.UUID) bool {
	for _, p := range l.Deny {
		if p.Team != "" && SameTeam(p.Team, team) && p.UserID == uuid.Nil {
			o := p.OrganisationID
			if o == uuid.Nil {
				o = l.OwningOrganisationID
			}
			if o == org {
				return true
			}
		}
	}
	return false
}

// deniesRole reports whether the deny list refuses role r.
func (l Lock) deniesRole(r Role) bool {
	for _, p := range l.Deny {
		if p.Role == r {
			return true
		}
	}
	return false
}
