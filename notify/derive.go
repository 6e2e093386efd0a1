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
	eventID := stored.ID.String()
	var origin string // what rederive needs to send the notice elsewhere, for the kinds it can
	add := func(kind Kind, ref string, to recipient, subject, body, link string, due time.Time, cancelKey string, idParts ...string) {
		if to.addr == "" {
			n.log.Warn().Str("kind", string(kind)).Str("reference", ref).Msg("email notice has no recipient: no mailbox is recorded")
			return
		}
		c.notices = append(c.notices, notice{Message: Message{ID: noticeID(kind, append(idParts, to.addr)...), Kind: kind,
			Reference: ref, To: to.addr, Subject: subject, Body: body, Link: link}, DueAt: due, CancelKey: cancelKey,
			RecipientKey: to.key, Origin: origin})
	}
	switch e := rec.Event.(type) {
	case *domain.ReferralMade:
		if n.hiddenFrom(e.ClientID, uuid.Nil, rec.At) {
			return c
		}
		from, to := n.state.org(e.FromOrganisationID), n.state.org(e.ToOrganisationID)
		subject, body := newReferralContent(n.links, e.ReferralID, from, to, e.Urgent)
		origin = receiverOrigin(eventID, e.ToOrganisationID, e.ClientID)
		add(KindNewReferral, Reference(e.ReferralID), n.state.adminContact(e.ToOrganisationID), subject, body,
			n.links.referral(e.ReferralID), now, "", eventID)
	case *domain.ReferralAcknowledged, *domain.ReferralClosed, *domain.ReferralDeclined, *domain.ReferralForwarded,
		*domain.ReferralReopened, *domain.ReferralUrgencyDeclined:
		// The adviser who made the referral hears what the receiver did
		// with it (referrerNotice).
		id, _ := ledger.ReferralIDFromStream(stored.Stream)
		r, ok := n.state.referral(id)
		if !ok {
			return c
		}
		addr, ok := n.referrerRecipient(r, rec.At)
		if !ok {
			return c
		}
		kind, subject, body := n.referrerNotice(e, id, n.state.org(r.ToOrganisationID))
		origin = referrerOrigin(eventID, r)
		add(kind, Reference(id), addr, subject, body, n.links.referral(id), now, "", eventID)
	case *domain.ReferralWithdrawn:
		// The receiver's administrative contact hears that the referrer
		// withdrew it (R-REF-11).
		id, _ := ledger.ReferralIDFromStream(stored.Stream)
		r, ok := n.state.referral(id)
		if !ok || n.hiddenFrom(r.ClientID, uuid.Nil, rec.At) {
			return c
		}
		subject, body := withdrawnContent(n.links, id, n.state.org(r.FromOrganisationID))
		origin = receiverOrigin(eventID, r.ToOrganisationID, r.ClientID)
		add(KindWithdrawn, Reference(id), n.state.adminContact(r.ToOrganisationID), subject, body,
			n.links.referral(id), now, "", eventID)
	case *domain.MessageForResponsiblePerson:
		// Information passed to a locked case's owner (R-LOCK-8): urgent
		// for child protection; the text stays sealed in the ledger.
		to, subject, body, locked := n.lockMessageRecipients(e.ClientID, e.ChildProtection)
		if !locked {
			return c
		}
		if len(to) == 0 {
			to = []recipient{{}} // nobody left to tell: said in the log, not dropped in silence
		}
		origin = lockMessageOrigin(eventID, e.ClientID, e.ChildProtection)
		for _, to := range to {
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
		if u, known := n.state.users[l.ResponsibleUserID]; known && !u.Closed && l.Refuses(u.Actor()) {
			// The lock refuses them now (moved into a team its deny list
			// names, or made helpdesk): they cannot read the case and are
			// told nothing of it (R-LOCK-2, R-LOCK-12); nobody else is.
			n.log.Warn().Str("kind", string(KindLockedCaseSubjectAccess)).Str("reference", ClientReference(client)).
				Msg("email notice not sent: the lock refuses the case's responsible person, and nobody else is left to receive it")
			return c
		}
		subject, body := lockedCaseSubjectAccessContent(n.links, client)
		add(KindLockedCaseSubjectAccess, ClientReference(client), n.state.account(l.ResponsibleUserID),
			subject, body, n.links.accessLog(client), now, "", eventID)
	case *domain.OrganisationUserMFAReset:
		// The user hears that their second factor was reset (issue 17):
		// by whom in general terms, and what happens next.
		u, ok := n.state.users[e.UserID]
		if !ok || u.Closed {
			return c
		}
		subject, body := secondFactorResetContent(n.links, u.Username, rec.At, rec.ActorUserID == e.UserID)
		add(KindSecondFactorReset, "U-"+strings.ToUpper(e.UserID.String()[:8]), n.state.account(e.UserID), subject, body,
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
		add(KindPasswordSet, "U-"+strings.ToUpper(e.UserID.String()[:8]), n.state.account(e.UserID), subject, body,
			n.links.signIn(), now, "", eventID)
	}
	return c
}

// referrerRecipient is where news of r goes to its referrer
// (referrerMailbox) at time at; ok is false when a hidden lock on the
// client's case keeps that recipient out (hiddenFrom, R-LOCK-12).
func (n *Notifier) referrerRecipient(r domain.Referral, at time.Time) (to recipient, ok bool) {
	to, user := n.state.referrerMailbox(r)
	if n.hiddenFrom(r.ClientID, user, at) {
		return recipient{}, false
	}
	return to, true
}

// lockMessageRecipients is whom information passed on about client's
// locked case goes to (R-LOCK-8), with its subject and body: the case's
// responsible person; if their account is closed or the lock now refuses
// them, the managers who asked for and approved the lock whom it does not
// refuse, whose notice says why it reaches them; none if there are none. locked is false when the case is not locked:
// then nobody is told.
func (n *Notifier) lockMessageRecipients(client uuid.UUID, childProtection bool) (to []recipient, subject, body string, locked bool) {
	l := n.state.lock(client)
	if l.Status != domain.LockLocked {
		return nil, "", "", false
	}
	refused := false
	if r := n.state.account(l.ResponsibleUserID); r.addr != "" {
		u, known := n.state.users[l.ResponsibleUserID]
		if !known || !l.Refuses(u.Actor()) {
			subject, body = lockedCaseMessageContent(n.links, client, childProtection)
			return []recipient{r}, subject, body, true
		}
		// The lock now refuses the responsible person (moved into a team
		// its deny list names, or made helpdesk): the deny list wins over
		// everything (R-LOCK-2), they cannot read the case and are told
		// nothing of it (R-LOCK-12), as if their account were closed.
		refused = true
	}
	// The responsible person's account is closed, or the lock refuses
	// them: the managers who asked
	// for and approved the lock hear of it instead, so that the
	// information, urgent perhaps, still reaches someone who answers for
	// the case; not one the lock now refuses (moved into a team its deny
	// list names, or made helpdesk), who learns nothing of the case by any
	// route (R-LOCK-2, R-LOCK-12). The messages stay listed to those the
	// lock lets in.
	var managers []uuid.UUID
	for _, id := range []uuid.UUID{l.RequestedBy, l.ApprovedBy} {
		if u, ok := n.state.users[id]; ok && !l.Refuses(u.Actor()) {
			managers = append(managers, id)
		}
	}
	subject, body = orphanedLockMessageContent(n.links, client, childProtection, refused)
	return n.state.accounts(managers...), subject, body, true
}

// hiddenFrom reports whether a lock on the client's case whose
// notification is hidden keeps the recipient of a notice about one of
// its referrals out at time at: user is the account the notice goes to,
// uuid.Nil for an organisation's administrative contact, whom no lock
// lets in. Someone the lock keeps out learns nothing of the case by any
// route (R-LOCK-12): a notice about a referral they are then told does
// not exist would tell them of the lock, so none is sent. A lock that is
// not hidden tells them whom it is locked to anyway (R-LOCK-3).
func (n *Notifier) hiddenFrom(client, user uuid.UUID, at time.Time) bool {
	l := n.state.lock(client)
	if !hiddenLock(l) {
		return false
	}
	u, ok := n.state.users[user]
	return !ok || keepsOut(l, u, at)
}

// hiddenLock reports whether l is in force with its notification hidden.
func hiddenLock(l domain.Lock) bool { return l.Status == domain.LockLocked && l.HideNotification }

// keepsOut reports whether lock l keeps the account u out at time at; a
// closed account is kept out.
func keepsOut(l domain.Lock, u domain.User, at time.Time) bool {
	if u.Closed {
		return true
	}
	_, in := domain.LockAccess(l, u.Actor(), at)
	return !in
}

// mailboxWatch returns the mailbox ev may change the address of, on the
// stream of an organisation: an account's (its details changed, it
// closed) or the organisation's administrative contact. key is the
// mailbox's (notice.RecipientKey), before its address before ev, and
// current reads its address; call it before applying ev, and current
// after. A mailbox with no address before (an account not yet added, or
// closed) has none to follow: key is "".
func (n *Notifier) mailboxWatch(stored eventstore.RecordedEvent, rec domain.Recorded) (key, before string, current func() string) {
	org, ok := orgOfStream(stored.Stream)
	if !ok {
		return "", "", nil
	}
	switch e := rec.Event.(type) {
	case *domain.OrganisationUserAdded:
		return "", "", nil
	case domain.UserEvent:
		id := e.AccountID()
		key, before, current = userKey(id), n.state.mailbox(id), func() string { return n.state.mailbox(id) }
	case *domain.OrganisationAdminContactChanged:
		key, before, current = orgKey(org), n.state.adminContact(org).addr, func() string { return n.state.adminContact(org).addr }
	default:
		return "", "", nil
	}
	if before == "" {
		return "", "", nil
	}
	return key, before, current
}

// readdressed returns the change of the pending notices for the mailbox
// key whose address was before: to its current address if it changed
// (R-NOTE-1: a notice goes to the mailbox recorded when it is sent); none
// if the account closed (R-ORG-3). An administrative contact is never
// left without an address: one recorded empty keeps its notices where
// they were.
func readdressed(key, before string, current func() string) (readdress, bool) {
	if key == "" {
		return readdress{}, false
	}
	after := current()
	if after == before || (after == "" && strings.HasPrefix(key, "organisation:")) {
		return readdress{}, false
	}
	return readdress{key: key, to: after}, true
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
	leadBoxes := n.state.recipientsWithRole(domain.RoleOrgLead, org)
	leads := make([]string, len(leadBoxes))
	for i, r := range leadBoxes {
		leads[i] = r.addr
	}
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
	for _, lead := range leadBoxes {
		c.notices = append(c.notices, notice{Message: Message{ID: noticeID(KindIntakeOffReminder, org.String(), period, lead.addr),
			Kind: KindIntakeOffReminder, Reference: ref, To: lead.addr, Subject: subject, Body: body, Link: n.links.intake(org)},
			DueAt: due.UTC(), CancelKey: key, RecipientKey: lead.key})
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

// referrerNotice is the notice to a referral's referrer of ev, which the
// receiver to did to referral id: its kind, subject and body. The referrer
// hears that it was acknowledged or closed (R-REF-8); that it was
// declined (R-REF-9) or passed on (R-REF-10), with the reason code or the
// onward organisation, never the comment; that, after a closure or decline
// they were told of, it was taken up again (R-REF-12, R-REF-8); or that it
// is not taken on as urgent, so it now follows the normal timescales
// (R-REF-7): never the reason or the feedback, which are free text.
func (n *Notifier) referrerNotice(ev domain.Event, id uuid.UUID, to orgState) (Kind, string, string) {
	var kind Kind
	var subject, body string
	switch e := ev.(type) {
	case *domain.ReferralAcknowledged:
		kind = KindAcknowledged
		subject, body = acknowledgedContent(n.links, id, to)
	case *domain.ReferralClosed:
		kind = KindClosed
		subject, body = closedContent(n.links, id, to)
	case *domain.ReferralDeclined:
		kind = KindDeclined
		subject, body = declinedContent(n.links, id, to, e.ReasonCode)
	case *domain.ReferralForwarded:
		kind = KindForwarded
		subject, body = forwardedContent(n.links, id, to, n.state.org(e.ToOrganisationID))
	case *domain.ReferralReopened:
		kind = KindReopened
		subject, body = reopenedContent(n.links, id, to)
	case *domain.ReferralUrgencyDeclined:
		kind = KindUrgencyDeclined
		subject, body = urgencyDeclinedContent(n.links, id, to)
	}
	return kind, subject, body
}
