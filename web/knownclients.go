package web

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/projections"
)

// Known clients (R-REF-14): when the make-a-referral form names a client
// (by name and date of birth) that the user's organisation already
// referred, the form's submission first shows the matches, by reference,
// status and date only, and asks whether this is the same person; "yes"
// refers them again under the same client id, so an erasure or a subject
// access request covers every referral. The search is the ledger's (the
// one POST /v1/clients/search uses), for the roles it allows; the choice
// travels in the form's body, never in a URL.

// knownNew is the form's answer "this is someone else".
const knownNew = "new"

// knownClientMatch is one known client as the confirmation lists it.
type knownClientMatch struct {
	ClientID  uuid.UUID
	Referrals []projections.ReferralSummary
}

type knownClientView struct {
	layout
	Form    makeForm
	Matches []knownClientMatch
}

// knownClients returns the clients of the user's organisation matching the
// form's name and date of birth, or none when the user's role does not
// search, or the form does not give both fields validly (the ledger names
// those when the referral is made).
func (p *Pages) knownClients(c *gin.Context, f makeForm) ([]knownClientMatch, error) {
	u := currentUser(c)
	actor := u.Actor()
	q := domain.ClientSearch{Name: f.command().Client.Name, DateOfBirth: f.command().Client.DateOfBirth}
	if p.KnownClients == nil || domain.ValidateClientSearch(actor, q) != nil {
		return nil, nil
	}
	found, err := p.Service.KnownClients(p.request(c, nil), actor, q, p.KnownClients, p.caseIndex())
	if domain.ErrorCode(err) == domain.Invalid {
		return nil, nil // a name that compares as none, named when the referral is made
	}
	if err != nil {
		return nil, err
	}
	now := p.Service.Now()
	out := make([]knownClientMatch, 0, len(found))
	for _, client := range found {
		ids, err := p.Clients.ReferralsOf(client)
		if err != nil {
			return nil, err
		}
		refs, err := p.Referrals.ClientReferrals(ids, u.OrganisationID, p.lockVisible(actor, now), now)
		if err != nil {
			return nil, err
		}
		out = append(out, knownClientMatch{ClientID: client, Referrals: refs})
	}
	return out, nil
}

// askKnownClient draws the question "is this the client your organisation
// already knows?", with the whole form kept in hidden fields. unanswered
// marks the question sent back without a choice.
func (p *Pages) askKnownClient(c *gin.Context, f makeForm, matches []knownClientMatch, unanswered bool) {
	title, status := "This client may already be known to your organisation", http.StatusOK
	v := knownClientView{Form: f, Matches: matches}
	if unanswered {
		title, status = "Error: "+title, http.StatusUnprocessableEntity
	}
	v.layout = p.base(c, title, "make")
	if unanswered {
		v.Errors = []fieldError{{Field: "known-client", Message: "Choose whether this is the same person or someone else"}}
	}
	p.render(c, status, "knownclient", v)
}

// knownClientChoice reads the form's answer: the known client chosen,
// knownNew, or "" (not asked yet, or asked and not answered).
func knownClientChoice(c *gin.Context) (choice string, asked bool) {
	choice = c.PostForm("known-client")
	if choice != knownNew {
		if id, err := uuid.Parse(choice); err != nil || id == uuid.Nil {
			choice = ""
		} else {
			choice = id.String()
		}
	}
	return choice, c.PostForm("known-client-asked") == "yes"
}

// settleKnownClient decides which client the form refers (or goes back
// to the form, when asked to change the details): a known client
// chosen on the question page, still matching the name and date of birth
// given (a changed name asks again, or makes a new client when it matches
// none); someone else, once the user said so; or, before the question is
// answered, it asks it when the organisation knows a client with this name
// and date of birth. It returns false when it has answered the request.
func (p *Pages) settleKnownClient(c *gin.Context, f *makeForm) bool {
	if c.PostForm("change") == "details" { // back from the question to the form
		f.Known = ""
		p.render(c, http.StatusOK, "make", makeView{layout: p.base(c, "Make a referral", "make"), Form: *f,
			Organisations: p.directory(), Own: currentUser(c).OrganisationID})
		return false
	}
	choice, asked := knownClientChoice(c)
	if choice == knownNew {
		f.Known = knownNew
		return true
	}
	matches, err := p.knownClients(c, *f)
	if err != nil {
		p.fail(c, err)
		return false
	}
	for _, m := range matches {
		if m.ClientID.String() == choice {
			f.Known = choice
			return true
		}
	}
	f.Known = ""
	if len(matches) > 0 {
		p.askKnownClient(c, *f, matches, asked && choice == "")
		return false
	}
	return true
}
