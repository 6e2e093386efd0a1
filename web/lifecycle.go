package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/projections"
)

// The referral page's lifecycle actions (R-REF-9..12): decline, forward,
// withdraw and reopen, each offered only to who may take it, the first
// three through a confirmation step, each run through the ledger service
// exactly as its API route is.

func init() {
	funcs["declineReason"] = declineReasonText
	addSection(section{
		Mount: func(p *Pages, a *gin.RouterGroup) {
			a.POST("/referrals/:id/decline", p.declineReferral)
			a.POST("/referrals/:id/forward", p.forwardReferral)
			a.POST("/referrals/:id/withdraw", p.withdrawReferral)
			a.POST("/referrals/:id/reopen", p.reopenReferral)
		},
		Flashes: map[string]string{
			"declined":  "Referral declined. The referring organisation has been told.",
			"forwarded": "Referral forwarded. The new organisation has been sent it, and the referring organisation has been told.",
			"withdrawn": "Referral withdrawn. The receiving organisation has been told.",
			"reopened":  "Referral reopened. The close-by date starts again from today.",
		},
		Labels: map[string]string{
			"decline-reason": "the reason for declining", "decline-comment": "a comment",
			"forward-to": "the organisation to forward to", "forward-comment": "a comment for the new organisation",
			"forward-basis": "the client's consent", "forward-consent-confirmed": "the client's consent",
			"forward-override-reason": "the safeguarding reason",
			"withdraw-reason":         "the reason for withdrawing", "reopen-reason": "the reason for reopening",
		},
	})
	// The API's field names mapped to each form's input ids, so the
	// ledger's messages land beside the right input.
	actionFields["decline"] = map[string]string{"reason_code": "decline-reason", "comment": "decline-comment"}
	actionFields["forward"] = map[string]string{"to_organisation_id": "forward-to", "comment": "forward-comment",
		"consent": "forward-basis", "consent.method": "forward-basis", "consent.confirmed": "forward-consent-confirmed",
		"safeguarding_override": "forward-basis", "safeguarding_override.reason": "forward-override-reason"}
	actionFields["withdraw"] = map[string]string{"reason": "withdraw-reason"}
	actionFields["reopen"] = map[string]string{"reason": "reopen-reason"}
}

// declineReasonText is a decline's reason code in words (R-REF-9).
func declineReasonText(code string) string {
	switch code {
	case domain.DeclineNotEligible:
		return "Not eligible"
	case domain.DeclineNoCapacity:
		return "No capacity"
	case domain.DeclineCannotContact:
		return "Cannot contact the client"
	case domain.DeclineDuplicate:
		return "Duplicate referral"
	case domain.DeclineWrongService:
		return "Wrong service"
	case domain.DeclineOther:
		return "Other reason"
	}
	return code
}

// lifecycleIn is what a user typed into a lifecycle form.
type lifecycleIn struct {
	ReasonCode, Comment                       string // decline
	To, ForwardComment, Basis, OverrideReason string // forward
	ConsentConfirmed                          bool   // forward
	WithdrawReason, ReopenReason              string
}

func lifecycleInput(c *gin.Context) lifecycleIn {
	return lifecycleIn{ReasonCode: c.PostForm("decline-reason"), Comment: c.PostForm("decline-comment"),
		To: c.PostForm("forward-to"), ForwardComment: c.PostForm("forward-comment"), Basis: c.PostForm("forward-basis"),
		OverrideReason: c.PostForm("forward-override-reason"), ConsentConfirmed: c.PostForm("forward-consent-confirmed") == "yes",
		WithdrawReason: c.PostForm("withdraw-reason"), ReopenReason: c.PostForm("reopen-reason")}
}

// chainLink is one referral of a forward chain (R-REF-10).
type chainLink struct {
	Reference, Path, From, To, Status string // Path and Reference empty when the user may not see it
	Current                           bool
}

// lifecycleView is what the referral page shows and offers of R-REF-9..12.
type lifecycleView struct {
	CanDecline, CanForward, CanWithdraw, CanReopen bool
	ReopenBy                                       string // the last day it can be reopened, YYYY-MM-DD
	ForwardedTo, ForwardedFrom                     string // organisation names
	Chain                                          []chainLink
	Organisations                                  []projections.DirectoryEntry // where it can be forwarded
	Reasons                                        []string
}

func (p *Pages) lifecycleView(r domain.Referral, u domain.User) (lifecycleView, error) {
	a := u.Actor()
	receiver := u.OrganisationID == r.ToOrganisationID && a.Caseworker()
	v := lifecycleView{Reasons: domain.DeclineReasonCodes()}
	open := r.Status.Open()
	v.CanDecline = receiver && open
	v.CanForward = receiver && open && !r.Erased
	v.CanWithdraw = u.OrganisationID == r.FromOrganisationID && a.Caseworker() && open
	if last, ok := r.ReopenBy(p.Service.ReopenDays()); ok && receiver && !r.Erased {
		v.ReopenBy = last
		v.CanReopen = domain.LondonDate(p.Service.Now()) <= last
	}
	if v.CanForward {
		for _, e := range p.directory() {
			if e.ID != r.ToOrganisationID && e.AcceptingReferrals {
				v.Organisations = append(v.Organisations, e)
			}
		}
	}
	if r.ForwardedTo != uuid.Nil {
		v.ForwardedTo = p.orgName(r.ForwardedToOrganisationID)
	}
	if r.ForwardedFrom != uuid.Nil {
		v.ForwardedFrom = p.orgName(r.FromOrganisationID)
	}
	if r.ForwardedFrom != uuid.Nil || r.ForwardedTo != uuid.Nil {
		var err error
		if v.Chain, err = p.forwardChain(r, a); err != nil {
			return lifecycleView{}, err
		}
	}
	return v, nil
}

// forwardChain is the chain of forwards r is part of, first referral
// first, read from the referrals read model: ids, organisations and
// statuses only. A link the user may not see (R-AUTH-4) shows no more
// than the API's forwarded_to and forwarded_from tell of it: the
// organisations of a forward from, or to, a referral they see, without
// its reference, status or a link; forwards further on, between other
// organisations, are not shown at all. Errors: the views'
// (ErrUnreadable), rather than a chain cut short.
func (p *Pages) forwardChain(r domain.Referral, a domain.Actor) ([]chainLink, error) {
	now := p.Service.Now()
	const most = 50 // a guard against a malformed loop
	var back []projections.ReferralSummary
	for id, n := r.ForwardedFrom, 0; id != uuid.Nil && n < most; n++ {
		s, ok, err := p.Referrals.Summary(id, now)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		back = append(back, s)
		id = s.ForwardedFrom
	}
	var chain []projections.ReferralSummary
	for i := len(back) - 1; i >= 0; i-- {
		chain = append(chain, back[i])
	}
	self := len(chain)
	chain = append(chain, projections.ReferralSummary{ID: r.ID, Status: r.Status, FromOrganisationID: r.FromOrganisationID,
		ToOrganisationID: r.ToOrganisationID, ForwardedTo: r.ForwardedTo})
	for id, n := r.ForwardedTo, 0; id != uuid.Nil && n < most; n++ {
		s, ok, err := p.Referrals.Summary(id, now)
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		chain = append(chain, s)
		id = s.ForwardedTo
	}
	seen := make([]bool, len(chain))
	for i, s := range chain {
		seen[i] = a.NetworkWide() || a.OrganisationID == s.FromOrganisationID || a.OrganisationID == s.ToOrganisationID
	}
	out := make([]chainLink, 0, len(chain))
	for i, s := range chain {
		l := chainLink{From: p.orgName(s.FromOrganisationID), To: p.orgName(s.ToOrganisationID), Current: i == self}
		switch {
		case seen[i]:
			l.Reference, l.Path, l.Status = domain.ReferenceOf(s.ID).String(), "/referrals/"+s.ID.String(), statusText(s.Status)
		case i > 0 && seen[i-1]:
			// Made by forwarding one the user sees, which names where it
			// went (forwarded_to_organisation_id): nothing more.
		case i+1 < len(chain) && seen[i+1]:
			// The one a referral the user sees was forwarded from: only
			// to whom it was made, who forwarded it on.
			l.From = ""
		default:
			continue // a forward between others is not theirs to know (R-AUTH-4)
		}
		out = append(out, l)
	}
	return out, nil
}

// confirmView is the confirmation step of a decline, forward or withdrawal:
// what will happen, and the same form again, to be sent for real.
type confirmView struct {
	layout
	ID, Reference, Revision string
	Action, Question        string
	Consequence, Button     string
	In                      lifecycleIn
	ToName                  string
}

// confirmFirst shows the confirmation step unless the form says it was
// confirmed; it reports whether it did. The referral is read as the user,
// so someone who may not see it is answered as for any other page. check
// is the ledger's decision on the referral as it is, taken without writing
// anything: a form it refuses comes back with its errors, before anyone is
// asked to confirm it.
func (p *Pages) confirmFirst(c *gin.Context, action, question, consequence, button string, in lifecycleIn,
	check func(r domain.Referral, a domain.Actor) error) bool {
	if c.PostForm("confirmed") == "yes" {
		return false
	}
	id, ok := pathID(c)
	if !ok {
		p.fail(c, domain.Errorf(domain.NotFound, "no such referral"))
		return true
	}
	actor := currentUser(c).Actor()
	r, err := p.Service.Referral(p.request(c, nil), actor, id)
	if err != nil {
		p.fail(c, err)
		return true
	}
	if err := check(r, actor); err != nil {
		p.action(c, action, formIn{Life: in}, "", func(context.Context, domain.Actor, uuid.UUID) (ledger.Written, error) {
			return ledger.Written{}, err
		})
		return true
	}
	v := confirmView{layout: p.base(c, question, ""), ID: id.String(), Reference: r.Reference().String(),
		Revision: c.PostForm("revision"), Action: action, Question: question, Consequence: consequence, Button: button, In: in}
	if to, err := uuid.Parse(in.To); err == nil {
		v.ToName = p.orgName(to)
	}
	p.render(c, http.StatusOK, "lifecycle-confirm", v)
	return true
}

func (p *Pages) declineReferral(c *gin.Context) {
	in := lifecycleInput(c)
	if p.confirmFirst(c, "decline", "Are you sure you want to decline this referral?",
		"Declining is final: the referral cannot be worked on again unless your organisation reopens it. The referring organisation will be told.",
		"Yes, decline the referral", in, func(r domain.Referral, a domain.Actor) error {
			_, err := domain.DecideDecline(r, a, in.ReasonCode, strings.TrimSpace(in.Comment))
			return err
		}) {
		return
	}
	p.action(c, "decline", formIn{Life: in}, "declined", func(ctx context.Context, a domain.Actor, id uuid.UUID) (ledger.Written, error) {
		_, w, err := p.Service.Decline(ctx, a, id, in.ReasonCode, strings.TrimSpace(in.Comment))
		return w, err
	})
}

func (p *Pages) forwardReferral(c *gin.Context) {
	in := lifecycleInput(c)
	if p.confirmFirst(c, "forward", "Are you sure you want to forward this referral?",
		"A new referral with the client's details and the reason is sent to the organisation you chose, and this one is marked forwarded: your organisation will do nothing more on it. The referring organisation will be told.",
		"Yes, forward the referral", in, func(r domain.Referral, a domain.Actor) error {
			cmd := forwardCommand(in)
			receiver, _ := p.Service.Organisation(c.Request.Context(), cmd.ToOrganisationID) // one that does not exist is refused by name
			_, err := domain.DecideForward(r, a, receiver, cmd, p.Service.Now())
			return err
		}) {
		return
	}
	p.action(c, "forward", formIn{Life: in}, "forwarded", func(ctx context.Context, a domain.Actor, id uuid.UUID) (ledger.Written, error) {
		_, w, err := p.Service.Forward(ctx, a, id, forwardCommand(in))
		return w, err
	})
}

// forwardCommand is the forward form as the ledger's command. No
// organisation chosen is none (uuid.Nil), which the ledger refuses along
// with anything else missing, so the page lists every mistake at once.
func forwardCommand(in lifecycleIn) domain.ForwardReferral {
	to, _ := uuid.Parse(in.To)
	cmd := domain.ForwardReferral{ToOrganisationID: to, Comment: strings.TrimSpace(in.ForwardComment)}
	switch in.Basis {
	case domain.ConsentWritten, domain.ConsentVerbal:
		cmd.Consent = &domain.Consent{Method: in.Basis, Confirmed: in.ConsentConfirmed}
	case "override":
		cmd.SafeguardingOverride = &domain.SafeguardingOverride{Reason: strings.TrimSpace(in.OverrideReason)}
	}
	return cmd
}

func (p *Pages) withdrawReferral(c *gin.Context) {
	in := lifecycleInput(c)
	if p.confirmFirst(c, "withdraw", "Are you sure you want to withdraw this referral?",
		"Withdrawing is final: the receiving organisation will be told to do nothing more on it.",
		"Yes, withdraw the referral", in, func(r domain.Referral, a domain.Actor) error {
			_, err := domain.DecideWithdraw(r, a, strings.TrimSpace(in.WithdrawReason))
			return err
		}) {
		return
	}
	p.action(c, "withdraw", formIn{Life: in}, "withdrawn", func(ctx context.Context, a domain.Actor, id uuid.UUID) (ledger.Written, error) {
		_, w, err := p.Service.Withdraw(ctx, a, id, strings.TrimSpace(in.WithdrawReason))
		return w, err
	})
}

func (p *Pages) reopenReferral(c *gin.Context) {
	in := lifecycleInput(c)
	p.action(c, "reopen", formIn{Life: in}, "reopened", func(ctx context.Context, a domain.Actor, id uuid.UUID) (ledger.Written, error) {
		_, w, err := p.Service.Reopen(ctx, a, id, strings.TrimSpace(in.ReopenReason))
		return w, err
	})
}
