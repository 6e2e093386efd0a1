package notify

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
)

// noticeID is a notice's deterministic id: a hash of what makes it this
// notice (kind, the event or date it comes from, its recipient), so that
// deriving it again gives the same id and enqueueing is idempotent. It is
// opaque, so logs and Message-IDs do not spell out the recipient.
func noticeID(kind Kind, parts ...string) string {
	h := sha256.New()
	h.Write([]byte(kind))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(strings.ToLower(p)))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// intakeCancelKey groups the intake-off reminders of an organisation, which
// switching intake on (or off again) cancels.
func intakeCancelKey(org uuid.UUID) string { return "intake-off:" + org.String() }

// derive returns the outbox change one event calls for, reading the state
// as it was before the event. Events that notify nobody give an empty
// change.
func (n *Notifier) derive(stored eventstore.RecordedEvent, rec domain.Recorded, now time.Time) change {
	var c change
	add := func(kind Kind, ref, to, subject, body, link string, due time.Time, cancelKey string, idParts ...string) {
		if to == "" {
			n.log.Warn().Str("kind", string(kind)).Str("reference", ref).Msg("email notice has no recipient: no mailbox is recorded")
			return
		}
		c.notices = append(c.notices, notice{Message: Message{ID: noticeID(kind, append(idParts, to)...), Kind: kind,
			Reference: ref, To: to, Subject: subject, Body: body, Link: link}, DueAt: due, CancelKey: cancelKey})
	}
	eventID := stored.ID.String()
	switch e := rec.Event.(type) {
	case *domain.ReferralMade:
		from, to := n.state.org(e.FromOrganisationID), n.state.org(e.ToOrganisationID)
		subject, body := newReferralContent(n.links, e.ReferralID, from, to, e.Urgent)
		add(KindNewReferral, Reference(e.ReferralID), strings.TrimSpace(to.adminEmail), subject, body,
			n.links.referral(e.ReferralID), now, "", eventID)
	case *domain.ReferralAcknowledged, *domain.ReferralClosed:
		id, _ := ledger.ReferralIDFromStream(stored.Stream)
		r, ok := n.state.referral(id)
		if !ok {
			return c
		}
		to := n.state.org(r.ToOrganisationID)
		kind, subject, body := KindAcknowledged, "", ""
		if _, closed := e.(*domain.ReferralClosed); closed {
			kind = KindClosed
			subject, body = closedContent(n.links, id, to)
		} else {
			subject, body = acknowledgedContent(n.links, id, to)
		}
		addr := n.state.referrerMailbox(r)
		add(kind, Reference(id), addr, subject, body, n.links.referral(id), now, "", eventID)
	case *domain.ReferralDeclined, *domain.ReferralForwarded:
		// The referrer hears that the receiver declined (R-REF-9) or passed
		// on (R-REF-10) their referral: the reason code or the onward
		// organisation, never the comment.
		id, _ := ledger.ReferralIDFromStream(stored.Stream)
		r, ok := n.state.referral(id)
		if !ok {
			return c
		}
		to := n.state.org(r.ToOrganisationID)
		kind, subject, body := KindForwarded, "", ""
		if d, declined := e.(*domain.ReferralDeclined); declined {
			kind = KindDeclined
			subject, body = declinedContent(n.links, id, to, d.ReasonCode)
		} else {
			subject, body = forwardedContent(n.links, id, to, n.state.org(e.(*domain.ReferralForwarded).ToOrganisationID))
		}
		addr := n.state.referrerMailbox(r)
		add(kind, Reference(id), addr, subject, body, n.links.referral(id), now, "", eventID)
	case *domain.ReferralWithdrawn:
		// The receiver's administrative contact hears that the referrer
		// withdrew it (R-REF-11).
		id, _ := ledger.ReferralIDFromStream(stored.Stream)
		r, ok := n.state.referral(id)
		if !ok {
			return c
		}
		subject, body := withdrawnContent(n.links, id, n.state.org(r.FromOrganisationID))
		add(KindWithdrawn, Reference(id), strings.TrimSpace(n.state.org(r.ToOrganisationID).adminEmail), subject, body,
			n.links.referral(id), now, "", eventID)
	case *domain.OrganisationIntakeSwitchedOff:
		org, ok := orgOfStream(stored.Stream)
		if !ok {
			return c
		}
		c.cancel = append(c.cancel, intakeCancelKey(org)) // a new switch-off restarts the count
		days := n.opts.IntakeOffReminderDays
		due := rec.At.In(domain.London()).AddDate(0, 0, days)
		if e.ResumeOn != "" && e.ResumeOn <= domain.LondonDate(due) {
			return c // intake comes back on by itself first
		}
		o := n.state.org(org)
		subject, body := intakeOffContent(n.links, o, rec.At, days)
		leads := n.state.usersWithRole(domain.RoleOrgLead, org)
		if len(leads) == 0 {
			leads = []string{""} // logged as a notice without a recipient
		}
		for _, lead := range leads {
			add(KindIntakeOffReminder, "O-"+strings.ToUpper(org.String()[:8]), lead, subject, body,
				n.links.organisation(org), due.UTC(), intakeCancelKey(org), eventID)
		}
	case *domain.MessageForResponsiblePerson:
		// Information passed to a locked case's owner (R-LOCK-8): urgent
		// for child protection; the text stays sealed in the ledger.
		l := n.state.lock(e.ClientID)
		if l.Status != domain.LockLocked {
			return c
		}
		subject, body := lockedCaseMessageContent(n.links, e.ClientID, e.ChildProtection)
		add(KindLockedCaseMessage, ClientReference(e.ClientID), n.state.mailbox(l.ResponsibleUserID), subject, body,
			n.links.messages(e.ClientID), now, "", eventID)
	case *domain.ClientSubjectAccessExported:
		// A subject access export of a locked case (R-PRIV-6, R-LOCK-9):
		// its responsible person hears of it, whoever else may not.
		client, ok := clientOfStream(stored.Stream)
		if !ok {
			return c
		}
		l := n.state.lock(client)
		if l.Status != domain.LockLocked {
			return c
		}
		subject, body := lockedCaseSubjectAccessContent(n.links, client)
		add(KindLockedCaseSubjectAccess, ClientReference(client), n.state.mailbox(l.ResponsibleUserID),
			subject, body, n.links.accessLog(client), now, "", eventID)
	case *domain.OrganisationUserMFAReset:
		// The user hears that their second factor was reset (issue 17):
		// by whom in general terms, and what happens next.
		u, ok := n.state.users[e.UserID]
		if !ok || u.Closed {
			return c
		}
		subject, body := secondFactorResetContent(n.links, u.Username, rec.At, rec.ActorUserID == e.UserID)
		add(KindSecondFactorReset, "U-"+strings.ToUpper(e.UserID.String()[:8]), n.state.mailbox(e.UserID), subject, body,
			n.links.twoFactor(), now, "", eventID)
	case *domain.OrganisationIntakeSwitchedOn:
		if org, ok := orgOfStream(stored.Stream); ok {
			c.cancel = append(c.cancel, intakeCancelKey(org))
		}
	}
	return c
}

// clientOfStream returns the client whose stream stream is.
func clientOfStream(stream string) (uuid.UUID, bool) {
	rest, ok := strings.CutPrefix(stream, ledger.ClientPrefix)
	if !ok {
		return uuid.Nil, false
	}
	id, err := uuid.Parse(rest)
	return id, err == nil
}

// orgOfStream returns the organisation whose stream stream is.
func orgOfStream(stream string) (uuid.UUID, bool) {
	rest, ok := strings.CutPrefix(stream, ledger.OrganisationPrefix)
	if !ok {
		return uuid.Nil, false
	}
	id, err := uuid.Parse(rest)
	return id, err == nil
}
