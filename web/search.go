package web

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/projections"
)

// Finding cases and auditing them: the search of referrals, a case's
// timeline with its hash chain and its state at any point, and the case's
// access log. Each page asks the same read model or ledger function as the
// API's route for it, with the signed-in user as actor, so it answers as
// GET /v1/referrals, GET /v1/referrals/{id}/history and
// GET /v1/clients/{id}/access-log would.
func init() {
	addSection(section{
		Nav: []navEntry{{Key: "search", Label: "Search", Path: "/search", Order: 40, For: everyone}},
		Mount: func(p *Pages, a *gin.RouterGroup) {
			a.GET("/search", p.searchPage)
			a.POST("/search", p.searchPage)
			a.GET("/referrals/:id/history", p.historyPage)
			a.GET("/referrals/:id/access-log", p.accessLogPage)
		},
		Labels: map[string]string{"reference": "the reference", "made-from": "the first date", "made-to": "the last date",
			"as-of-date": "the date", "as-of-time": "the time"},
	})
}

// option is one choice of a select.
type option struct {
	Value, Label string
	Selected     bool
}

// searchForm is the search as typed, kept to draw the form again.
type searchForm struct {
	Reference, Status, From, To, MadeFrom, MadeTo string
}

type searchView struct {
	layout
	Form        searchForm
	Statuses    []option
	FromOrgs    []option
	ToOrgs      []option
	NetworkWide bool
	FindClients bool // the user may find a client their organisation referred (/find-a-client), and refers: the coordinating body does not
	Items       []listItem
	Filtered    bool   // some filter was given
	NextURL     string // the next page of the same search, "" on the last
	FirstURL    string // the first page, when this is a later one
}

// searchPage searches referrals as GET /v1/referrals does: by reference,
// status, the organisations from and to, and the dates made between
// (inclusive London days); newest made first, a page at a time. Users see
// their organisation's referrals, coordinators and auditors the network's,
// a locked case only those its lock lets in (R-AUTH-4, R-LOCK-2). Never by
// client data.
//
// The form posts what was typed, as the find page's does, so that text
// that is not a reference (a client's name typed by mistake) never goes
// into a web address (R-PRIV-7): a search that checks goes on to its
// results at the address of its filters; one that does not comes back
// with its errors, in the page only.
func (p *Pages) searchPage(c *gin.Context) {
	u := currentUser(c)
	field := c.Query
	posted := c.Request.Method == http.MethodPost
	if posted {
		field = c.PostForm
	}
	f := searchForm{Reference: strings.TrimSpace(field("reference")), Status: field("status"),
		From: field("from"), To: field("to"), MadeFrom: strings.TrimSpace(field("made-from")),
		MadeTo: strings.TrimSpace(field("made-to"))}
	v := searchView{layout: p.base(c, "Search referrals", "search"), Form: f, NetworkWide: u.Actor().NetworkWide(), FindClients: mayFindClients(u) && caseworker(u),
		Filtered: f != searchForm{}}
	v.Search = f.Reference
	v.Statuses = []option{{Value: "", Label: "Any status", Selected: f.Status == ""}}
	for _, st := range domain.Statuses() {
		v.Statuses = append(v.Statuses, option{Value: string(st), Label: statusText(st), Selected: f.Status == string(st)})
	}
	v.FromOrgs, v.ToOrgs = p.orgOptions(f.From), p.orgOptions(f.To)

	q, errs := f.query()
	if len(errs) > 0 {
		v.Errors = errs
		v.Title = "Error: " + v.Title
		p.render(c, http.StatusUnprocessableEntity, "search", v)
		return
	}
	if posted {
		c.Redirect(http.StatusSeeOther, f.url(""))
		return
	}
	if err := p.settleHead(c.Request.Context()); err != nil {
		p.fail(c, err)
		return
	}
	now := p.Service.Now()
	q.Organisation = projections.SearchScope(u.Actor())
	q.Visible = p.lockVisible(u.Actor(), now)
	q.Limit, q.After = pageSize, c.Query("next")
	page, err := p.Referrals.Search(q, now)
	if err != nil { // a cursor not of this search: its first page
		q.After = ""
		if page, err = p.Referrals.Search(q, now); err != nil {
			p.fail(c, err)
			return
		}
	}
	v.Items = p.listItems(page.Items, now)
	if q.After != "" {
		v.FirstURL = f.url("")
	}
	if page.Next != "" {
		v.NextURL = f.url(page.Next)
	}
	p.render(c, http.StatusOK, "search", v)
}

// orgOptions is every organisation of the directory, by name.
func (p *Pages) orgOptions(selected string) []option {
	dir := p.Orgs.Directory(p.Service.Now())
	out := make([]option, 0, len(dir)+1)
	out = append(out, option{Value: "", Label: "Any organisation", Selected: selected == ""})
	for _, e := range dir {
		out = append(out, option{Value: e.ID.String(), Label: e.Name, Selected: selected == e.ID.String()})
	}
	slices.SortStableFunc(out[1:], func(a, b option) int { return cmp.Compare(a.Label, b.Label) })
	return out
}

// query checks the form as the API checks its parameters and returns the
// search, or the form's errors.
func (f searchForm) query() (projections.SearchQuery, []fieldError) {
	var q projections.SearchQuery
	var errs []fieldError
	if f.Reference != "" {
		ref, err := domain.ParseReference(f.Reference)
		if err != nil {
			errs = append(errs, fieldError{Field: "reference", Message: "Enter a reference like 7KQ4-M2XD: eight letters and numbers"})
		}
		q.Reference = ref
	}
	if f.Status != "" {
		q.Status = domain.Status(f.Status)
		if !slices.Contains(domain.Statuses(), q.Status) {
			errs = append(errs, fieldError{Field: "status", Message: "Choose a status from the list"})
		}
	}
	org := func(raw, field, which string) uuid.UUID {
		if raw == "" {
			return uuid.Nil
		}
		id, err := uuid.Parse(raw)
		if err != nil || len(raw) != 36 {
			errs = append(errs, fieldError{Field: field, Message: "Choose the organisation " + which + " from the list"})
		}
		return id
	}
	q.From = org(f.From, "from", "the referrals came from")
	q.To = org(f.To, "to", "the referrals went to")
	from, fromOK := searchDate(f.MadeFrom, "made-from", "the first date", &errs)
	to, toOK := searchDate(f.MadeTo, "made-to", "the last date", &errs)
	if fromOK {
		q.MadeFrom = from
	}
	if toOK {
		q.MadeBefore = to.AddDate(0, 0, 1)
		if fromOK && to.Before(from) {
			errs = append(errs, fieldError{Field: "made-to", Message: "The last date must be the same as or after the first date"})
		}
	}
	return q, errs
}

// searchDate reads a date typed as day, month and year as the first
// instant of that day in London.
func searchDate(raw, field, what string, errs *[]fieldError) (time.Time, bool) {
	if raw == "" {
		return time.Time{}, false
	}
	d, err := time.Parse(domain.DateLayout, readDate(raw))
	if err != nil {
		*errs = append(*errs, fieldError{Field: field, Message: "Enter " + what + " as a day, month and year, for example 14 12 2026"})
		return time.Time{}, false
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, domain.London()), true
}

// url is the search page with the same filters, at the page after next.
func (f searchForm) url(next string) string {
	q := url.Values{}
	for name, value := range map[string]string{"reference": f.Reference, "status": f.Status, "from": f.From, "to": f.To,
		"made-from": f.MadeFrom, "made-to": f.MadeTo, "next": next} {
		if value != "" {
			q.Set(name, value)
		}
	}
	if len(q) == 0 {
		return "/search"
	}
	return "/search?" + q.Encode()
}

// timelineEvent is one event of a case's timeline.
type timelineEvent struct {
	Revision      uint64
	At            time.Time
	Type, What    string
	By, ByOrg     string
	Data          []dataField
	Erased        bool
	Hash, Short   string
	PrevShort     string
	Chain         string // "verified", "broken" or "unverified" (after a broken link)
	BrokenReason  string
	AfterTheState bool // after the point the state is shown at
}

// dataField is one field of an event's data, as the API shows it.
type dataField struct {
	Name, Value string
}

type timelineView struct {
	layout
	ID, Reference string
	State         referralState
	AtPoint       bool   // the state is as it stood at an earlier point
	AtRevision    bool   // that point is a revision
	PointText     string // which point, in words
	Latest        uint64
	Events        []timelineEvent
	Verified      bool
	Revisions     []option
	AsOfDate      string
	AsOfTime      string
	CanAccessLog  bool
	Checkpoint    *checkpointView // auditors: the signed checkpoint it was proved against (audit.go)
}

// referralState is a referral's state at a point, as the timeline shows it.
type referralState struct {
	R                domain.Referral
	From, To, MadeBy string
	AssignedTo       string
}

// historyPage is a case's timeline (R-LEDGER-4, R-LEDGER-5), from
// GET /v1/referrals/{id}/history's ledger function with the user as actor:
// every event with its time, actor, type and data, the hash-chain status
// of each, and the state as it stood at a revision or a time, picked with
// ?revision= or ?as-of-date= and ?as-of-time= (London).
func (p *Pages) historyPage(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		p.fail(c, domain.Errorf(domain.NotFound, "no such referral"))
		return
	}
	u := currentUser(c)
	v := timelineView{layout: p.base(c, "History of a referral", ""), ID: id.String(),
		AsOfDate: strings.TrimSpace(c.Query("as-of-date")), AsOfTime: strings.TrimSpace(c.Query("as-of-time"))}
	var at ledger.HistoryPoint
	if raw := c.Query("revision"); raw != "" {
		rev, err := strconv.ParseUint(raw, 10, 64)
		if err != nil {
			v.Errors = append(v.Errors, fieldError{Field: "revision", Message: "Choose a revision from the list"})
		}
		at.Revision = &rev
	} else if v.AsOfDate != "" || v.AsOfTime != "" {
		t, errs := asOf(v.AsOfDate, v.AsOfTime)
		v.Errors = append(v.Errors, errs...)
		at.AsOf = &t
	}
	status := http.StatusOK
	if len(v.Errors) > 0 {
		at, status = ledger.HistoryPoint{}, http.StatusUnprocessableEntity
		v.Title = "Error: " + v.Title
	}
	h, err := p.Service.ReferralHistory(p.request(c, nil), u.Actor(), id, at)
	if domain.ErrorCode(err) == domain.NotFound && (at.AsOf != nil || at.Revision != nil) {
		// The referral exists (the point is what is wrong, or the user may
		// not see it: asked again at no point, the ledger says which).
		if h, err = p.Service.ReferralHistory(p.request(c, nil), u.Actor(), id, ledger.HistoryPoint{}); err == nil {
			e := fieldError{Field: "as-of-date", Message: "The referral had not been made yet then: choose a later date or time"}
			if at.Revision != nil {
				e = fieldError{Field: "revision", Message: "Choose a revision from the list"}
			}
			v.Errors = append(v.Errors, e)
			v.Title, status = "Error: "+v.Title, http.StatusUnprocessableEntity
			at = ledger.HistoryPoint{}
		}
	}
	if err != nil {
		p.fail(c, err)
		return
	}
	r := h.State
	v.Reference = r.Reference().String()
	v.Title = strings.Replace(v.Title, "a referral", r.Reference().String(), 1)
	v.State = referralState{R: r, From: p.orgName(r.FromOrganisationID), To: p.orgName(r.ToOrganisationID),
		MadeBy: p.userName(r.MadeBy), AssignedTo: p.userName(r.AssignedTo)}
	v.Verified = h.Verified
	v.Checkpoint = p.auditOf(p.request(c, nil), u, h)
	if raw, asked := c.GetQuery("trusted-size"); asked && v.Checkpoint != nil && v.Checkpoint.Problem == "" {
		v.Checkpoint.TrustedSize = raw
		if _, msg := p.trustedSize(c.Request.Context(), raw); msg != "" {
			v.Errors = append(v.Errors, fieldError{Field: "trusted-size", Message: msg})
			if status == http.StatusOK {
				v.Title, status = "Error: "+v.Title, http.StatusUnprocessableEntity
			}
		}
	}
	v.AtPoint, v.AtRevision = at.AsOf != nil || at.Revision != nil, at.Revision != nil
	if n := len(h.All); n > 0 {
		v.Latest = h.All[n-1].Stored.Revision
	}
	switch {
	case at.Revision != nil:
		v.PointText = fmt.Sprintf("revision %d", *at.Revision)
	case at.AsOf != nil:
		v.PointText = londonDateTime(*at.AsOf)
	}
	shown := map[uint64]bool{}
	for _, e := range h.Entries {
		shown[e.Stored.Revision] = true
	}
	for _, e := range h.All {
		ev := p.timelineEvent(e, h.Broken)
		ev.AfterTheState = v.AtPoint && !shown[e.Stored.Revision]
		v.Events = append(v.Events, ev)
		v.Revisions = append(v.Revisions, option{Value: strconv.FormatUint(e.Stored.Revision, 10),
			Label:    fmt.Sprintf("%d: %s, %s", e.Stored.Revision, ev.What, londonDateTime(ev.At)),
			Selected: v.AtPoint && e.Stored.Revision == r.Revision})
	}
	v.CanAccessLog = p.mayReadAccessLog(u, r.ClientID)
	p.render(c, status, "history", v)
}

// asOf reads a London date and time ("14 12 2026", "14:30"; the time may
// be left out for the end of that day).
func asOf(date, clock string) (time.Time, []fieldError) {
	var errs []fieldError
	d, err := time.Parse(domain.DateLayout, readDate(date))
	if err != nil {
		errs = append(errs, fieldError{Field: "as-of-date", Message: "Enter the date as a day, month and year, for example 14 12 2026"})
	}
	if len(errs) > 0 || clock == "" {
		// No time: as it stood at the end of that day.
		return time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, domain.London()).Add(-time.Nanosecond), errs
	}
	t, err := time.Parse("15:04", clock)
	if err != nil {
		t, err = time.Parse("3:04pm", strings.ToLower(strings.ReplaceAll(clock, " ", "")))
	}
	if err != nil {
		return time.Time{}, []fieldError{{Field: "as-of-time", Message: "Enter the time as hours and minutes, for example 14:30"}}
	}
	// The end of that minute: the page shows times to the minute.
	return time.Date(d.Year(), d.Month(), d.Day(), t.Hour(), t.Minute(), 59, 999999999, domain.London()), nil
}

// timelineEvent shows one stored event: its data as the API's history
// shows it (client fields and free text null once erased), and whether its
// link of the hash chain verifies.
func (p *Pages) timelineEvent(e ledger.HistoryEntry, broken *eventstore.BrokenLinkError) timelineEvent {
	m := e.Stored.Metadata
	ev := timelineEvent{Revision: e.Stored.Revision, At: m.RecordedAt, Type: e.Stored.Type, What: eventText(e.Decoded.Event),
		By: p.userName(e.Decoded.ActorUserID), Erased: e.Decoded.Erased, Hash: m.Hash, Short: shortHash(m.Hash),
		PrevShort: shortHash(m.PrevHash), Chain: "verified"}
	if ev.By == "" {
		ev.By = "The system"
	}
	if e.Decoded.ActorOrganisationID != uuid.Nil {
		ev.ByOrg = p.orgName(e.Decoded.ActorOrganisationID)
	}
	if broken != nil {
		switch {
		case e.Stored.Revision == broken.Revision:
			ev.Chain, ev.BrokenReason = "broken", broken.Reason
		case e.Stored.Revision > broken.Revision:
			ev.Chain = "unverified"
		}
	}
	if data, err := ledger.EventJSON(e.Decoded); err == nil {
		var whole []byte
		if e.Decoded.Erased {
			whole, _ = json.Marshal(e.Decoded.Event)
		}
		ev.Data = dataFields(data, whole)
	}
	return ev
}

// shortHash is the first twelve characters of a hash, for reading; the
// page shows the whole one beside it on request.
func shortHash(h string) string {
	if len(h) <= 12 {
		return h
	}
	return h[:12] + "…"
}

// dataFields lists an event's data as the API's history shows it, nested
// objects as "client.name". Once the client's data is erased the API shows
// its fields null: those that the event itself holds (whole, the event
// without the API's nulls; nil when not erased) read "erased", those it
// never had "none".
func dataFields(data, whole []byte) []dataField {
	var m, held map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil
	}
	if whole != nil {
		_ = json.Unmarshal(whole, &held)
	}
	var out []dataField
	var walk func(prefix string, m, held map[string]any)
	walk = func(prefix string, m, held map[string]any) {
		for name, value := range m {
			if prefix == "" && name == "erased" {
				continue
			}
			key := prefix + name
			switch x := value.(type) {
			case map[string]any:
				h, _ := held[name].(map[string]any)
				walk(key+".", x, h)
			case nil:
				text := "none"
				if held[name] != nil {
					text = "erased"
				}
				out = append(out, dataField{Name: key, Value: text})
			case string:
				out = append(out, dataField{Name: key, Value: x})
			case bool:
				out = append(out, dataField{Name: key, Value: map[bool]string{true: "yes", false: "no"}[x]})
			default:
				b, _ := json.Marshal(x)
				out = append(out, dataField{Name: key, Value: string(b)})
			}
		}
	}
	walk("", m, held)
	slices.SortFunc(out, func(a, b dataField) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// mayReadAccessLog is GET /v1/clients/{id}/access-log's rule, for showing
// the link: the coordinator, auditors (unless the case's lock refuses
// them, R-LOCK-2), and the person the client's case is locked to. The
// page itself asks the ledger.
func (p *Pages) mayReadAccessLog(u domain.User, client uuid.UUID) bool {
	l := p.Locks.LockOf(client)
	if u.Actor().NetworkWide() {
		return l.Status != domain.LockLocked || !l.Refuses(u.Actor())
	}
	return l.Status == domain.LockLocked && l.ResponsibleUserID == u.ID
}

// accessLogLink is the page of the client's access log, through the
// first of refs (the case's referrals the user may know), for a user who
// may read it (mayReadAccessLog); "" otherwise.
func (p *Pages) accessLogLink(u domain.User, client uuid.UUID, refs []projections.ReferralSummary) string {
	if len(refs) == 0 || !p.mayReadAccessLog(u, client) {
		return ""
	}
	return "/referrals/" + refs[0].ID.String() + "/access-log"
}

// accessEntry is one read of the client's data.
type accessEntry struct {
	At                time.Time
	By, Organisation  string
	What, Grant       string
	Locked            bool
	Reason, Reference string
	ReferralID        string
}

type accessLogView struct {
	layout
	ID, Reference string
	Entries       []accessEntry
	Erased        bool // the client's details are erased: no reason can be shown
}

// accessLogPage is the access log of a referral's client (R-LOCK-9):
// GET /v1/clients/{id}/access-log's ledger function with the user as
// actor, so only the coordinator, auditors and the responsible person of
// the client's lock read it, and anyone else gets the API's answer.
func (p *Pages) accessLogPage(c *gin.Context) {
	id, ok := pathID(c)
	if !ok {
		p.fail(c, domain.Errorf(domain.NotFound, "no such referral"))
		return
	}
	if err := p.settleHead(c.Request.Context()); err != nil {
		p.fail(c, err)
		return
	}
	client, ok, err := p.Referrals.ClientOf(id)
	if err == nil && !ok {
		err = domain.Errorf(domain.NotFound, "no such referral")
	}
	if err != nil {
		p.fail(c, err)
		return
	}
	entries, err := p.Service.AccessLog(p.request(c, nil), currentUser(c).Actor(), client, p.caseIndex())
	if err != nil {
		p.fail(c, err)
		return
	}
	ref := domain.ReferenceOf(id).String()
	v := accessLogView{layout: p.base(c, "Access log of "+ref, ""), ID: id.String(), Reference: ref}
	for i := len(entries) - 1; i >= 0; i-- { // newest first
		v.Entries = append(v.Entries, p.accessEntry(entries[i]))
		v.Erased = v.Erased || entries[i].Erased
	}
	p.render(c, http.StatusOK, "accesslog", v)
}

// accessEntry shows one read of the client's data in words, as the access
// log page and the subject access export show it.
func (p *Pages) accessEntry(e ledger.AccessEntry) accessEntry {
	a := accessEntry{At: e.At, By: p.userName(e.UserID), What: accessText(e.Event.Endpoint),
		Grant: grantText(domain.CaseGrant(e.Event.Grant)), Locked: e.Event.Locked, Reason: e.Event.Reason}
	if a.By == "" {
		a.By = "The system"
	}
	if e.OrganisationID != uuid.Nil {
		a.Organisation = p.orgName(e.OrganisationID)
	}
	if e.Event.ReferralID != uuid.Nil {
		a.ReferralID, a.Reference = e.Event.ReferralID.String(), domain.ReferenceOf(e.Event.ReferralID).String()
	}
	return a
}

// accessText says in words what a read was, from the route it came by.
func accessText(endpoint string) string {
	method, path, _ := strings.Cut(endpoint, " ")
	api := strings.HasPrefix(path, "/v1/")
	var what string
	switch p := strings.TrimPrefix(path, "/v1"); {
	case strings.HasSuffix(p, "/history"):
		what = "Read the referral's history"
	case strings.HasSuffix(p, "/subject-access"):
		what = "Exported everything held about the client"
	case strings.HasSuffix(p, "/messages"):
		what = "Read the messages about the case"
	case strings.HasPrefix(p, "/lock-requests"):
		what = "Read why a lock or unlock was asked for, to decide it"
	case strings.HasPrefix(p, "/referrals/:id") && method == http.MethodGet:
		what = "Read the referral"
	case strings.HasPrefix(p, "/referrals"):
		what = "Acted on the referral"
	case endpoint == "":
		return "Read the client's details"
	default:
		what = "Read the client's details"
	}
	if api {
		return what + " through the API (" + endpoint + ")"
	}
	return what + " in the web pages (" + endpoint + ")"
}

// grantText says why the reader was let in: a lock's grant, or for a case
// not locked the ground the ledger records (auditor, coordinator, or
// organisation involved).
func grantText(g domain.CaseGrant) string {
	switch g {
	case domain.GrantNotLocked:
		return "The case was not locked"
	case domain.GrantResponsible:
		return "The person the case is locked to"
	case domain.GrantAllowedUser:
		return "Named on the lock's allow list"
	case domain.GrantAllowedTeam:
		return "Their team is on the lock's allow list"
	case domain.GrantTemporary:
		return "Temporary access"
	case domain.GrantAutomaticRole:
		return "System support or emergency duty"
	case "auditor":
		return "An auditor (the case was not locked)"
	case "coordinator":
		return "The coordinator (the case was not locked)"
	case "organisation":
		return "Their organisation made or received the referral (the case was not locked)"
	case ledger.SubjectAccessGrant:
		return "The coordinator answering a subject access request"
	case ledger.LockDecisionGrant:
		return "A service manager deciding a lock or unlock request on the case"
	case ledger.LockRequestGrant:
		return "The team manager who asked for a lock or unlock, reading their request"
	}
	return string(g)
}
