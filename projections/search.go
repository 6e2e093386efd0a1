package projections

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// SearchQuery asks for one page of referrals found by their public fields:
// reference, status, organisations and when they were made. Never by client
// data: the read model holds none.
type SearchQuery struct {
	// Organisation is the caller's when the caller sees only the referrals
	// their organisation made or received (R-AUTH-4); uuid.Nil searches the
	// whole network (coordinators, auditors).
	Organisation uuid.UUID
	Reference    domain.Reference // "": any
	Status       domain.Status    // "": any
	From, To     uuid.UUID        // the referring and receiving organisations; uuid.Nil: any
	// MadeFrom and MadeBefore bound when the referral was made:
	// MadeFrom <= made_at < MadeBefore; a zero time does not bound.
	MadeFrom, MadeBefore time.Time
	After                string // the Next of the previous page; "" for the first
	Limit                int    // 1..MaxLimit; 0 for DefaultLimit
	// Visible, when set, hides the referrals of clients it refuses: the
	// caller's case-lock rule (R-LOCK-2).
	Visible func(client uuid.UUID) bool
}

// SearchScope is the organisation whose referrals actor's search is
// limited to (R-AUTH-4): uuid.Nil for coordinators and auditors, who search
// the whole network; the actor's own organisation for everyone else,
// whatever their role.
func SearchScope(actor domain.Actor) uuid.UUID {
	if actor.NetworkWide() {
		return uuid.Nil
	}
	return actor.OrganisationID
}

// ClientOf returns the client of referral id, false when the read model
// holds no such referral. It checks no access: the caller asks the ledger,
// with the client, what the user may see. Errors: ErrUnreadable, rather
// than "no such referral".
func (p *Referrals) ClientOf(id uuid.UUID) (uuid.UUID, bool, error) {
	e, err := p.get(id)
	if err != nil || e == nil || !e.R.Exists {
		return uuid.Nil, false, err
	}
	return e.R.ClientID, true, nil
}

// Search lists the referrals matching every filter of q, newest made
// first (the referral id orders those made at the same instant), a page at
// a time. Errors: ErrInvalidCursor, or an error for a status the domain
// does not define.
func (p *Referrals) Search(q SearchQuery, now time.Time) (Page[ReferralSummary], error) {
	if q.Status != "" && !slices.Contains(domain.Statuses(), q.Status) {
		return Page[ReferralSummary]{}, fmt.Errorf("projections: no referral status %q", q.Status)
	}
	list := listSearch.list(q.Organisation[:], []byte(q.Reference), []byte(q.Status), q.From[:], q.To[:],
		timeFilter(q.MadeFrom), timeFilter(q.MadeBefore))
	after, err := decodeCursor(list, q.After)
	if err != nil {
		return Page[ReferralSummary]{}, err
	}
	// Keys are newest made first: a later bound of made_at is an earlier
	// key. Start after the last key made at or after MadeBefore.
	if !q.MadeBefore.IsZero() {
		bound := sortKey{at: -unixNanos(q.MadeBefore), rank: math.MaxUint8, hi: math.MaxUint64, lo: math.MaxUint64}
		if after == nil || after.less(bound) {
			after = &bound
		}
	}
	// The filters go to the database, so only rows that match are read;
	// the made-from bound ends the walk.
	where, args := []string{"1"}, []any{}
	add := func(cond string, arg any) { where, args = append(where, cond), append(args, arg) }
	if q.Reference != "" {
		add(`reference = ?`, string(q.Reference))
	}
	if q.From != uuid.Nil {
		add(`from_org = ?`, q.From[:])
	}
	if q.To != uuid.Nil {
		add(`to_org = ?`, q.To[:])
	}
	if q.Status != "" {
		add(`status = ?`, string(q.Status))
	}
	if q.Organisation != uuid.Nil && q.From == uuid.Nil && q.To == uuid.Nil {
		where, args = append(where, `(from_org = ? OR to_org = ?)`), append(args, q.Organisation[:], q.Organisation[:])
	}
	if !q.MadeFrom.IsZero() {
		add(`made_at <= ?`, -unixNanos(q.MadeFrom))
	}
	lq := madeOrder(`SELECT state FROM referrals WHERE `+strings.Join(where, " AND "), args, after)
	var stop func(*referralEntry) bool
	keep := func(e *referralEntry) bool {
		r := e.R
		return (q.Organisation == uuid.Nil || r.Involves(q.Organisation)) &&
			(q.Reference == "" || domain.ReferenceOf(r.ID) == q.Reference) &&
			(q.Status == "" || r.Status == q.Status) &&
			(q.From == uuid.Nil || r.FromOrganisationID == q.From) &&
			(q.To == uuid.Nil || r.ToOrganisationID == q.To) &&
			(q.Visible == nil || q.Visible(r.ClientID))
	}
	return rowsPage(p, list, q.Limit, lq, keep, stop, madeKey, p.summaryAt(now))
}

// timeFilter is a time bound of a search as its list's filters hold it:
// empty when unset.
func timeFilter(t time.Time) []byte {
	if t.IsZero() {
		return nil
	}
	return []byte(strconv.FormatInt(unixNanos(t), 10))
}
