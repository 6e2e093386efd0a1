package notify

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
)

// digestRecheck is the longest the notifier waits before it looks at the
// clock again for the digest, or for the next notice due (a retry after
// backoff): a timer counts elapsed time, not the time of day, so after the
// system clock was stepped forward or the host slept, a timer set for the
// whole wait would send the digest, or the notice, hours late.
const digestRecheck = time.Minute

// digestTimer returns a channel that fires when the next digest after the
// one of lastDate is due, or within digestRecheck to look again.
func (n *Notifier) digestTimer(lastDate string) <-chan time.Time {
	now := n.clock.Now()
	_, at := n.nextDigest(lastDate, now)
	return n.clock.After(min(at.Sub(now), digestRecheck))
}

// nextDigest returns the first working day from today (London) whose
// digest has not gone out, and when it is due; a time in the past means
// now. Days missed while the node was down are not caught up on: today's
// digest lists everything overdue anyway.
func (n *Notifier) nextDigest(lastDate string, now time.Time) (date string, at time.Time) {
	cal := n.opts.Calendar
	day := cal.DateOf(now)
	for range 366 {
		if day.String() > lastDate && cal.IsWorkingDay(day) {
			break
		}
		day = day.AddDays(1)
	}
	return day.String(), n.opts.DigestAt.on(day.Year, day.Month, day.Day, cal.Location())
}

// runDigest enqueues the digest due now, if any, in one transaction with
// the digest's date and the checkpoint at applied, and returns the date of
// the last digest.
func (n *Notifier) runDigest(ctx context.Context, lastDate string, applied eventstore.Position) (string, error) {
	now := n.clock.Now()
	date, at := n.nextDigest(lastDate, now)
	if now.Before(at) {
		return lastDate, nil // woken early; the timer is set again
	}
	notices := n.digest(date, now)
	if err := n.state.err; err != nil {
		return lastDate, fmt.Errorf("notifications: overdue digest: %w", err)
	}
	inserted, _, err := n.outbox.commit(ctx, change{notices: notices, digestDate: date, checkpoint: applied,
		state: n.state, statePos: applied}, now)
	if err != nil {
		return lastDate, fmt.Errorf("notifications: overdue digest: %w", err)
	}
	n.log.Info().Str("date", date).Int("notices", len(notices)).Msg("overdue digest enqueued")
	if inserted > 0 {
		n.wakeDelivery()
	}
	if err := n.outbox.purge(ctx, now.Add(-keepFinished)); err != nil {
		n.log.Warn().Err(err).Msg("could not purge old notices")
	}
	if n.turn != nil { // only while this node holds the turn
		if err := n.turn.Purge(ctx, now.Add(-keepFinished)); err != nil {
			n.log.Warn().Err(err).Msg("could not purge old records of notices sent")
		}
	}
	return date, nil
}

// overdue lists the open referrals past their current deadline at now,
// most overdue first (R-VIEW-3's rules, through domain.Timescales).
func (n *Notifier) overdue(now time.Time) []overdueReferral {
	cal := n.opts.Calendar
	var out []overdueReferral
	candidates := n.state.referrals
	if n.state.store != nil {
		// Those in memory are current; of those stored, only the ones
		// whose deadline has passed can be overdue.
		candidates = maps.Clone(candidates)
		for _, r := range n.state.storedOverdue(now) {
			candidates[r.ID] = r
		}
	}
	for _, r := range candidates {
		if !r.Open() {
			continue
		}
		d := n.opts.Timescales.Deadlines(r, cal)
		stage, due, ok := d.Next(r)
		if !ok || !now.After(due) {
			continue
		}
		out = append(out, overdueReferral{referral: r, stage: stage, due: due,
			workingDaysOverdue: cal.WorkingDaysBetween(cal.DateOf(due), cal.DateOf(now))})
	}
	slices.SortFunc(out, func(a, b overdueReferral) int {
		if c := a.due.Compare(b.due); c != 0 {
			return c
		}
		return strings.Compare(a.referral.ID.String(), b.referral.ID.String())
	})
	return out
}

// digest returns the overdue digests of date: each organisation's
// administrative contact gets the overdue referrals it received, but for
// those of a case under a lock whose notification is hidden, and each
// coordinator every overdue referral. Nobody gets an empty digest.
func (n *Notifier) digest(date string, now time.Time) []notice {
	list := n.overdue(now)
	if len(list) == 0 {
		return nil
	}
	byOrg := map[uuid.UUID][]overdueReferral{}
	for _, o := range list {
		if n.hiddenFrom(o.referral.ClientID, uuid.Nil, now) {
			continue // a hidden lock's case is not told to an organisation's mailbox (R-LOCK-12)
		}
		byOrg[o.referral.ToOrganisationID] = append(byOrg[o.referral.ToOrganisationID], o)
	}
	orgName := func(id uuid.UUID) string { return n.state.org(id).name }
	ref := "overdue " + date
	var out []notice
	add := func(to recipient, subject, body, link string, idParts ...string) {
		out = append(out, notice{Message: Message{ID: noticeID(KindOverdueDigest, append(idParts, to.addr)...),
			Kind: KindOverdueDigest, Reference: ref, To: to.addr, Subject: subject, Body: body, Link: link}, DueAt: now,
			RecipientKey: to.key})
	}
	orgs := make([]uuid.UUID, 0, len(byOrg))
	for id := range byOrg {
		orgs = append(orgs, id)
	}
	slices.SortFunc(orgs, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
	for _, id := range orgs {
		o := n.state.org(id)
		to := n.state.adminContact(id)
		if to.addr == "" {
			n.log.Warn().Str("kind", string(KindOverdueDigest)).Str("organisation_id", id.String()).
				Msg("email notice has no recipient: no mailbox is recorded")
			continue
		}
		subject, body := digestContent(n.links, date, o, false, byOrg[id], orgName)
		add(to, subject, body, n.links.overdue(), date, "organisation", id.String())
	}
	for _, to := range n.state.recipientsWithRole(domain.RoleCoordinator, uuid.Nil) {
		// A hidden lock lets no coordinator in by their role: its
		// referrals are left out but for those whose lock lets in every
		// coordinator at this address (R-LOCK-12).
		var theirs []overdueReferral
		for _, o := range list {
			if !n.hiddenFromCoordinators(o.referral.ClientID, to.addr, now) {
				theirs = append(theirs, o)
			}
		}
		if len(theirs) == 0 {
			continue
		}
		subject, body := digestContent(n.links, date, orgState{}, true, theirs, orgName)
		add(to, subject, body, n.links.networkOverdue(), date, "network")
	}
	return out
}

// hiddenFromCoordinators reports whether a lock on the client's case whose
// notification is hidden keeps out a coordinator whose open account has
// address addr.
func (n *Notifier) hiddenFromCoordinators(client uuid.UUID, addr string, at time.Time) bool {
	l := n.state.lock(client)
	if !hiddenLock(l) {
		return false
	}
	for _, u := range n.state.users {
		if u.Closed || !slices.Contains(u.Roles, domain.RoleCoordinator) || strings.TrimSpace(u.Email) != addr {
			continue
		}
		if keepsOut(l, u, at) {
			return true
		}
	}
	return false
}
