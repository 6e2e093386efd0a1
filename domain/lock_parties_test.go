package domain_test

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

func staffOf(a domain.Actor) domain.User {
	return domain.User{ID: a.UserID, OrganisationID: a.OrganisationID, Roles: a.Roles, Team: a.Team}
}

// TestLockListsNameStaff_LOCK2: a lock's allow and deny lists name active
// members of staff, and the allow list never names helpdesk staff, whom a
// locked case never lets in (R-LOCK-2); every mistake is named at once, by
// its entry. A role is only for refusing system support or emergency duty,
// and the allow list is told so in its own words.
func TestLockListsNameStaff_LOCK2(t *testing.T) {
	leaver := staffOf(receiverLeaver)
	leaver.Closed = true
	named := map[uuid.UUID]domain.User{}
	for _, u := range []domain.User{staffOf(receiverAdviser), staffOf(receiverColleague), staffOf(receiverHelpdesk), staffOf(thirdAdviser),
		leaver, staffOf(actor("adviser and helpdesk", receiverOrgID, domain.RoleAdviser, domain.RoleHelpdesk))} {
		named[u.ID] = u
	}
	request := func(allow, deny []domain.Party) domain.RequestLock {
		return domain.RequestLock{RequestID: lockRequestID, ClientID: clientID, ResponsibleUserID: receiverAdviser.UserID,
			Responsible: staffOf(receiverAdviser), Reason: "related member of staff", Allow: allow, Deny: deny, Named: named}
	}
	t.Run("OK", func(t *testing.T) {
		allow := []domain.Party{{UserID: receiverColleague.UserID}, {UserID: thirdAdviser.UserID}, {Team: "duty"}}
		deny := []domain.Party{{UserID: receiverHelpdesk.UserID}, {Role: domain.RoleSystemSupport}}
		when(domain.DecideRequestLock(domain.ClientRecord{}, ownerTM, request(allow, deny))).then(t, &domain.LockRequested{
			RequestID: lockRequestID, ClientID: clientID, ResponsibleUserID: receiverAdviser.UserID, Reason: "related member of staff",
			Allow: allow, Deny: deny})
	})
	t.Run("ErrEveryMistakeAtOnce", func(t *testing.T) {
		allow := []domain.Party{
			{UserID: receiverHelpdesk.UserID},         // helpdesk never has access
			{UserID: id("nobody")},                    // no such account
			{UserID: receiverLeaver.UserID},           // closed
			{UserID: id("user adviser and helpdesk")}, // helpdesk among other roles
			{Role: domain.RoleEmergencyDuty},          // a role is not allowed
			{Team: "duty"},                            // fine
			{UserID: receiverColleague.UserID},        // fine
		}
		deny := []domain.Party{{UserID: id("nobody either")}, {UserID: receiverLeaver.UserID}, {Role: domain.RoleAuditor}, {UserID: receiverHelpdesk.UserID}}
		o := when(domain.DecideRequestLock(domain.ClientRecord{}, ownerTM, request(allow, deny)))
		o.thenError(t, domain.Invalid, "allow[0].user_id", "allow[1].user_id", "allow[2].user_id", "allow[3].user_id", "allow[4].role",
			"deny[0].user_id", "deny[1].user_id", "deny[2].role")
		for _, f := range domain.ErrorFields(o.err) {
			switch f.Field {
			case "allow[0].user_id", "allow[3].user_id":
				if !strings.Contains(f.Message, "helpdesk") {
					t.Errorf("%s: %q", f.Field, f.Message)
				}
			case "allow[4].role":
				if strings.Contains(f.Message, "refused by role") || !strings.Contains(f.Message, "cannot be allowed") {
					t.Errorf("the allow list's role error speaks of refusing: %q", f.Message)
				}
			case "deny[2].role":
				if !strings.Contains(f.Message, "refused by role") {
					t.Errorf("%s: %q", f.Field, f.Message)
				}
			default:
				if f.Message != "must be an active member of staff" {
					t.Errorf("%s: %q", f.Field, f.Message)
				}
			}
		}
	})
}
