package notify

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
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

// intakeCancelKey groups the pending intake-off reminders of an
// organisation, which intakeReminders cancels and schedules again.
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
	case *domain.ReferralReopened:
		// The referrer, told of the closure or decline, hears that the
		// receiver has taken the referral up again (R-REF-12, R-REF-8):
		// never the reason, which is free text.
		id, _ := ledger.ReferralIDFromStream(stored.Stream)
		r, ok := n.state.referral(id)
		if !ok {
			return c
		}
		subject, body := reopenedContent(n.links, id, n.state.org(r.ToOrganisationID))
		add(KindReopened, Reference(id), n.state.referrerMailbox(r), subject, body, n.links.referral(id), now, "", eventID)
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
	case *domain.MessageForResponsiblePerson:
		// Information passed to a locked case's owner (R-LOCK-8): urgent
		// for child protection; the text stays sealed in the ledger.
		l := n.state.lock(e.ClientID)
		if l.Status != domain.LockLocked {
			return c
		}
		if to := n.state.mailbox(l.ResponsibleUserID); to != "" {
			subject, body := lockedCaseMessageContent(n.links, e.ClientID, e.ChildProtection)
			add(KindLockedCaseMessage, ClientReference(e.ClientID), to, subject, body, n.links.messages(e.ClientID), now, "", eventID)
			return c
		}
		// The responsible person's account is closed: the managers who
		// asked for and approved the lock hear of it instead, so that the
		// information, urgent perhaps, still reaches someone who answers
		// for the case.
		subject, body := orphanedLockMessageContent(n.links, e.ClientID, e.ChildProtection)
		for _, to := range n.state.mailboxes(l.RequestedBy, l.ApprovedBy) {
			add(KindLockedCaseMessage, ClientReference(e.ClientID), to, subject, body, n.links.messages(e.ClientID), now, "", eventID)
		}
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
	case *domain.OrganisationPasswordChanged:
		// A one-time password someone else set (R-AUTH-6): the user hears
		// of it, by whom in general terms and what happens next, never the
		// password. A change of their own is not notified.
		if !e.PasswordChangeRequired || rec.ActorUserID == e.UserID {
			return c
		}
		u, ok := n.state.users[e.UserID]
		if !ok || u.Closed {
			return c
		}
		subject, body := passwordSetContent(n.links, u.Username, rec.At)
		add(KindPasswordSet, "U-"+strings.ToUpper(e.UserID.String()[:8]), n.state.mailbox(e.UserID), subject, body,
			n.links.signIn(), now, "", eventID)
	}
	return c
}

// reminderWatch says whether ev may change the intake-off reminders of the
// organisation whose stream it is on: a switch of its intake, or, while
// its intake is off, an event about one of its accounts, which may change
// who its org leads are. It returns the organisation and, for an account's
// event, its leads' addresses before ev; call it before applying ev.
func (n *Notifier) reminderWatch(stored eventstore.RecordedEvent, rec domain.Recorded) (org uuid.UUID, leads []string, ok bool) {
	org, ok = orgOfStream(stored.Stream)
	if !ok {
		return uuid.Nil, nil, false
	}
	switch rec.Event.(type) {
	case *domain.OrganisationIntakeSwitchedOff, *domain.OrganisationIntakeSwitchedOn:
		return org, nil, true
	case domain.UserEvent:
		if !n.state.orgs[org].IntakeOff {
			return uuid.Nil, nil, false
		}
		return org, n.state.usersWithRole(domain.RoleOrgLead, org), true
	}
	return uuid.Nil, nil, false
}

// intakeReminders returns the change that brings org's pending intake-off
// reminders in line with the state after rec (R-ORG-2): while its intake
// is off, one reminder to each of its org leads with an open account,
// due notify.intake_off_reminder_days after intake went off, unless a
// resume date comes first. A new reason or resume date keeps when intake
// went off (domain.EvolveOrganisation), and so the reminder's due time
// and ids; an account's event changes the recipients only when it changed
// the leads (leadsBefore), so that the reminder goes to the leads as they
// are when it is sent (R-NOTE-1). Once the reminder is due it is left as
// it is: it is sent, or on its way.
func (n *Notifier) intakeReminders(org uuid.UUID, rec domain.Recorded, leadsBefore []string) change {
	leads := n.state.usersWithRole(domain.RoleOrgLead, org)
	if _, account := rec.Event.(domain.UserEvent); account && slices.Equal(leads, leadsBefore) {
		return change{}
	}
	key := intakeCancelKey(org)
	c := change{cancel: []string{key}}
	o := n.state.orgs[org]
	if !o.IntakeOff {
		return c
	}
	days := n.opts.IntakeOffReminderDays
	since := o.IntakeOffSince
	due := since.In(domain.London()).AddDate(0, 0, days)
	if !due.After(rec.At) {
		return change{}
	}
	if o.ResumeOn != "" && o.ResumeOn <= domain.LondonDate(due) {
		return c // intake comes back on by itself first
	}
	ref := "O-" + strings.ToUpper(org.String()[:8])
	if len(leads) == 0 {
		n.log.Warn().Str("kind", string(KindIntakeOffReminder)).Str("reference", ref).
			Msg("email notice has no recipient: no mailbox is recorded")
		return c
	}
	subject, body := intakeOffContent(n.links, n.state.org(org), since, days)
	period := strconv.FormatInt(since.UnixMilli(), 10)
	for _, lead := range leads {
		c.notices = append(c.notices, notice{Message: Message{ID: noticeID(KindIntakeOffReminder, org.String(), period, lead),
			Kind: KindIntakeOffReminder, Reference: ref, To: lead, Subject: subject, Body: body, Link: n.links.intake(org)},
			DueAt: due.UTC(), CancelKey: key})
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
