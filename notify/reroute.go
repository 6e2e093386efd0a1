package notify

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// A notice's origin (notice.Origin, the outbox's origin column) says what
// it was derived from, as far as deriving it again needs: for news of a
// referral to its referrer (R-REF-8 and the rest of referrerNotice), the
// event, the adviser who made the referral, their organisation and the
// client (ids only, for the hidden-lock checks); for information passed on
// about a locked case (R-LOCK-8), the event, the client and whether it is
// about child protection; for news of a referral to its receiver's
// administrative contact (a new referral, a withdrawal: R-NOTE-1,
// R-REF-11), the event, the receiving organisation and the client (for
// the hidden-lock check). Other kinds have none: their recipients are each
// sent their own notice (a digest, an intake-off reminder), or no one else
// may be (a user told of their own account, a subject access export told
// to a locked case's responsible person alone).
const (
	originReferrer    = "referrer"
	originLockMessage = "lock-message"
	originReceiver    = "receiver"
)

func receiverOrigin(event string, org, client uuid.UUID) string {
	return strings.Join([]string{originReceiver, event, org.String(), client.String()}, "/")
}

func referrerOrigin(event string, r domain.Referral) string {
	return strings.Join([]string{originReferrer, event, r.MadeBy.String(), r.FromOrganisationID.String(),
		r.ClientID.String()}, "/")
}

func lockMessageOrigin(event string, client uuid.UUID, childProtection bool) string {
	cp := "0"
	if childProtection {
		cp = "1"
	}
	return strings.Join([]string{originLockMessage, event, client.String(), cp}, "/")
}

// noticeOrigin is an origin read back (parseOrigin): its kind and what it
// names.
type noticeOrigin struct {
	kind            string    // originReferrer, originLockMessage or originReceiver
	madeBy          uuid.UUID // referrer: the adviser who made the referral
	org             uuid.UUID // referrer: the adviser's organisation; receiver: the receiving one
	client          uuid.UUID
	childProtection bool // lock message
}

// parseOrigin reads an origin referrerOrigin, lockMessageOrigin or
// receiverOrigin wrote; ok is false for any other (none: a notice derived
// before origins were recorded, or of a kind with no one else to send it
// to).
func parseOrigin(origin string) (o noticeOrigin, ok bool) {
	parts := strings.Split(origin, "/")
	ids := func(ps []string) ([]uuid.UUID, bool) {
		out := make([]uuid.UUID, 0, len(ps))
		for _, p := range ps {
			id, err := uuid.Parse(p)
			if err != nil {
				return nil, false
			}
			out = append(out, id)
		}
		return out, true
	}
	switch {
	case parts[0] == originReferrer && len(parts) == 5:
		if u, ok := ids(parts[2:]); ok {
			return noticeOrigin{kind: originReferrer, madeBy: u[0], org: u[1], client: u[2]}, true
		}
	case parts[0] == originLockMessage && len(parts) == 4:
		if u, ok := ids(parts[2:3]); ok {
			return noticeOrigin{kind: originLockMessage, client: u[0], childProtection: parts[3] == "1"}, true
		}
	case parts[0] == originReceiver && len(parts) == 4:
		if u, ok := ids(parts[2:]); ok {
			return noticeOrigin{kind: originReceiver, org: u[0], client: u[1]}, true
		}
	}
	return noticeOrigin{}, false
}

// rerouteTarget is where a pending notice goes instead of a closed
// account: to, with subject and body if they change with the recipient
// ("": the notice's own).
type rerouteTarget struct {
	to            recipient
	subject, body string
}

// rederive returns the recipients a notice of origin derived at time at,
// from the state as it is now, would go to, by the rules its first
// derivation followed; ok is false for an origin it cannot read (none:
// a notice derived before origins were recorded, or of a kind with no
// one else to send it to). No recipients means nobody is left to receive
// it.
func (n *Notifier) rederive(origin string, at time.Time) (targets []rerouteTarget, ok bool) {
	o, ok := parseOrigin(origin)
	if !ok {
		return nil, false
	}
	switch o.kind {
	case originReferrer:
		to, ok := n.referrerRecipient(domain.Referral{MadeBy: o.madeBy, FromOrganisationID: o.org, ClientID: o.client}, at)
		if !ok || to.addr == "" {
			return nil, true
		}
		return []rerouteTarget{{to: to}}, true
	case originLockMessage:
		to, subject, body, locked := n.lockMessageRecipients(o.client, o.childProtection)
		if !locked {
			return nil, true
		}
		for _, r := range to {
			targets = append(targets, rerouteTarget{to: r, subject: subject, body: body})
		}
		return targets, true
	default: // originReceiver
		to := n.state.adminContact(o.org)
		if to.addr == "" || n.hiddenFrom(o.client, uuid.Nil, at) {
			return nil, true
		}
		return []rerouteTarget{{to: to}}, true
	}
}

// reroutes returns, for the pending notices to the account whose mailbox
// key is and which has just closed, where each goes instead, by origin
// (rederive, at the closure's time at, from the state as that event left
// it). It reads the origins of those notices already committed and of
// those uncommitted, the changes before this one in its batch, derive or
// reroute to that account.
func (n *Notifier) reroutes(ctx context.Context, key string, uncommitted []change, at time.Time) (map[string][]rerouteTarget, error) {
	origins, err := n.outbox.pendingOrigins(ctx, key)
	if err != nil {
		return nil, err
	}
	walkPending(uncommitted, func(k, origin string) {
		if k == key {
			origins = append(origins, origin)
		}
	})
	out := map[string][]rerouteTarget{}
	for _, o := range origins {
		if _, done := out[o]; done {
			continue
		}
		if targets, ok := n.rederive(o, at); ok {
			out[o] = targets
		}
	}
	return out, nil
}

// walkPending calls fn with the mailbox key and origin of each notice the
// uncommitted changes cs derive, or reroute, with an origin.
func walkPending(cs []change, fn func(key, origin string)) {
	for _, c := range cs {
		for _, nt := range c.notices {
			if nt.RecipientKey != "" && nt.Origin != "" {
				fn(nt.RecipientKey, nt.Origin)
			}
		}
		for _, r := range c.readdress {
			for origin, targets := range r.reroute {
				for _, t := range targets {
					if t.to.key != "" {
						fn(t.to.key, origin)
					}
				}
			}
		}
		walkPending(c.then, fn)
	}
}

// pendingOrigin is a pending notice's mailbox key and origin.
type pendingOrigin struct{ key, origin string }

// refusedFor returns the refusals among the pending notices to the open
// account user (refusals), after an event about that account (moved into
// another team, given other roles): those committed, and those that
// uncommitted, the changes before this one in its batch, derive or
// reroute to it.
func (n *Notifier) refusedFor(ctx context.Context, user uuid.UUID, uncommitted []change, at time.Time) ([]readdress, error) {
	key := userKey(user)
	origins, err := n.outbox.pendingOrigins(ctx, key)
	if err != nil {
		return nil, err
	}
	pending := make([]pendingOrigin, 0, len(origins))
	for _, o := range origins {
		pending = append(pending, pendingOrigin{key: key, origin: o})
	}
	walkPending(uncommitted, func(k, origin string) {
		if k == key {
			pending = append(pending, pendingOrigin{key: k, origin: origin})
		}
	})
	return n.refusals(pending, at), nil
}

// refusedAbout is refusedFor for the pending notices about client's case,
// after an event that changed whom its lock lets in (approved, or a
// temporary grant ended).
func (n *Notifier) refusedAbout(ctx context.Context, client uuid.UUID, uncommitted []change, at time.Time) ([]readdress, error) {
	pending, err := n.outbox.pendingOriginsAbout(ctx, client)
	if err != nil {
		return nil, err
	}
	walkPending(uncommitted, func(k, origin string) {
		if c, ok := originClient(origin); ok && c == client {
			pending = append(pending, pendingOrigin{key: k, origin: origin})
		}
	})
	return n.refusals(pending, at), nil
}

// refusals returns, for the pending notices whose recipients the rules
// of their origin now refuse (refuses, at time at), the readdresses that
// take them from those recipients, as a closure does (readdress.refused):
// each goes instead to whom a notice derived now would go (rederive), or,
// with nobody left, to nobody. The other pending notices stay where they
// are.
func (n *Notifier) refusals(pending []pendingOrigin, at time.Time) []readdress {
	byKey := map[string]map[string][]rerouteTarget{}
	var keys []string
	for _, p := range pending {
		if _, done := byKey[p.key][p.origin]; done || !n.refuses(p.origin, p.key, at) {
			continue
		}
		targets, ok := n.rederive(p.origin, at)
		if !ok || slices.ContainsFunc(targets, func(t rerouteTarget) bool { return t.to.key == p.key }) {
			continue // a notice derived now would go to them still
		}
		if byKey[p.key] == nil {
			byKey[p.key] = map[string][]rerouteTarget{}
			keys = append(keys, p.key)
		}
		byKey[p.key][p.origin] = targets
	}
	// In the same order on every node, so that of two notices of one
	// origin rerouted to one recipient, each node sends on the same one.
	slices.Sort(keys)
	out := make([]readdress, 0, len(keys))
	for _, k := range keys {
		out = append(out, readdress{key: k, reroute: byKey[k], refused: true})
	}
	return out
}

// refuses reports whether the rules a notice of origin was derived by
// now refuse it to the open mailbox key, at time at: news of a referral
// to its referrer (R-REF-8), an adviser or their organisation's
// administrative contact, or to its receiver's administrative contact (a
// new referral, a withdrawal), whom a hidden lock on the client's case
// keeps out (hiddenFrom, R-LOCK-12); information passed on about a locked case (R-LOCK-8) to
// someone its lock refuses (moved into a team its deny list names, made
// helpdesk: R-LOCK-2), or, not one of those who answer for it (its
// responsible person, the managers who asked for and approved it), does
// not let in (the case locked again, to someone else). A case no longer
// locked refuses nobody: its notices stay where they are.
func (n *Notifier) refuses(origin, key string, at time.Time) bool {
	o, ok := parseOrigin(origin)
	if !ok {
		return false
	}
	switch o.kind {
	case originReferrer:
		switch key {
		case userKey(o.madeBy):
			return n.hiddenFrom(o.client, o.madeBy, at)
		case orgKey(o.org):
			return n.hiddenFrom(o.client, uuid.Nil, at)
		}
		return false
	case originReceiver:
		return key == orgKey(o.org) && n.hiddenFrom(o.client, uuid.Nil, at)
	}
	l := n.state.lock(o.client)
	id, ok := strings.CutPrefix(key, "account:")
	if l.Status != domain.LockLocked || !ok {
		return false
	}
	user, err := uuid.Parse(id)
	if err != nil {
		return false
	}
	u, known := n.state.users[user]
	if !known || u.Closed { // a closure reroutes its notices itself
		return false
	}
	if l.Refuses(u.Actor()) {
		return true
	}
	if user == l.ResponsibleUserID || user == l.RequestedBy || user == l.ApprovedBy {
		return false
	}
	_, in := domain.LockAccess(l, u.Actor(), at)
	return !in
}

// originClient returns the client an origin names.
func originClient(origin string) (uuid.UUID, bool) {
	o, ok := parseOrigin(origin)
	return o.client, ok
}
