package projections

import "github.com/referral-ledger/ledger/domain"

// The event types of each aggregate the domain folds, as the read models
// declare them: a read model that folds an aggregate through its evolve
// handles every type of it, new ones included, because it derives what it
// needs from the state the fold returns, never from the events.
var (
	referralTypes     = domain.ReferralEventTypes()
	clientTypes       = append(domain.ClientEventTypes(), domain.LockEventTypes()...) // domain.EvolveClient
	organisationTypes = domain.OrganisationEventTypes()
	// The rest: facts no read model here folds (access logs, name and
	// username reservations, the network-wide record of coordinator
	// changes).
	reservationTypes = append(append(domain.OrganisationNameEventTypes(), domain.UsernameEventTypes()...),
		domain.NetworkRoleEventTypes()...)
	accessTypes = domain.AccessEventTypes()
	// Signed checkpoints of the audit tree (R-AUD-1): no read model here
	// folds them.
	auditTypes = domain.AuditEventTypes()
)

var (
	referralsReadings = domain.Readings{}.
				Handle(referralTypes...). // domain.EvolveReferral
				Ignore(clientTypes...).Ignore(organisationTypes...).Ignore(reservationTypes...).Ignore(accessTypes...).Ignore(auditTypes...)

	// The clients index folds referrals (who is involved, which are
	// open, when the last ended) and clients (erasure); any event sealed
	// under a client's key, whatever its type, tells it the client has
	// data in the ledger.
	clientsReadings = domain.Readings{}.
			Handle(referralTypes...).Handle(clientTypes...).Handle(accessTypes...).
			Ignore(organisationTypes...).Ignore(reservationTypes...).Ignore(auditTypes...)

	statisticsReadings = domain.Readings{}.
				Handle(referralTypes...).Handle(clientTypes...).
				Ignore(organisationTypes...).Ignore(reservationTypes...).Ignore(accessTypes...).Ignore(auditTypes...)

	locksReadings = domain.Readings{}.
			Handle(clientTypes...).
			Ignore(referralTypes...).Ignore(organisationTypes...).Ignore(reservationTypes...).Ignore(accessTypes...).Ignore(auditTypes...)

	organisationsReadings = domain.Readings{}.
				Handle(organisationTypes...). // domain.EvolveOrganisation, domain.EvolveUser
				Ignore(referralTypes...).Ignore(clientTypes...).Ignore(reservationTypes...).Ignore(accessTypes...).Ignore(auditTypes...)

	// The message rate counts messages only.
	messageRateReadings = domain.Readings{}.
				Handle(domain.MessageForResponsiblePersonType).
				Ignore(domain.Except(clientTypes, domain.MessageForResponsiblePersonType)...).
				Ignore(referralTypes...).Ignore(organisationTypes...).Ignore(reservationTypes...).Ignore(accessTypes...).Ignore(auditTypes...)
)

// Readings implements Projection.
func (p *Referrals) Readings() domain.Readings { return referralsReadings }

// Readings implements Projection.
func (p *Clients) Readings() domain.Readings { return clientsReadings }

// Readings implements Projection.
func (p *Statistics) Readings() domain.Readings { return statisticsReadings }

// Readings implements Projection.
func (p *Locks) Readings() domain.Readings { return locksReadings }

// Readings implements Projection.
func (p *Organisations) Readings() domain.Readings { return organisationsReadings }

// Readings implements Projection.
func (p *MessageRate) Readings() domain.Readings { return messageRateReadings }

// The known clients index reads who referred which client when a referral
// is made (a forward is a referral made by the forwarding organisation),
// and forgets a client whose erasure starts; every other type leaves it
// as it is.
var knownClientsReadings = domain.Readings{}.
	Handle(domain.ReferralMadeType, domain.ClientErasureStartedType, domain.ClientErasedType).
	Ignore(domain.Except(referralTypes, domain.ReferralMadeType)...).
	Ignore(domain.Except(clientTypes, domain.ClientErasureStartedType, domain.ClientErasedType)...).
	Ignore(organisationTypes...).Ignore(reservationTypes...).Ignore(accessTypes...).Ignore(auditTypes...)

// Readings implements Projection.
func (k *KnownClients) Readings() domain.Readings { return knownClientsReadings }
