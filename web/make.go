package web

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/projections"
)

// makeForm is what the make-a-referral form holds.
type makeForm struct {
	Key                             string
	To                              string
	Name, DateOfBirth, Phone, Email string
	Address, Reason                 string
	Urgent                          bool
	Basis                           string // "written", "verbal" or "override"
	ConsentConfirmed, PrivacyNotice bool
	OverrideReason                  string
	Known                           string // the known client referred again (R-REF-14), knownNew, or ""
}

type makeView struct {
	layout
	Form          makeForm
	Organisations []projections.DirectoryEntry
	Own           uuid.UUID
}

// Err returns the message for the field with id, "" when none.
func (v makeView) Err(id string) string { return errorFor(v.Errors, id) }

// makeFields maps the API's field names to the form's input ids, so the
// ledger's own validation messages land beside the right input.
var makeFields = map[string]string{
	"to_organisation_id": "to", "client.name": "client-name", "client.date_of_birth": "client-dob",
	"client.phone": "client-phone", "client.email": "client-email", "client.address": "client-address",
	"client": "client-name", "reason": "reason", "consent": "basis", "consent.method": "basis",
	"consent.confirmed": "consent-confirmed", "safeguarding_override": "basis",
	"safeguarding_override.reason": "override-reason", "privacy_notice_given": "privacy-notice",
	"client.client_id": "client-name",
}

// makeReferralPage shows an empty form with a fresh one-time key.
func (p *Pages) makeReferralPage(c *gin.Context) {
	v := makeView{layout: p.base(c, "Make a referral", "make"), Organisations: p.directory(),
		Own: currentUser(c).OrganisationID, Form: makeForm{Key: newFormKey(), To: c.Query("to")}}
	p.render(c, http.StatusOK, "make", v)
}

// makeReferral makes the referral through the ledger service, exactly as
// POST /v1/referrals does; the ledger's validation errors come back on the
// form beside each field, every value kept (GOV.UK's error pattern).
func (p *Pages) makeReferral(c *gin.Context) {
	u := currentUser(c)
	f := makeForm{Key: c.PostForm("form-key"), To: c.PostForm("to"), Name: c.PostForm("client-name"),
		DateOfBirth: c.PostForm("client-dob"), Phone: c.PostForm("client-phone"), Email: c.PostForm("client-email"),
		Address: c.PostForm("client-address"), Reason: c.PostForm("reason"), Urgent: c.PostForm("urgent") == "yes",
		Basis: c.PostForm("basis"), ConsentConfirmed: c.PostForm("consent-confirmed") == "yes",
		PrivacyNotice: c.PostForm("privacy-notice") == "yes", OverrideReason: c.PostForm("override-reason")}
	if !validFormKey(f.Key) {
		f.Key = newFormKey()
	}
	// Sent again after a crash lost the first sending's answer: it goes
	// where the first went, rather than asking whether the client the
	// first made is already known (R-OPS-1).
	if id, pos, made, err := p.Service.EarlierReferral(p.request(c, nil)); err != nil {
		p.fail(c, err)
		return
	} else if made {
		p.done(c, pos, againFlash+"made", "/referrals/"+id.String())
		return
	}
	if !p.settleKnownClient(c, &f) {
		return
	}
	// A second sending of this form finds the first's referral, and the
	// ids the referral is made with derive from the sending, so a press
	// retried after a crash makes the same referral, not a second
	// (formOnce, R-OPS-1).
	r, w, err := p.Service.MakeReferral(p.request(c, nil), u.Actor(), f.command(), p.caseIndex())
	if err != nil {
		if domain.ErrorCode(err) != domain.Invalid && domain.ErrorCode(err) != domain.Conflict {
			p.fail(c, err)
			return
		}
		v := makeView{layout: p.base(c, "Error: Make a referral", "make"), Form: f, Organisations: p.directory(), Own: u.OrganisationID}
		v.Errors = fieldErrors(err, makeFields)
		if domain.ErrorCode(err) == domain.Conflict { // intake switched off meanwhile
			v.Errors = []fieldError{{Field: "to", Message: sentence(domain.ErrorMessage(err))}}
		}
		p.render(c, http.StatusUnprocessableEntity, "make", v)
		return
	}
	p.done(c, w.Position, "made", "/referrals/"+r.ID.String())
}

func (f makeForm) command() domain.MakeReferral {
	to, _ := uuid.Parse(f.To)
	cmd := domain.MakeReferral{ToOrganisationID: to, Urgent: f.Urgent, Reason: strings.TrimSpace(f.Reason),
		Client: domain.Client{Name: strings.TrimSpace(f.Name), DateOfBirth: readDate(f.DateOfBirth),
			Phone: strings.TrimSpace(f.Phone), Email: strings.TrimSpace(f.Email), Address: strings.TrimSpace(f.Address)},
		PrivacyNoticeGiven: f.PrivacyNotice}
	if id, err := uuid.Parse(f.Known); err == nil {
		cmd.ClientID = id // referred again under the same client (R-REF-14)
	}
	switch f.Basis {
	case domain.ConsentWritten, domain.ConsentVerbal:
		cmd.Consent = &domain.Consent{Method: f.Basis, Confirmed: f.ConsentConfirmed}
	case "override":
		cmd.SafeguardingOverride = &domain.SafeguardingOverride{Reason: strings.TrimSpace(f.OverrideReason)}
	}
	return cmd
}

// caseIndex answers the ledger's questions about existing clients from
// the read models the API uses.
func (p *Pages) caseIndex() caseIndex { return caseIndex{p.Clients, p.Locks} }

type caseIndex struct {
	*projections.Clients
	*projections.Locks
}

var dayMonthYear = regexp.MustCompile(`^(\d{1,2})[ /.-](\d{1,2})[ /.-](\d{4})$`)

// readDate reads a date typed as day, month and year ("27/3/1980",
// "27 3 1980") or as the API writes it ("1980-03-27") into the API's
// form; anything else goes to the ledger as typed, which names it invalid.
func readDate(s string) string {
	s = strings.TrimSpace(s)
	m := dayMonthYear.FindStringSubmatch(s)
	if m == nil {
		return s
	}
	d, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	return fmt.Sprintf("%s-%02d-%02d", m[3], mo, d)
}
