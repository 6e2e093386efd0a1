package ledger

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/mail"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// BootstrapUsername is the first coordinator's username.
const BootstrapUsername = "admin"

// DefaultBootstrapEmail is the first coordinator's address when the
// bootstrap_email setting is empty.
const DefaultBootstrapEmail = "coordinator@localhost"

// CoordinatorOrganisationID is the id of the coordinating body that
// Bootstrap registers (domain.CoordinatingBodyID). It is the network's
// lead body, not a service that takes referrals, so the directory leaves
// it out and a referral to it is refused.
func CoordinatorOrganisationID() uuid.UUID { return domain.CoordinatingBodyID }

// Bootstrap makes sure a coordinator can sign in on a new ledger: when no
// "admin" account exists, it registers the network's coordinating
// organisation and the coordinator "admin" with password, or with a
// generated one when password is empty, and email as both their address
// and the coordinating body's admin contact (DefaultBootstrapEmail when
// empty; later changed with UpdateUser and UpdateOrganisation). It returns
// the password it set (to print once) and whether it created anything.
// Errors: Invalid when the given password breaks the policy or the email is
// not an address.
func (a *Accounts) Bootstrap(ctx context.Context, password, email string) (string, bool, error) {
	if err := a.catchUp(ctx); err != nil {
		return "", false, err
	}
	if _, ok := a.users.UserByUsername(BootstrapUsername); ok {
		return "", false, nil
	}
	if password == "" {
		password = generatePassword()
	}
	if email == "" {
		email = DefaultBootstrapEmail
	}
	if _, err := mail.ParseAddress(email); err != nil {
		return "", false, fmt.Errorf("bootstrap email (LEDGER_BOOTSTRAP_EMAIL): %w",
			domain.InvalidFields(domain.FieldError{Field: "bootstrap_email", Message: "must be an email address"}))
	}
	if err := a.policy.Check(BootstrapUsername, password); err != nil {
		return "", false, fmt.Errorf("bootstrap password (LEDGER_BOOTSTRAP_PASSWORD): %w", err)
	}
	system := domain.Actor{Roles: []domain.Role{domain.RoleCoordinator}}
	_, _, err := execute(ctx, a.svc, system, OrganisationStream(domain.CoordinatingBodyID), domain.EvolveOrganisation,
		func(o domain.Organisation) ([]domain.Event, error) {
			if o.Exists {
				return nil, nil
			}
			return domain.DecideRegisterOrganisation(o, system, domain.RegisterOrganisation{
				OrganisationID: domain.CoordinatingBodyID, Name: "Network coordinator",
				Description: "The network's lead body: registers organisations and follows up referrals.",
				AdminEmail:  email, Services: []domain.Service{}})
		})
	if err != nil {
		return "", false, err
	}
	system.OrganisationID = domain.CoordinatingBodyID
	if _, _, err := a.AddUser(ctx, system, domain.CoordinatingBodyID, NewUser{Username: BootstrapUsername,
		DisplayName: "Network coordinator", Email: email,
		Roles: []domain.Role{domain.RoleCoordinator, domain.RoleOrgLead}, Password: password}); err != nil {
		return "", false, err
	}
	return password, true, nil
}

// generatePassword returns a random password that satisfies both password
// policies: 130 random bits as base32 (upper case and digits 2-7) plus a
// lower-case letter, a symbol and a digit, which the network policy asks
// for. The digit is not left to chance: about one text in 220 has none.
func generatePassword() string { return rand.Text() + "k#9" }
