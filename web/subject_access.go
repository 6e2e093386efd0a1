package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/internal/headreq"
	"github.com/referral-ledger/ledger/ledger"
)

// Subject access (R-PRIV-6): everything the ledger holds about a client,
// for the coordinator, as a printable page and a JSON download (the API's
// document, from its encoder). Each is an
// export through the ledger service, as GET
// /v1/clients/{id}/subject-access is: recorded on the client's stream and
// in the access log of every referral read (a HEAD of either checks the
// export and records nothing). On a locked case the
// coordinator gives a reason first (R-LOCK-9), sent in a form's body,
// never in the address.

type subjectAccessFindView struct {
	layout
	Client string
}

// subjectAccessFind asks for the client's id, as the erasure request or
// the retention list gives it, and opens the export. The form posts what
// was typed, which may be a client's name typed by mistake, so that it
// never goes into a web address (R-PRIV-7); a link with ?client= still
// opens as before.
func (p *Pages) subjectAccessFind(c *gin.Context) {
	v := subjectAccessFindView{layout: p.base(c, "Subject access request", "")}
	q, ok := c.GetQuery("client")
	if c.Request.Method == http.MethodPost {
		q, ok = strings.TrimSpace(c.PostForm("client")), true
	}
	if ok {
		if id, err := uuid.Parse(q); err == nil {
			c.Redirect(http.StatusSeeOther, "/clients/"+id.String()+"/subject-access")
			return
		}
		v.Client = q
		v.Title = "Error: " + v.Title
		v.Errors = []fieldError{{Field: "client", Message: "Enter the client's id, like 0b7c6d2e-5f0a-4c1e-9d3b-2a8f4e6c1b90"}}
		p.render(c, http.StatusUnprocessableEntity, "subject-access-find", v)
		return
	}
	p.render(c, http.StatusOK, "subject-access-find", v)
}

type saEvent struct {
	At                 time.Time
	Type, By, Org      string
	Data               string
	Revision           uint64
	Erased             bool
	ActorID, ActorOrgs string
}

type saReferral struct {
	ID, Reference, From, To, Status string
	State                           domain.Referral
	Verified                        bool
	Events                          []saEvent
}

type subjectAccessView struct {
	layout
	ClientID, ExportID string
	ExportedAt         time.Time
	Erased             bool
	Referrals          []saReferral
	Events             []saEvent
	AccessLog          []accessEntry // reads recorded before the export, oldest first
	AccessLogErased    bool          // the client's details are erased: no reason can be shown
	NeedReason         bool          // a locked case: the reason form
	Confirm            bool          // opened from another site: asked before exporting
	Reason             string
}

// subjectExport runs the export, or draws the reason form a locked case
// needs; ok is false when it answered.
func (p *Pages) subjectExport(c *gin.Context) (ledger.SubjectAccessExport, string, bool) {
	id, ok := pathID(c)
	if !ok {
		p.fail(c, domain.Errorf(domain.NotFound, "no such client"))
		return ledger.SubjectAccessExport{}, "", false
	}
	if c.Request.Method == http.MethodGet && fromAnotherSite(c) {
		// Opened from another site's link: an export records itself in
		// the coordinator's name, so it is not made until they ask for it
		// here, with a form that only this site can send.
		v := subjectAccessView{layout: p.base(c, "Subject access request", ""), ClientID: id.String(), Confirm: true}
		p.render(c, http.StatusOK, "subject-access", v)
		return ledger.SubjectAccessExport{}, "", false
	}
	reason := c.PostForm("sar-reason")
	var x ledger.SubjectAccessExport
	var err error
	if headreq.Is(c.Request.Context()) {
		// A HEAD is answered as the GET would be, without the body:
		// the export is checked, not made, so nothing is recorded and
		// nobody told (R-PRIV-6); the page drawn for the headers holds
		// nothing.
		x.ClientID = id
		err = p.Service.CheckSubjectAccess(p.request(c, nil), currentUser(c).Actor(), id, reason, p.Clients)
	} else {
		x, err = p.Service.SubjectAccess(p.request(c, nil), currentUser(c).Actor(), id, reason, p.Clients)
	}
	if err != nil {
		fields := domain.ErrorFields(err)
		if domain.ErrorCode(err) != domain.Invalid || len(fields) == 0 || fields[0].Field != "reason" {
			p.fail(c, err)
			return ledger.SubjectAccessExport{}, "", false
		}
		v := subjectAccessView{layout: p.base(c, "Subject access request", ""), ClientID: id.String(), NeedReason: true, Reason: reason}
		status := http.StatusOK
		if c.Request.Method == http.MethodPost {
			v.Title, status = "Error: "+v.Title, http.StatusUnprocessableEntity
			v.Errors = fieldErrors(err, map[string]string{"reason": "sar-reason"})
		}
		p.render(c, status, "subject-access", v)
		return ledger.SubjectAccessExport{}, "", false
	}
	return x, reason, true
}

func (p *Pages) saEvent(e ledger.HistoryEntry) saEvent {
	data, err := ledger.EventJSON(e.Decoded)
	if err != nil {
		data = []byte("{}")
	}
	return saEvent{At: e.Decoded.At, Type: e.Stored.Type, By: p.userName(e.Decoded.ActorUserID),
		Org: orgNameOrNone(p, e.Decoded.ActorOrganisationID), Data: string(data), Revision: e.Stored.Revision, Erased: e.Decoded.Erased}
}

func orgNameOrNone(p *Pages, id uuid.UUID) string {
	if id == uuid.Nil {
		return ""
	}
	return p.orgName(id)
}

// subjectAccessPage is the printable export.
func (p *Pages) subjectAccessPage(c *gin.Context) {
	x, reason, ok := p.subjectExport(c)
	if !ok {
		return
	}
	v := subjectAccessView{layout: p.base(c, "Subject access export", ""), ClientID: x.ClientID.String(),
		ExportID: x.ExportID.String(), ExportedAt: x.ExportedAt, Erased: x.Erased, Reason: reason}
	for _, h := range x.Referrals {
		r := saReferral{ID: h.State.ID.String(), Reference: h.State.Reference().String(), From: p.orgName(h.State.FromOrganisationID),
			To: p.orgName(h.State.ToOrganisationID), Status: statusText(h.State.Status), State: h.State, Verified: h.Verified}
		for _, e := range h.Entries {
			r.Events = append(r.Events, p.saEvent(e))
		}
		v.Referrals = append(v.Referrals, r)
	}
	for _, e := range x.Client {
		v.Events = append(v.Events, p.saEvent(e))
	}
	for _, e := range x.AccessLog {
		v.AccessLog = append(v.AccessLog, p.accessEntry(e))
		v.AccessLogErased = v.AccessLogErased || e.Erased
	}
	c.Header("Cache-Control", "no-store")
	p.render(c, http.StatusOK, "subject-access", v)
}

// subjectAccessJSON downloads the export as a JSON file: the document GET
// /v1/clients/{id}/subject-access answers, made by the API's own encoder
// (Deps.SubjectAccessJSON), so the two are the same byte for byte
// (R-PRIV-6, R-UI-2).
func (p *Pages) subjectAccessJSON(c *gin.Context) {
	x, _, ok := p.subjectExport(c)
	if !ok {
		return
	}
	b, err := p.SubjectAccessJSON(x)
	if err != nil {
		p.fail(c, err)
		return
	}
	c.Header("Content-Disposition", `attachment; filename="subject-access-`+x.ClientID.String()+`.json"`)
	c.Header("Cache-Control", "no-store")
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, "application/json; charset=utf-8", b)
}

type retentionRow struct {
	ClientID        string
	LastClosed, Due time.Time
	DueNow          bool
	DaysLeft        int
	// Held: the case is locked for a serious case review, or asked to
	// be, and is kept until the review is recorded complete. Not shown
	// where a hidden lock keeps the coordinator out (R-LOCK-12).
	Held bool
}

type retentionView struct {
	layout
	Period        string
	DueNow, Total int
	Rows          []retentionRow
	Pager         pager
}

// retentionPage shows the coordinator what the retention rule shreds and
// when (R-PRIV-5): every client not erased whose referrals are all closed,
// soonest first, as `ledger retention --dry-run` lists them.
func (p *Pages) retentionPage(c *gin.Context) {
	if err := p.settleHead(c.Request.Context()); err != nil {
		p.fail(c, err)
		return
	}
	now := p.Service.Now()
	actor := currentUser(c).Actor()
	due, err := ledger.CoordinatorRead(actor, ledger.ReadRetentionSchedule, func() ([]retentionRow, error) {
		schedule, err := p.Clients.Due(now, p.Retention, true)
		if err != nil {
			return nil, err
		}
		var rows []retentionRow
		for _, d := range schedule {
			r := retentionRow{ClientID: d.ClientID.String(), LastClosed: d.LastClosed, Due: d.Due, DueNow: !d.Due.After(now)}
			if l := p.Locks.LockOf(d.ClientID); l.HoldsForReview() && !l.HiddenFrom(actor, now) {
				r.Held, r.DueNow = true, false
			}
			if !r.DueNow {
				r.DaysLeft = int(d.Due.Sub(now).Hours()/24) + 1
			}
			rows = append(rows, r)
		}
		return rows, nil
	})
	if err != nil {
		p.fail(c, err)
		return
	}
	v := retentionView{layout: p.base(c, "Retention", "retention"), Period: durationText(p.Retention), Total: len(due)}
	for _, r := range due {
		if r.DueNow {
			v.DueNow++
		}
	}
	v.Rows, v.Pager = paginate(c, "/retention", "", due)
	p.render(c, http.StatusOK, "retention", v)
}

// durationText writes a retention period in years and days, or hours.
func durationText(d time.Duration) string {
	days := int(d.Hours() / 24)
	if days == 0 {
		return itoa(int(d.Hours())) + " " + pluralWord(int(d.Hours()), "hour", "hours")
	}
	years, rest := days/365, days%365
	switch {
	case years > 0 && rest == 0:
		return itoa(years) + " " + pluralWord(years, "year", "years")
	case years > 0:
		return itoa(years) + " " + pluralWord(years, "year", "years") + " and " + itoa(rest) + " " + pluralWord(rest, "day", "days")
	}
	return itoa(days) + " " + pluralWord(days, "day", "days")
}

func itoa(n int) string { return strconv.Itoa(n) }

// fromAnotherSite reports whether the browser says the request came from
// a page of another site (Sec-Fetch-Site): a link followed, or an image
// or frame loaded there. The session cookie is SameSite=Lax, so such a
// navigation carries it; a page that records something when opened (a
// subject access export) asks first instead. An address typed or
// bookmarked ("none") and this site's own links ("same-origin") are not.
func fromAnotherSite(c *gin.Context) bool {
	switch c.GetHeader("Sec-Fetch-Site") {
	case "", "none", "same-origin":
		return false
	}
	return true
}
