package web

import (
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/projections"
)

// Erasure requests (R-PRIV-2, R-PRIV-3): an adviser of an organisation
// involved with the client passes the client's request on; the coordinator
// carries it out or refuses it, after a confirmation step.

type erasureRow struct {
	ID, ClientID, Organisation, RequestedBy string
	RequestedAt, DecidedAt                  time.Time
	Status, DecidedBy                       string
	Waiting, ClientErased                   bool
	Referrals                               []refLink
}

type refLink struct{ ID, Reference string }

// erasureRow is an erasure request as the coordinator's pages show it, with
// the client's referrals named as the API's lists would show them to u: a
// case whose lock keeps u out names none, so that no reference leads to a
// referral that then opens as one that does not exist (R-LOCK-2,
// R-LOCK-12). Errors: the views' (ErrUnreadable), rather than a row that
// names no referral.
func (p *Pages) erasureRow(u domain.User, r projections.ErasureRequest) (erasureRow, error) {
	row := erasureRow{ID: r.RequestID.String(), ClientID: r.ClientID.String(), Organisation: p.orgName(r.OrganisationID),
		RequestedBy: p.userName(r.RequestedBy), RequestedAt: r.RequestedAt, DecidedAt: r.DecidedAt,
		DecidedBy: p.userName(r.DecidedBy), Status: erasureStatusText(r.Status), Waiting: r.Status == domain.ErasureRequested,
		ClientErased: r.ClientErased}
	if !p.lockVisible(u.Actor(), p.Service.Now())(r.ClientID) {
		return row, nil
	}
	refs, err := p.Clients.ReferralsOf(r.ClientID)
	if err != nil {
		return erasureRow{}, err
	}
	for _, id := range refs {
		row.Referrals = append(row.Referrals, refLink{ID: id.String(), Reference: domain.ReferenceOf(id).String()})
	}
	return row, nil
}

func erasureStatusText(s domain.ErasureStatus) string {
	switch s {
	case domain.ErasureRequested:
		return "Waiting for a decision"
	case domain.ErasureRefused:
		return "Refused"
	case domain.ErasureCarriedOut:
		return "Carried out"
	}
	return string(s)
}

type erasureListView struct {
	layout
	Rows  []erasureRow
	Pager pager
}

// erasureRequestsPage lists the erasure requests waiting for the
// coordinator's decision, oldest first, through the ledger's
// coordinator-only read.
func (p *Pages) erasureRequestsPage(c *gin.Context) {
	if err := p.settleHead(c.Request.Context()); err != nil {
		p.fail(c, err)
		return
	}
	waiting, err := ledger.CoordinatorRead(currentUser(c).Actor(), ledger.ReadWaitingErasures, p.Clients.WaitingErasures)
	if err != nil {
		p.fail(c, err)
		return
	}
	rows := make([]erasureRow, len(waiting))
	for i, r := range waiting {
		if rows[i], err = p.erasureRow(currentUser(c), r); err != nil {
			p.fail(c, err)
			return
		}
	}
	v := erasureListView{layout: p.base(c, "Erasure requests", "erasure")}
	v.Rows, v.Pager = paginate(c, "/erasure-requests", "", rows)
	p.render(c, http.StatusOK, "erasure-requests", v)
}

// decisionForm is what the coordinator chose and typed.
type decisionForm struct {
	Decision, Reason string
}

type erasureRequestView struct {
	layout
	R erasureRow
	// Decider is whether the user is the coordinator, who decides the
	// request; a caseworker of the organisation that passed it on sees
	// only where it stands.
	Decider bool
	Form    decisionForm
	Confirm bool   // the confirmation step: the decision is not yet made
	Problem string // a refusal of the decision by the ledger
}

// erasureRequest reads one erasure request for the coordinator.
func (p *Pages) erasureRequest(c *gin.Context) (erasureRow, bool) {
	id, ok := pathID(c)
	if !ok {
		p.fail(c, domain.Errorf(domain.NotFound, "no such erasure request"))
		return erasureRow{}, false
	}
	type found struct {
		r  projections.ErasureRequest
		ok bool
	}
	f, err := ledger.CoordinatorRead(currentUser(c).Actor(), ledger.ReadWaitingErasures, func() (found, error) {
		r, ok, err := p.Clients.ErasureRequest(id)
		return found{r, ok}, err
	})
	if err == nil && !f.ok {
		err = domain.Errorf(domain.NotFound, "no such erasure request")
	}
	var row erasureRow
	if err == nil {
		row, err = p.erasureRow(currentUser(c), f.r)
	}
	if err != nil {
		p.fail(c, err)
		return erasureRow{}, false
	}
	return row, true
}

// erasureRequestPage shows an erasure request, to whom GET
// /v1/erasure-requests/{id} shows it (R-PRIV-2, R-UI-2): to the
// coordinator with the decision form while it waits and the outcome once
// decided; to a caseworker of the organisation that passed it on, while
// they may still make one for the client (no lock keeps them out), where
// it stands, naming only the client's referrals they may know of. Anyone
// else gets the 404 of a request that does not exist.
func (p *Pages) erasureRequestPage(c *gin.Context) {
	u := currentUser(c)
	if u.Actor().Has(domain.RoleCoordinator) {
		r, ok := p.erasureRequest(c)
		if !ok {
			return
		}
		p.render(c, http.StatusOK, "erasure-request", erasureRequestView{layout: p.base(c, "Erasure request", "erasure"), R: r, Decider: true})
		return
	}
	id, ok := pathID(c)
	r, found := projections.ErasureRequest{}, false
	if ok {
		if err := p.settleHead(c.Request.Context()); err != nil {
			p.fail(c, err)
			return
		}
		var err error
		if r, found, err = p.Clients.ErasureRequest(id); err != nil {
			p.fail(c, err)
			return
		}
	}
	err := ledger.NoErasureRequest()
	if found {
		err = p.Service.MaySeeErasureRequest(u.Actor(), r.OrganisationID, r.ClientID, p.caseIndex())
	}
	if err != nil {
		p.fail(c, err)
		return
	}
	// What the API shows them: not who decided it, nor when.
	row := erasureRow{ID: r.RequestID.String(), ClientID: r.ClientID.String(), Organisation: p.orgName(r.OrganisationID),
		RequestedBy: p.userName(r.RequestedBy), RequestedAt: r.RequestedAt, Status: erasureStatusText(r.Status),
		Waiting: r.Status == domain.ErasureRequested, ClientErased: r.ClientErased}
	refs, err := p.caseReferences(u, r.ClientID)
	if err != nil {
		p.fail(c, err)
		return
	}
	for _, ref := range refs {
		row.Referrals = append(row.Referrals, refLink{ID: ref.ID.String(), Reference: ref.Reference.String()})
	}
	p.render(c, http.StatusOK, "erasure-request", erasureRequestView{layout: p.base(c, "Erasure request", ""), R: row})
}

// decideErasure is the decision form's two steps. The first checks the
// choice and asks to confirm it, writing nothing; the second, sent from the
// confirmation page, decides through the ledger service as POST
// /v1/erasure-requests/{id}/decision does (carrying out destroys the
// client's key), then shows the outcome.
func (p *Pages) decideErasure(c *gin.Context) {
	r, ok := p.erasureRequest(c)
	if !ok {
		return
	}
	f := decisionForm{Decision: c.PostForm("decision"), Reason: strings.TrimSpace(c.PostForm("decision-reason"))}
	v := erasureRequestView{layout: p.base(c, "Erasure request", "erasure"), R: r, Form: f, Decider: true}
	switch {
	case f.Decision != "carry-out" && f.Decision != "refuse":
		v.Errors = []fieldError{{Field: "decision", Message: "Choose whether to carry out or refuse the erasure"}}
	case r.ClientErased && f.Reason != "":
		// Erased since it was asked: no reason can be kept (R-PRIV-3).
		v.Errors = []fieldError{{Field: "decision", Message: "The client's details are already erased: refuse without a reason"}}
	case f.Decision == "refuse" && f.Reason == "" && !r.ClientErased:
		v.Errors = []fieldError{{Field: "decision-reason", Message: "Enter the reason for refusing the erasure"}}
	case utf8.RuneCountInString(f.Reason) > domain.MaxLongText:
		v.Errors = []fieldError{{Field: "decision-reason", Message: "The reason must be 4000 characters or fewer"}}
	}
	if v.Errors != nil {
		v.Title = "Error: " + v.Title
		p.render(c, http.StatusUnprocessableEntity, "erasure-request", v)
		return
	}
	if c.PostForm("confirm") != "yes" {
		v.Confirm = true
		v.Title = "Confirm: " + v.Title
		p.render(c, http.StatusOK, "erasure-request", v)
		return
	}
	id, _ := uuid.Parse(r.ID)
	carryOut := f.Decision == "carry-out"
	d, err := p.Service.DecideErasure(p.request(c, nil), currentUser(c).Actor(), id, carryOut, f.Reason, p.Clients, p.Keys)
	if err != nil {
		switch domain.ErrorCode(err) {
		case domain.Invalid:
			v.Errors = fieldErrors(err, map[string]string{"reason": "decision-reason", "carry_out": "decision"})
		case domain.Conflict:
			v.Problem = sentence(domain.ErrorMessage(err))
		default:
			p.fail(c, err)
			return
		}
		v.Title = "Error: " + v.Title
		status := http.StatusUnprocessableEntity
		if v.Problem != "" {
			status = http.StatusConflict
		}
		if p.settleHead(c.Request.Context()) == nil {
			// The request as it stands now, when it can be read; else as
			// it stood when the form was sent.
			if r, ok, err := p.Clients.ErasureRequest(id); err == nil && ok {
				if row, err := p.erasureRow(currentUser(c), r); err == nil {
					v.R = row
				}
			}
		}
		if v.Problem != "" && !v.R.Waiting {
			// Decided already, perhaps by this same form sent twice: say
			// how in words, not the ledger's status code.
			v.Problem = "This erasure request was already " + strings.ToLower(v.R.Status) + ". Nothing more was done."
		}
		p.render(c, status, "erasure-request", v)
		return
	}
	if err := p.settle(c.Request.Context(), d.Written.Position); err != nil {
		p.fail(c, err)
		return
	}
	if carryOut {
		p.flash(c, "erasure-carried-out")
	} else {
		p.flash(c, "erasure-refused")
	}
	c.Redirect(http.StatusSeeOther, "/erasure-requests/"+r.ID)
}

type requestErasureView struct {
	layout
	ClientID, Referral string
	References         []refLink
	Reason             string
}

// requestErasureTarget checks the adviser may pass on the client's
// request, as POST /v1/clients/{id}/erasure-requests checks: the client is
// known to the user's organisation (else not found, whoever asks), and the
// user works on its referrals. The ledger checks again when the request is
// made, with the case's lock (R-LOCK-12).
func (p *Pages) requestErasureTarget(c *gin.Context) (uuid.UUID, bool) {
	id, ok := pathID(c)
	u := currentUser(c)
	if !ok {
		p.fail(c, domain.Errorf(domain.NotFound, "no such client"))
		return uuid.Nil, false
	}
	// A lock that keeps the user out answers as the request would: a
	// hidden one as for a client that does not exist (R-LOCK-12).
	if err := p.Service.MayRequestErasure(u.Actor(), id, p.caseIndex()); err != nil {
		p.fail(c, err)
		return uuid.Nil, false
	}
	if !u.Actor().Caseworker() {
		p.fail(c, domain.Errorf(domain.Forbidden, "only advisers of an organisation involved with the client can request erasure"))
		return uuid.Nil, false
	}
	return id, true
}

func (p *Pages) requestErasureView(c *gin.Context, client uuid.UUID, referral string) (requestErasureView, error) {
	v := requestErasureView{layout: p.base(c, "Ask for a client's details to be erased", ""), ClientID: client.String()}
	// Only the referrals the user may know of (R-AUTH-4): a client's
	// referral between two other organisations is not named here.
	refs, err := p.caseReferences(currentUser(c), client)
	if err != nil {
		return requestErasureView{}, err
	}
	for _, r := range refs {
		v.References = append(v.References, refLink{ID: r.ID.String(), Reference: r.Reference.String()})
		if r.ID.String() == referral {
			v.Referral = referral
		}
	}
	return v, nil
}

// requestErasurePage is the adviser's form to pass on a client's request to
// have their data erased (R-PRIV-2).
func (p *Pages) requestErasurePage(c *gin.Context) {
	client, ok := p.requestErasureTarget(c)
	if !ok {
		return
	}
	v, err := p.requestErasureView(c, client, c.Query("referral"))
	if err != nil {
		p.fail(c, err)
		return
	}
	p.render(c, http.StatusOK, "erasure-ask", v)
}

// requestErasure records the request through the ledger service, as POST
// /v1/clients/{id}/erasure-requests does.
func (p *Pages) requestErasure(c *gin.Context) {
	client, ok := p.requestErasureTarget(c)
	if !ok {
		return
	}
	v, err := p.requestErasureView(c, client, c.PostForm("referral"))
	if err != nil {
		p.fail(c, err)
		return
	}
	v.Reason = c.PostForm("erasure-reason")
	_, w, err := p.Service.RequestErasure(p.request(c, nil), currentUser(c).Actor(), client, strings.TrimSpace(v.Reason), p.caseIndex())
	if err != nil {
		code := domain.ErrorCode(err)
		if code != domain.Invalid && code != domain.Conflict {
			p.fail(c, err)
			return
		}
		v.Title = "Error: " + v.Title
		v.Errors = fieldErrors(err, map[string]string{"reason": "erasure-reason"})
		if code == domain.Conflict {
			v.Errors = []fieldError{{Message: sentence(domain.ErrorMessage(err))}}
		}
		p.render(c, http.StatusUnprocessableEntity, "erasure-ask", v)
		return
	}
	if err := p.settle(c.Request.Context(), w.Position); err != nil {
		p.fail(c, err)
		return
	}
	p.flash(c, "erasure-requested")
	if v.Referral != "" {
		c.Redirect(http.StatusSeeOther, "/referrals/"+v.Referral)
		return
	}
	c.Redirect(http.StatusSeeOther, "/")
}

// waitingErasure is the page of the erasure request waiting for the
// coordinator's decision on client that the user's organisation passed
// on, for a caseworker who may see it (as GET /v1/erasure-requests/{id}
// shows it to them); with none waiting, the page of the latest one the
// organisation passed on if the coordinator refused it, refused true, so
// that they learn what became of it; "" when there is none. Errors:
// Unavailable when the requests cannot be read.
func (p *Pages) waitingErasure(u domain.User, client uuid.UUID) (page string, refused bool, err error) {
	if !u.Actor().Caseworker() || u.Actor().Has(domain.RoleCoordinator) {
		return "", false, nil
	}
	unreadable := func(err error) error {
		return &domain.Error{Code: domain.Unavailable, Message: "the erasure requests cannot be read now; retry shortly", Cause: err}
	}
	waiting, err := p.Clients.WaitingErasures()
	if err != nil {
		return "", false, unreadable(err)
	}
	for _, r := range waiting {
		if r.ClientID == client && r.OrganisationID == u.OrganisationID &&
			p.Service.MaySeeErasureRequest(u.Actor(), r.OrganisationID, r.ClientID, p.caseIndex()) == nil {
			return "/erasure-requests/" + r.RequestID.String(), false, nil
		}
	}
	r, found, err := p.Clients.LatestErasureRequest(client, u.OrganisationID)
	if err != nil {
		return "", false, unreadable(err)
	}
	if found && r.Status == domain.ErasureRefused &&
		p.Service.MaySeeErasureRequest(u.Actor(), r.OrganisationID, r.ClientID, p.caseIndex()) == nil {
		return "/erasure-requests/" + r.RequestID.String(), true, nil
	}
	return "", false, nil
}
