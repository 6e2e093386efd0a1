package web

import (
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/projections"
)

// listItem is a referral as the Incoming and Outgoing pages show it: the
// read model's summary, never client data (R-LEDGER-6).
type listItem struct {
	ID, Reference           string
	Status                  string
	Closed                  bool // closed, declined, forwarded or withdrawn: no deadline
	Urgent, Overdue         bool
	From, To, AssignedTo    string
	MadeAt, ClosedAt        time.Time
	Outcome                 string
	Deadline                time.Time
	DeadlineLabel, DaysLeft string
}

// listTable is a table of referrals with its caption, which says, for
// screen readers, in what order the rows come (R-UI-2): each list's own.
type listTable struct {
	Items   []listItem
	Caption string
}

func init() {
	funcs["table"] = func(items []listItem, caption string) listTable { return listTable{Items: items, Caption: caption} }
}

func (p *Pages) listItems(items []projections.ReferralSummary, now time.Time) []listItem {
	out := make([]listItem, len(items))
	names := p.orgNames()
	orgName := func(id uuid.UUID) string {
		if n, ok := names[id]; ok {
			return n
		}
		return "Unknown organisation"
	}
	for i, r := range items {
		it := listItem{ID: r.ID.String(), Reference: r.Reference.String(), Status: statusText(r.Status),
			Closed: !r.Status.Open(), Urgent: r.Urgent, Overdue: r.Overdue,
			From: orgName(r.FromOrganisationID), To: orgName(r.ToOrganisationID), AssignedTo: p.userName(r.AssignedTo),
			MadeAt: r.MadeAt, ClosedAt: r.EndedAt, Outcome: outcomeText(r.Outcome), Deadline: r.NextDeadline}
		if !r.NextDeadline.IsZero() {
			it.DeadlineLabel = stageText(r.Stage)
			it.DaysLeft = daysLeftText(p.workingDaysLeft(r.NextDeadline, now), r.Overdue)
		}
		out[i] = it
	}
	return out
}

func stageText(s domain.Stage) string {
	switch s {
	case domain.StageAcknowledge:
		return "Acknowledge by"
	case domain.StageClose:
		return "Close by"
	}
	return "Due"
}

func outcomeText(o string) string {
	switch o {
	case domain.OutcomePositive:
		return "Taken forward"
	case domain.OutcomeNegative:
		return "Not taken forward"
	}
	return o
}
