package web

import (
	"bytes"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/datadir"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
	"github.com/referral-ledger/ledger/projections"
)

// partials are the templates of templates/ that are not pages: the layout
// every page is drawn inside, and the shared pieces (list.html's tables,
// fields.html's form fields). Every other file there is a page, named by its file.
var partials = []string{"templates/layout.html", "templates/list.html", "templates/fields.html", "templates/lifecycle-parts.html"}

// views holds every page's parsed template.
type views struct{ pages map[string]*template.Template }

func parseViews() (*views, error) {
	v := &views{pages: map[string]*template.Template{}}
	files, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if slices.Contains(partials, f) {
			continue
		}
		name := strings.TrimSuffix(strings.TrimPrefix(f, "templates/"), ".html")
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFiles, append(slices.Clone(partials), f)...)
		if err != nil {
			return nil, err
		}
		v.pages[name] = t
	}
	return v, nil
}

var funcs = template.FuncMap{
	"date":     londonDate,
	"datetime": londonDateTime,
	"fieldID":  fieldID,
	"status":   statusText,
	"outcome":  outcomeText,
	"day":      dayText,
	"errFor":   errorFor,
	// newFormKey is the one-time key of a form ("form-key" in fields.html).
	"newFormKey": newFormKey,
	"field": func(id, label, hint, value, err, autocomplete string) formField {
		return formField{ID: id, Label: label, Hint: hint, Value: value, Error: err, Autocomplete: autocomplete}
	},
	// statusFilter is a list page's status filter ("status-filter" in
	// list.html): any says what choosing no status shows.
	"statusFilter": func(selected, any string) statusFilter {
		return statusFilter{Selected: selected, Any: any, Statuses: domain.Statuses()}
	},
	"plural": func(n int, one, many string) string {
		if n == 1 {
			return one
		}
		return many
	},
}

// statusFilter is the status filter of a list of referrals.
type statusFilter struct {
	Selected, Any string
	Statuses      []domain.Status
}

// formField is one text input or textarea of a form.
type formField struct {
	ID, Label, Hint, Value, Error, Autocomplete string
}

// layout is what every page shows around its own content.
type layout struct {
	Title        string       // what the page is, first in the window's title
	User         *domain.User // the signed-in user; nil on the sign-in page
	Organisation string       // the user's organisation's name
	Nav          string       // the navigation item of this page
	Menu         []menuItem   // the navigation the user's roles allow
	Flash        string       // what the last action did, confirmed
	Errors       []fieldError // the form's errors, for the error summary
	Search       string       // the reference typed in the search box
	// Limited: the user may only change their password or set up a second
	// factor before anything else, so no navigation or search is offered.
	Limited bool
	// sessionTiming lets a signed-in page warn before the session ends.
	sessionTiming
}

// fieldError is one form field's error: Field is the id of its input.
type fieldError struct {
	Field, Message string
}

// base returns the layout for a page of the signed-in user.
func (p *Pages) base(c *gin.Context, title, nav string) layout {
	l := layout{Title: title, Nav: nav, Flash: takeFlash(c)}
	if u, ok := userFrom(c); ok {
		l.User = &u
		l.Menu = menuFor(u, nav)
		l.Organisation = p.orgName(u.OrganisationID)
		l.Limited = u.PasswordChangeRequired || p.Accounts.MFAEnrolmentDue(u)
		l.sessionTiming = p.sessionTiming()
	}
	return l
}

// render draws page name with data; a template that fails is a bug, logged
// and answered with a plain 500.
func (p *Pages) render(c *gin.Context, status int, name string, data any) {
	var buf bytes.Buffer
	if err := p.views.pages[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		zerolog.Ctx(c.Request.Context()).Error().Err(err).Str("page", name).Msg("a page template failed")
		c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("Sorry, there is a problem with the service.\n"))
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

type errorPage struct {
	layout
	Heading, Message string
	Home             menuItem  // the user's first page, the way on
	Next             *menuItem // what the user can do instead, if anything
}

// renderError draws the error page.
func (p *Pages) renderError(c *gin.Context, status int, heading, message string) {
	p.render(c, status, "error", p.errorPage(c, heading, message))
}

// errorPage is the error page's content, leading on to the user's own
// first page.
func (p *Pages) errorPage(c *gin.Context, heading, message string) errorPage {
	v := errorPage{layout: p.base(c, heading, ""), Heading: heading, Message: message, Home: menuItem{Label: "Directory", Path: "/directory"}}
	if len(v.Menu) > 0 {
		v.Home = v.Menu[0]
	}
	return v
}

// fail draws the page for an error from the ledger: the same refusal the
// API gives, in words (a locked case names its responsible person; a case
// the user may not know of is "not found"). Internal errors are logged,
// never shown.
func (p *Pages) fail(c *gin.Context, err error) {
	if domain.ErrorCode(err) == domain.Internal && errors.Is(err, projections.ErrUnreadable) {
		// A read of the views (views.db) that failed is the API's 503,
		// never a page that shows nothing or "not found" (R-OPS-4).
		zerolog.Ctx(c.Request.Context()).Warn().Err(err).Msg("a page failed: the views cannot be read")
		err = ledger.ViewsUnavailable(err)
	}
	if domain.ErrorCode(err) == domain.Internal && datadir.StoreBusy(err) {
		// A SQLite file another process kept locked past the busy
		// timeout: the API's 503, a passing failure, not an internal
		// error (R-OPS-4).
		zerolog.Ctx(c.Request.Context()).Warn().Err(err).Msg("a page failed: a data store is busy")
		err = ledger.StoreBusy(err)
	}
	if domain.ErrorCode(err) == domain.StorageFull || datadir.StorageFull(err) {
		// As the API's 507 (R-OPS-4): nothing can be saved, and a read
		// whose access record cannot be kept is not shown.
		zerolog.Ctx(c.Request.Context()).Error().Err(err).Msg("a page failed: storage is full")
		p.renderError(c, http.StatusInsufficientStorage, "Sorry, the service cannot save anything just now",
			"Its storage is full, so nothing was changed or shown. Try again later, once an operator has freed space.")
		return
	}
	switch domain.ErrorCode(err) {
	case domain.NotFound:
		p.renderError(c, http.StatusNotFound, "Page not found", "There is nothing here that you can see. Check the reference or the link, or search by reference.")
	case domain.Forbidden:
		if errors.Is(err, ledger.ErrCaseLocked) {
			p.lockedCase(c, err)
			return
		}
		p.renderError(c, http.StatusForbidden, "You cannot do this", sentence(domain.ErrorMessage(err)))
	case domain.Conflict, domain.PreconditionFailed:
		p.renderError(c, http.StatusConflict, "This could not be done", sentence(domain.ErrorMessage(err)))
	case domain.Invalid:
		p.renderError(c, http.StatusUnprocessableEntity, "Check what you entered", sentence(domain.ErrorMessage(err)))
	case domain.TooManyRequests:
		p.renderError(c, http.StatusTooManyRequests, "Too many attempts", sentence(domain.ErrorMessage(err)))
	case domain.Unauthorized:
		c.Redirect(http.StatusSeeOther, "/sign-in")
	case domain.Unavailable:
		p.renderError(c, http.StatusServiceUnavailable, "Sorry, the service is unavailable", "Try again in a few minutes.")
	default:
		zerolog.Ctx(c.Request.Context()).Error().Err(err).Msg("a page failed")
		p.renderError(c, http.StatusInternalServerError, "Sorry, there is a problem with the service", "Try again later. Nothing you entered was saved.")
	}
}

// lockedCase is the refusal of a case locked to someone the user may be
// told of (R-LOCK-3), with the way to pass information on to them without
// seeing the case (R-LOCK-8): the form, given the case the user asked for.
// A hidden lock never comes here: its refusal is "not found".
func (p *Pages) lockedCase(c *gin.Context, err error) {
	v := p.errorPage(c, "You cannot do this", sentence(domain.ErrorMessage(err)))
	next := menuItem{Label: "pass information to the person responsible for it", Path: "/pass-information"}
	if id, ok := pathID(c); ok {
		switch {
		case strings.HasPrefix(c.FullPath(), "/referrals/"):
			next.Path += "?case=" + domain.ReferenceOf(id).String()
		case strings.HasPrefix(c.FullPath(), "/clients/"):
			next.Path += "?case=" + id.String()
		}
	}
	v.Next = &next
	p.render(c, http.StatusForbidden, "error", v)
}

// sentence starts a ledger message with a capital and ends it with a stop.
func sentence(s string) string {
	if s == "" {
		return s
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// fieldErrors turns the ledger's field errors into the form's, through
// names mapping an API field to the form's input id and label.
func fieldErrors(err error, names map[string]string) []fieldError {
	var out []fieldError
	for _, f := range domain.ErrorFields(err) {
		id, ok := names[f.Field]
		if !ok {
			id = fieldID(f.Field)
		}
		msg := f.Message
		if msg == apiDateMessage { // the forms ask for day, month and year
			example, ok := dateExamples[id]
			if !ok {
				example = "27 3 2027"
			}
			msg = "must be a real date, as a day, month and year, for example " + example
		}
		if choice, ok := choiceMessages[id]; ok && (msg == "is required" || strings.HasPrefix(msg, "must be one of") || strings.HasPrefix(msg, `must be "`)) {
			msg = choice // the form offers choices in words, not the API's codes
		}
		if label, ok := fieldLabels[id]; ok && (strings.HasPrefix(msg, "is ") || strings.HasPrefix(msg, "must ") || strings.HasPrefix(msg, "may ")) {
			msg = label + " " + msg // "is required" alone would not say what is
		}
		out = append(out, fieldError{Field: id, Message: sentence(msg)})
	}
	if len(out) == 0 && err != nil {
		out = append(out, fieldError{Message: sentence(domain.ErrorMessage(err))})
	}
	return out
}

// apiDateMessage is the ledger's message for a date that is not one; the
// pages read dates as day, month and year (readDate), so they say that
// instead, with the example of the field's hint.
const apiDateMessage = "must be a date in the form YYYY-MM-DD"

var dateExamples = map[string]string{"client-dob": "27 3 1980", "agreed-close-by": "30 3 2027", "resume-on": "4 1 2027"}

// choiceMessages replace the ledger's "must be one of …" and "is required"
// for the inputs that offer the choices as radios or a list.
var choiceMessages = map[string]string{
	"outcome":        "Choose whether the referral was taken forward",
	"decline-reason": "Choose why you are declining the referral",
	"basis":          "Choose whether the client gave written or verbal consent, or you are sharing without it",
	"forward-basis":  "Choose whether the client gave written or verbal consent, or you are sharing without it",
	"forward-to":     "Choose the organisation to forward the referral to",
}

// fieldLabels name the inputs whose ledger messages do not say which
// field they are about ("is required").
var fieldLabels = map[string]string{
	"to": "the organisation to refer to", "client-name": "the client's name", "client-dob": "the client's date of birth",
	"client-phone": "the phone number", "client-email": "the email address", "client-address": "the address",
	"reason": "the reason for the referral", "override-reason": "the safeguarding reason", "note-text": "the note",
	"agreed-close-by": "the agreed close-by date", "feedback": "the reason it is not urgent", "outcome": "the outcome",
	"comment": "a comment", "assignee": "the adviser",
	"current-password": "the password you entered", "new-password": "your new password",
}

// fieldID is a field's input id: "client.name" → "client-name".
func fieldID(field string) string {
	return strings.NewReplacer(".", "-", "_", "-").Replace(field)
}

// errorFor returns the message of the field with id, "" when none.
func errorFor(errs []fieldError, id string) string {
	for _, e := range errs {
		if e.Field == id {
			return e.Message
		}
	}
	return ""
}

var london = func() *time.Location {
	l, err := time.LoadLocation("Europe/London")
	if err != nil {
		return time.UTC
	}
	return l
}()

func londonDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(london).Format("2 January 2006")
}

// dayText writes a YYYY-MM-DD date as people read it, "4 January 2099".
func dayText(s string) string {
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		return s
	}
	return d.Format("2 January 2006")
}

func londonDateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(london).Format("2 January 2006 at 3:04pm")
}

func statusText(s domain.Status) string {
	switch s {
	case domain.StatusMade:
		return "New"
	case domain.StatusAcknowledged:
		return "Acknowledged"
	case domain.StatusClosed:
		return "Closed"
	case domain.StatusDeclined:
		return "Declined"
	case domain.StatusForwarded:
		return "Forwarded"
	case domain.StatusWithdrawn:
		return "Withdrawn"
	}
	return string(s)
}

// orgName is an organisation's name from the directory.
func (p *Pages) orgName(id uuid.UUID) string {
	if n, ok := p.orgNames()[id]; ok {
		return n
	}
	return "Unknown organisation"
}

// orgNames maps every organisation to its name, for a page naming many.
func (p *Pages) orgNames() map[uuid.UUID]string {
	dir := p.Orgs.Directory(p.Service.Now())
	names := make(map[uuid.UUID]string, len(dir))
	for _, e := range dir {
		names[e.ID] = e.Name
	}
	return names
}

// userName is a user's display name, or "" for none.
func (p *Pages) userName(id uuid.UUID) string {
	if id == uuid.Nil {
		return ""
	}
	if u, ok := p.Orgs.UserByID(id); ok {
		return u.DisplayName
	}
	return "Unknown user"
}

// serveStatic serves the embedded static files, cacheable for a day.
func serveStatic(c *gin.Context) {
	sub, _ := fs.Sub(staticFiles, "static")
	name := strings.TrimPrefix(c.Param("file"), "/")
	b, err := fs.ReadFile(sub, name)
	if err != nil {
		c.Data(http.StatusNotFound, "text/plain; charset=utf-8", []byte("not found\n"))
		return
	}
	ct := "application/octet-stream"
	switch {
	case strings.HasSuffix(name, ".css"):
		ct = "text/css; charset=utf-8"
	case strings.HasSuffix(name, ".js"):
		ct = "text/javascript; charset=utf-8"
	case strings.HasSuffix(name, ".svg"):
		ct = "image/svg+xml"
	}
	c.Header("Cache-Control", "public, max-age=86400")
	c.Data(http.StatusOK, ct, b)
}

// workingDaysLeft counts the working days from now until the deadline:
// 0 on its last day, negative once past.
func (p *Pages) workingDaysLeft(deadline, now time.Time) int {
	if deadline.IsZero() {
		return 0
	}
	today, due := p.Calendar.DateOf(now), p.Calendar.DateOf(deadline)
	if now.After(deadline) {
		return -p.Calendar.WorkingDaysBetween(due, today)
	}
	return p.Calendar.WorkingDaysBetween(today, due)
}

// daysLeftText says how long is left before a deadline, in words.
func daysLeftText(n int, overdue bool) string {
	switch {
	case overdue && n == 0:
		return "Overdue"
	case overdue && n == -1:
		return "Overdue by 1 working day"
	case overdue:
		return "Overdue by " + strconv.Itoa(-n) + " working days"
	case n == 0:
		return "Due today"
	case n == 1:
		return "1 working day left"
	}
	return strconv.Itoa(n) + " working days left"
}
