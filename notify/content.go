package notify

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// The content of every notice is built here, from ids, organisation names,
// dates and stages only: the notifier never holds client data, and these
// functions take nothing that could carry it (R-NOTE-2, R-PRIV-7).

const subjectPrefix = "[Referral ledger] "

// footer ends every notice.
const footer = "\n\nSign in to the referral ledger to see the details. This notice leaves out client\n" +
	"details by design: please do not reply to it with any.\n"

// Reference returns the short reference of a referral used in notices:
// the one people see on every page and read out on the phone, such as
// "7KQ4-M2XD" (R-REF-13). The link leads to the referral itself.
func Reference(referral uuid.UUID) string {
	return domain.ReferenceOf(referral).String()
}

// links builds the URLs notices point to.
type links struct{ base string }

// referral is the referral's page in the web interface, which asks the
// reader to sign in first when need be (R-UI-1).
// Links that are not about one referral open a web page too, never a JSON
// document under /v1 that a browser cannot show (R-UI-1).
func (l links) referral(id uuid.UUID) string { return l.base + "/referrals/" + id.String() }

// overdue is the Incoming page, soonest deadline first: where an
// organisation's people work their overdue referrals.
func (l links) overdue() string { return l.base + "/incoming" }

// networkOverdue is the coordinator's Overdue page, every organisation's
// overdue referrals: a coordinator takes no referrals, so their Incoming
// is the coordinating body's own, empty, inbox.
func (l links) networkOverdue() string { return l.base + "/overdue" }

// messages is the Messages page, where the person a case is locked to (or,
// once their account has closed, whoever the lock lets in) reads what was
// passed on, child protection first; the client id stays out of the URL.
func (l links) messages(uuid.UUID) string { return l.base + "/messages" }

// ClientReference returns the short reference of a client's case used in
// notices (domain.CaseReference).
func ClientReference(client uuid.UUID) string { return domain.CaseReference(client) }

// lockedCaseMessageContent tells a locked case's responsible person that
// information was passed to them, marked urgent for child protection.
func lockedCaseMessageContent(l links, client uuid.UUID, childProtection bool) (subject, body string) {
	ref := ClientReference(client)
	subject = subjectPrefix + "Information passed to you about locked case " + ref
	urgency := ""
	if childProtection {
		subject = subjectPrefix + "URGENT child protection: information about locked case " + ref
		urgency = "It is marked as a child protection matter: please act on it as soon as possible.\n\n"
	}
	body = fmt.Sprintf("Someone has passed on information about a case locked to you.\n\n%sReference: %s\nLink: %s%s",
		urgency, ref, l.messages(client), footer)
	return subject, body
}

// orphanedLockMessageContent tells the managers who asked for and approved
// a lock that information was passed on about it while its responsible
// person's account is closed, or, refused, while the lock refuses them
// (R-LOCK-8, R-LOCK-2), marked urgent for child protection.
func orphanedLockMessageContent(l links, client uuid.UUID, childProtection, refused bool) (subject, body string) {
	ref := ClientReference(client)
	why := ", whose responsible person has left"
	who := "The person it is locked to no longer has an open account"
	if refused {
		why = ", whose responsible person can no longer read it"
		who = "The person it is locked to can no longer read the case, as the lock now refuses them"
	}
	subject = subjectPrefix + "Information passed on about locked case " + ref + why
	urgency := ""
	if childProtection {
		subject = subjectPrefix + "URGENT child protection: information about locked case " + ref + why
		urgency = "It is marked as a child protection matter: please act on it as soon as possible.\n\n"
	}
	body = fmt.Sprintf("Someone has passed on information about a case you asked for or approved a lock on. "+
		"%s, so nobody else was told: "+
		"make sure someone the lock lets in reads it, and review who the case is locked to.\n\n%sReference: %s\nLink: %s%s",
		who, urgency, ref, l.messages(client), footer)
	return subject, body
}

// lockedCaseSubjectAccessContent tells a locked case's responsible person
// that its client's data was exported for a subject access request: the
// reference and a link to the access log, which holds the reason; never
// the reason itself, which may be client data (R-NOTE-2).
func lockedCaseSubjectAccessContent(l links, client uuid.UUID) (subject, body string) {
	ref := ClientReference(client)
	subject = subjectPrefix + "Subject access export of locked case " + ref
	body = fmt.Sprintf("The coordinator has exported everything held about the client of a case locked to you, "+
		"to answer a subject access request. The reason given is in the case's access log.\n\nReference: %s\nLink: %s%s",
		ref, l.accessLog(client), footer)
	return subject, body
}

// accessLog is the start page: the access log's page is a referral's,
// and the client id stays out of the URL.
func (l links) accessLog(uuid.UUID) string { return l.base + "/" }

// intake is the organisation's intake page, where its org lead switches
// intake back on: the directory only shows whether it is on.
func (l links) intake(org uuid.UUID) string {
	return l.base + "/organisations/" + org.String() + "/intake"
}

func newReferralContent(l links, id uuid.UUID, from, to orgState, urgent bool) (subject, body string) {
	ref := Reference(id)
	subject = subjectPrefix + "New referral " + ref
	if urgent {
		subject = subjectPrefix + "Urgent: new referral " + ref
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s has made a new referral to %s.\n\n", from.name, to.name)
	fmt.Fprintf(&b, "Reference: %s\n", ref)
	if urgent {
		b.WriteString("Urgent: yes, it is to be acknowledged and closed on the urgent timescale.\n")
	}
	fmt.Fprintf(&b, "Link: %s", l.referral(id))
	b.WriteString(footer)
	return subject, b.String()
}

func acknowledgedContent(l links, id uuid.UUID, to orgState) (subject, body string) {
	return referralContent(l, id, "acknowledged", to.name+" has acknowledged the referral you made.")
}

func closedContent(l links, id uuid.UUID, to orgState) (subject, body string) {
	return referralContent(l, id, "closed", to.name+" has closed the referral you made; the outcome is recorded in the ledger.")
}

// declineReasonText is a decline's reason code in words: a category, never
// the comment, which is client-linked free text.
func declineReasonText(code string) string {
	switch code {
	case domain.DeclineNotEligible:
		return "the client is not eligible"
	case domain.DeclineNoCapacity:
		return "no capacity"
	case domain.DeclineCannotContact:
		return "the client could not be contacted"
	case domain.DeclineDuplicate:
		return "a duplicate referral"
	case domain.DeclineWrongService:
		return "the wrong service"
	}
	return "another reason"
}

func declinedContent(l links, id uuid.UUID, to orgState, reasonCode string) (subject, body string) {
	return referralContent(l, id, "declined", to.name+" has declined the referral you made (reason: "+
		declineReasonText(reasonCode)+"). Their comment is recorded in the ledger.")
}

func forwardedContent(l links, id uuid.UUID, to, onward orgState) (subject, body string) {
	return referralContent(l, id, "forwarded", to.name+" could not take on the referral you made and has passed it on to "+onward.name+".")
}

func reopenedContent(l links, id uuid.UUID, to orgState) (subject, body string) {
	return referralContent(l, id, "reopened", to.name+" has reopened the referral you made and is working on it again. Their reason is recorded in the ledger.")
}

func urgencyDeclinedContent(l links, id uuid.UUID, to orgState) (subject, body string) {
	return referralContent(l, id, "not taken as urgent", to.name+" has reviewed the urgent referral you made and is not taking it on as urgent: "+
		"it now follows the normal timescales. Their feedback on why is recorded in the ledger.")
}

func withdrawnContent(l links, id uuid.UUID, from orgState) (subject, body string) {
	return referralContent(l, id, "withdrawn", from.name+" has withdrawn the referral it made to you: no further action is needed. Their reason is recorded in the ledger.")
}

// referralContent is the notice of something that happened to referral id:
// "Referral <reference> <happened>" and one sentence of what, then the
// reference and the link. The sentence names organisations, never client
// data (R-NOTE-2).
func referralContent(l links, id uuid.UUID, happened, sentence string) (subject, body string) {
	ref := Reference(id)
	return subjectPrefix + "Referral " + ref + " " + happened,
		sentence + "\n\nReference: " + ref + "\nLink: " + l.referral(id) + footer
}

// digestContent lists overdue referrals; network is true for the
// coordinators' digest of every organisation.
func digestContent(l links, date string, org orgState, network bool, list []overdueReferral, orgName func(uuid.UUID) string) (subject, body string) {
	n := len(list)
	noun := "referrals are"
	if n == 1 {
		noun = "referral is"
	}
	var b strings.Builder
	if network {
		subject = fmt.Sprintf("%sOverdue referrals across the network on %s: %d", subjectPrefix, date, n)
		fmt.Fprintf(&b, "%d %s overdue across the network on %s:\n\n", n, noun, date)
	} else {
		subject = fmt.Sprintf("%sOverdue referrals for %s on %s: %d", subjectPrefix, org.name, date, n)
		fmt.Fprintf(&b, "%d %s overdue at %s on %s:\n\n", n, noun, org.name, date)
	}
	for _, o := range list {
		r := o.referral
		fmt.Fprintf(&b, "- %s  %s due %s, %d working day%s overdue", Reference(r.ID), stageText(o.stage),
			domain.LondonDate(o.due), o.workingDaysOverdue, plural(o.workingDaysOverdue))
		if network {
			fmt.Fprintf(&b, ", from %s to %s", orgName(r.FromOrganisationID), orgName(r.ToOrganisationID))
		}
		fmt.Fprintf(&b, "\n  %s\n", l.referral(r.ID))
	}
	page := l.overdue()
	if network {
		page = l.networkOverdue()
	}
	fmt.Fprintf(&b, "\nThe overdue list: %s", page)
	b.WriteString(footer)
	return subject, b.String()
}

func intakeOffContent(l links, org orgState, since time.Time, days int) (subject, body string) {
	subject = fmt.Sprintf("%sIntake at %s has been off for %d day%s", subjectPrefix, org.name, days, plural(days))
	body = fmt.Sprintf("Intake of new referrals at %s was switched off on %s and is still off.\n"+
		"Switch it back on as soon as you can accept referrals again.\n\nOrganisation: %s\nLink: %s%s",
		org.name, domain.LondonDate(since), org.id, l.intake(org.id), footer)
	return subject, body
}

func stageText(s domain.Stage) string {
	if s == domain.StageClose {
		return "closure"
	}
	return "acknowledgement"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// twoFactor is the page where a user sets up their second factor.
func (l links) twoFactor() string { return l.base + "/two-factor" }

// secondFactorResetContent tells a user their second factor was reset
// (issue 17): no code, no secret, only what to do next.
func secondFactorResetContent(l links, username string, at time.Time, self bool) (subject, body string) {
	subject = subjectPrefix + "The second factor of your account was reset"
	who := "Your organisation's lead, the network coordinator or the service's operator"
	if self {
		who = "You"
	}
	body = fmt.Sprintf("%s reset the second factor (authenticator app) of your referral ledger account %s on %s.\n"+
		"At your next sign-in you will set up an authenticator app again; your old recovery codes no longer work.\n"+
		"If you did not ask for this, tell your organisation's lead at once.\n\nLink: %s%s",
		who, username, domain.LondonDate(at), l.twoFactor(), footer)
	return subject, body
}

// signIn is the sign-in page.
func (l links) signIn() string { return l.base + "/sign-in" }

// passwordSetContent tells a user that someone else set a one-time
// password for their account (R-AUTH-6): never the password, only what to
// do next.
func passwordSetContent(l links, username string, at time.Time) (subject, body string) {
	subject = subjectPrefix + "A new password was set for your account"
	body = fmt.Sprintf("Your organisation's lead, the network coordinator or the service's operator set a new one-time "+
		"password for your referral ledger account %s on %s, and signed you out everywhere.\n"+
		"They give you the password in person or by phone, never by email. When you sign in with it you will choose a new one.\n"+
		"If you did not ask for this, tell your organisation's lead at once.\n\nLink: %s%s",
		username, domain.LondonDate(at), l.signIn(), footer)
	return subject, body
}
