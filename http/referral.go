package http

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

type clientRequest struct {
	ClientID    string `json:"client_id,omitempty"`
	Name        string `json:"name"`
	DateOfBirth string `json:"date_of_birth"`
	Phone       string `json:"phone"`
	Email       string `json:"email"`
	Address     string `json:"address"`
}

// clientBody shows a client's details; every field is null once the
// client's data is erased, and absent details are null too.
type clientBody struct {
	ClientID    string  `json:"client_id"`
	Erased      bool    `json:"erased"`
	Name        *string `json:"name"`
	DateOfBirth *string `json:"date_of_birth"`
	Phone       *string `json:"phone"`
	Email       *string `json:"email"`
	Address     *string `json:"address"`
}

func clientJSON(id uuid.UUID, erased bool, c domain.Client) clientBody {
	return clientBody{ClientID: id.String(), Erased: erased, Name: strJSON(c.Name), DateOfBirth: strJSON(c.DateOfBirth), Phone: strJSON(c.Phone),
		Email: strJSON(c.Email), Address: strJSON(c.Address)}
}

type consentBody struct {
	Method    string `json:"method"`
	Confirmed bool   `json:"confirmed"`
}

type overrideBody struct {
	Reason string `json:"reason"`
}

type overrideOut struct {
	Reason *string `json:"reason"`
}

type referralRequest struct {
	ToOrganisationID     string        `json:"to_organisation_id"`
	Urgent               bool          `json:"urgent"`
	Client               clientRequest `json:"client"`
	Reason               string        `json:"reason"`
	Consent              *consentBody  `json:"consent"`
	SafeguardingOverride *overrideBody `json:"safeguarding_override"`
	PrivacyNoticeGiven   bool          `json:"privacy_notice_given"`
}

type deadlinesBody struct {
	AcknowledgeBy *string `json:"acknowledge_by"`
	CloseBy       *string `json:"close_by"`
}

type actorBody struct {
	UserID         *string `json:"user_id"`
	OrganisationID *string `json:"organisation_id"`
}

type noteBody struct {
	ID            string    `json:"id"`
	Kind          string    `json:"kind"` // note, or temporary_access: a note on the client's case (R-LOCK-4)
	Text          *string   `json:"text"`
	AgreedCloseBy *string   `json:"agreed_close_by"`
	At            string    `json:"at"`
	Actor         actorBody `json:"actor"`
	// TemporaryAccess is the short-term access a temporary_access note
	// gave its reason for; null on a note added to the referral.
	TemporaryAccess *temporaryAccessNoteBody `json:"temporary_access"`
}

type temporaryAccessNoteBody struct {
	UserID    string `json:"user_id"`
	Hours     int    `json:"hours"`
	ExpiresAt string `json:"expires_at"`
}

// The kinds of note a referral shows.
const (
	noteKindNote            = "note"
	noteKindTemporaryAccess = "temporary_access"
)

type referralBody struct {
	ID                   string        `json:"id"`
	Reference            string        `json:"reference"`
	Status               domain.Status `json:"status"`
	Urgent               bool          `json:"urgent"`
	MadeUrgent           bool          `json:"made_urgent"`
	UrgencyDeclined      bool          `json:"urgency_declined"`
	UrgencyFeedback      *string       `json:"urgency_feedback"`
	FromOrganisationID   string        `json:"from_organisation_id"`
	ToOrganisationID     string        `json:"to_organisation_id"`
	ClientID             string        `json:"client_id"`
	Client               clientBody    `json:"client"`
	Reason               *string       `json:"reason"`
	Consent              *consentBody  `json:"consent"`
	SafeguardingOverride *overrideOut  `json:"safeguarding_override"`
	PrivacyNoticeGiven   bool          `json:"privacy_notice_given"`
	AssignedTo           *string       `json:"assigned_to"`
	Outcome              *string       `json:"outcome"`
	Comment              *string       `json:"comment"`
	Notes                []noteBody    `json:"notes"`
	MadeAt               string        `json:"made_at"`
	MadeBy               string        `json:"made_by"`
	AcknowledgedAt       *string       `json:"acknowledged_at"`
	ClosedAt             *string       `json:"closed_at"`
	Deadlines            deadlinesBody `json:"deadlines"`
	Overdue              bool          `json:"overdue"`
	Erased               bool          `json:"erased"`
	Revision             uint64        `json:"revision"`
	lifecycleBody
}

func timeJSON(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

func strJSON(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func idJSON(id uuid.UUID) *string {
	if id == uuid.Nil {
		return nil
	}
	return strJSON(id.String())
}

func (s *Server) referralJSON(r domain.Referral) referralBody {
	return s.referralJSONAt(r, s.Service.Now())
}

// referralJSONAt is referralJSON with overdue judged at now: a history's
// state as it stood at an earlier point is judged then.
func (s *Server) referralJSONAt(r domain.Referral, now time.Time) referralBody {
	d := s.Timescales.Deadlines(r, s.Calendar)
	out := referralBody{
		ID: r.ID.String(), Reference: r.Reference().String(), Status: r.Status, Urgent: r.UrgentNow(), MadeUrgent: r.Urgent,
		UrgencyDeclined: r.UrgencyDeclined, UrgencyFeedback: strJSON(r.UrgencyFeedback),
		FromOrganisationID: r.FromOrganisationID.String(), ToOrganisationID: r.ToOrganisationID.String(),
		ClientID: r.ClientID.String(), Client: clientJSON(r.ClientID, r.Erased, r.Client),
		Reason: strJSON(r.Reason), PrivacyNoticeGiven: r.PrivacyNoticeGiven, Erased: r.Erased,
		AssignedTo: idJSON(r.AssignedTo), Outcome: strJSON(r.Outcome), Comment: strJSON(r.Comment),
		Notes: make([]noteBody, 0, len(r.Notes)+len(r.CaseNotes)), MadeAt: r.MadeAt.UTC().Format(time.RFC3339), MadeBy: r.MadeBy.String(),
		AcknowledgedAt: timeJSON(r.AcknowledgedAt), ClosedAt: timeJSON(r.ClosedAt),
		Deadlines: deadlinesBody{AcknowledgeBy: timeJSON(d.AcknowledgeBy), CloseBy: timeJSON(d.CloseBy)},
		Overdue:   d.Overdue(r, now), Revision: r.Revision,
		lifecycleBody: lifecycleJSON(r),
	}
	if r.Consent != nil {
		out.Consent = &consentBody{Method: r.Consent.Method, Confirmed: r.Consent.Confirmed}
	}
	switch {
	case r.SafeguardingOverride != nil:
		out.SafeguardingOverride = &overrideOut{Reason: strJSON(r.SafeguardingOverride.Reason)}
	case r.SharedWithoutConsent: // erased: the override stays on record, its reason is gone
		out.SafeguardingOverride = &overrideOut{}
	}
	// The referral's own notes and those on the client's case, oldest
	// first (both lists are).
	notes, cases := r.Notes, r.CaseNotes
	for len(notes) > 0 || len(cases) > 0 {
		if len(cases) == 0 || len(notes) > 0 && !notes[0].At.After(cases[0].At) {
			out.Notes, notes = append(out.Notes, noteJSON(notes[0])), notes[1:]
		} else {
			out.Notes, cases = append(out.Notes, caseNoteJSON(cases[0])), cases[1:]
		}
	}
	return out
}

func noteJSON(n domain.Note) noteBody {
	return noteBody{ID: n.ID.String(), Kind: noteKindNote, Text: strJSON(n.Text), AgreedCloseBy: strJSON(n.AgreedCloseBy),
		At: n.At.UTC().Format(time.RFC3339), Actor: actorBody{UserID: idJSON(n.ActorUserID), OrganisationID: idJSON(n.ActorOrganisationID)}}
}

// caseNoteJSON shows a note on the client's case: the reason for a
// short-term access, with whom it let in, for how long and until when.
func caseNoteJSON(n domain.CaseNote) noteBody {
	return noteBody{ID: n.ID.String(), Kind: noteKindTemporaryAccess, Text: strJSON(n.Text),
		At: n.At.UTC().Format(time.RFC3339), Actor: actorBody{UserID: idJSON(n.ActorUserID), OrganisationID: idJSON(n.ActorOrganisationID)},
		TemporaryAccess: &temporaryAccessNoteBody{UserID: n.GranteeUserID.String(), Hours: n.Hours(),
			ExpiresAt: n.ExpiresAt.UTC().Format(time.RFC3339)}}
}

// respondReferral answers a command with the referral it returned, as
// answerReferral allows.
func (s *Server) respondReferral(c *gin.Context, ctx context.Context, status int, r domain.Referral, w ledger.Written) {
	if !s.answerReferral(c, ctx, r, w) {
		return
	}
	setETag(c, r.Revision)
	c.JSON(status, s.referralJSON(r))
}

// answerReferral readies the answer to a command, run under ctx, that
// shows the referral r it returned: it waits until the views show the
// write, then records the answer in the client's access log. The answer
// holds the client's data (name, date of birth, reason, notes), so it is
// a read of it, recorded as GET /v1/referrals/{id} records one and as the
// page a web form leads to does (R-LOCK-9, R-UI-2): for a locked case,
// before it is answered. On failure, and for a caller the lock has shut
// out since the command ran, it writes the problem a read would get and
// returns false. Every answer to a command that shows a referral goes
// through here; an idempotent replay reads the referral again instead
// (renderReplay), which records it the same way.
func (s *Server) answerReferral(c *gin.Context, ctx context.Context, r domain.Referral, w ledger.Written) bool {
	if err := s.settle(c, w.Position); err != nil {
		writeError(c, err)
		return false
	}
	if err := s.Service.RecordRead(ctx, currentUser(c).Actor(), r); err != nil {
		writeError(c, err)
		return false
	}
	return true
}

// bodyUUID parses an id given in a request body; "" is allowed when
// optional.
func bodyUUID(v *validator, field, s string, required bool) uuid.UUID {
	if s == "" {
		v.check(!required, field, "is required")
		return uuid.Nil
	}
	id, ok := parseUUID(s)
	v.check(ok, field, "must be a UUID")
	return id
}

func (s *Server) makeReferral(c *gin.Context) {
	var req referralRequest
	_, ctx, ok := s.command(c, "", &req)
	if !ok {
		return
	}
	// An id that is no UUID is refused with every other field at fault,
	// and a missing receiver is the domain's to report.
	var v validator
	to := bodyUUID(&v, "to_organisation_id", req.ToOrganisationID, false)
	clientID := bodyUUID(&v, "client.client_id", req.Client.ClientID, false)
	cmd := domain.MakeReferral{ClientID: clientID, ToOrganisationID: to, Urgent: req.Urgent, Refused: v.fields,
		Client: domain.Client{Name: req.Client.Name, DateOfBirth: req.Client.DateOfBirth, Phone: req.Client.Phone,
			Email: req.Client.Email, Address: req.Client.Address},
		Reason: req.Reason, PrivacyNoticeGiven: req.PrivacyNoticeGiven}
	if req.Consent != nil {
		cmd.Consent = &domain.Consent{Method: req.Consent.Method, Confirmed: req.Consent.Confirmed}
	}
	if req.SafeguardingOverride != nil {
		cmd.SafeguardingOverride = &domain.SafeguardingOverride{Reason: req.SafeguardingOverride.Reason}
	}
	r, w, err := s.Service.MakeReferral(ctx, currentUser(c).Actor(), cmd, s.cases())
	if err != nil {
		writeError(c, err)
		return
	}
	c.Header("Location", "/v1/referrals/"+r.ID.String())
	setReplay(c, replayRef{Kind: replayReferral, ID: r.ID.String()})
	s.respondReferral(c, ctx, http.StatusCreated, r, w)
}

func (s *Server) getReferral(c *gin.Context) {
	id, ctx, ok := s.command(c, "id", nil)
	if !ok {
		return
	}
	r, err := s.Service.Referral(ctx, currentUser(c).Actor(), id)
	if err != nil {
		writeError(c, err)
		return
	}
	setETag(c, r.Revision)
	c.JSON(http.StatusOK, s.referralJSON(r))
}

// referralCommand runs the shared steps of the referral actions: path id,
// body, command context, the command, and a referral response.
func referralCommand[B any](s *Server, status int, run func(ctx context.Context, id uuid.UUID, body B, actor domain.Actor) (domain.Referral, ledger.Written, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		var body B
		id, ctx, ok := s.command(c, "id", &body)
		if !ok {
			return
		}
		r, w, err := run(ctx, id, body, currentUser(c).Actor())
		if err != nil {
			writeError(c, err)
			return
		}
		s.respondReferral(c, ctx, status, r, w)
	}
}

type emptyRequest struct{}

type assignmentRequest struct {
	UserID string `json:"user_id"`
}

type urgencyReviewRequest struct {
	Urgent   *bool  `json:"urgent"`
	Feedback string `json:"feedback"`
}

type closureRequest struct {
	Outcome string `json:"outcome"`
	Comment string `json:"comment"`
}

func (s *Server) acknowledge(c *gin.Context) {
	referralCommand(s, http.StatusOK, func(ctx context.Context, id uuid.UUID, _ emptyRequest, a domain.Actor) (domain.Referral, ledger.Written, error) {
		return s.Service.Acknowledge(ctx, a, id)
	})(c)
}

func (s *Server) assign(c *gin.Context) {
	referralCommand(s, http.StatusOK, func(ctx context.Context, id uuid.UUID, b assignmentRequest, a domain.Actor) (domain.Referral, ledger.Written, error) {
		// A missing user is the domain's to report, after need to know.
		var v validator
		userID := bodyUUID(&v, "user_id", b.UserID, false)
		if err := v.err(); err != nil {
			return domain.Referral{}, ledger.Written{}, err
		}
		return s.Service.Assign(ctx, a, id, userID)
	})(c)
}

func (s *Server) urgencyReview(c *gin.Context) {
	var b urgencyReviewRequest
	id, ctx, ok := s.command(c, "id", &b)
	if !ok {
		return
	}
	if b.Urgent == nil || *b.Urgent {
		// Refused after need to know and the check of who may review
		// (R-AUTH-4, R-REF-5), so that whoever may not gets the 404 or
		// 403 of any body.
		ctx = refuseField(c, ctx, "urgent", "must be false: a review records that an urgent referral is declined as urgent")
	}
	r, w, err := s.Service.DeclineUrgency(ctx, currentUser(c).Actor(), id, b.Feedback)
	if err != nil {
		writeError(c, err)
		return
	}
	s.respondReferral(c, ctx, http.StatusOK, r, w)
}

func (s *Server) closeReferral(c *gin.Context) {
	referralCommand(s, http.StatusOK, func(ctx context.Context, id uuid.UUID, b closureRequest, a domain.Actor) (domain.Referral, ledger.Written, error) {
		return s.Service.Close(ctx, a, id, b.Outcome, b.Comment)
	})(c)
}

type noteRequest struct {
	Text          string `json:"text"`
	AgreedCloseBy string `json:"agreed_close_by"`
}

func (s *Server) addNote(c *gin.Context) {
	var req noteRequest
	id, ctx, ok := s.command(c, "id", &req)
	if !ok {
		return
	}
	r, w, err := s.Service.AddNote(ctx, currentUser(c).Actor(), id, domain.AddNote{Text: req.Text, AgreedCloseBy: req.AgreedCloseBy})
	if err != nil {
		writeError(c, err)
		return
	}
	if !s.answerReferral(c, ctx, r, w) {
		return
	}
	note := r.Notes[len(r.Notes)-1]
	c.Header("Location", "/v1/referrals/"+r.ID.String()+"/history?revision="+strconv.FormatUint(r.Revision, 10))
	setReplay(c, replayRef{Kind: replayNote, ID: r.ID.String(), Part: note.ID.String()})
	s.respondNote(c, http.StatusCreated, r, note)
}

// respondNote answers with a note: its own fields at the top, as for any
// created resource, and the referral it belongs to as it now stands.
func (s *Server) respondNote(c *gin.Context, status int, r domain.Referral, note domain.Note) {
	setETag(c, r.Revision)
	n := noteJSON(note)
	c.JSON(status, noteResponse{ID: n.ID, ReferralID: r.ID, Text: n.Text, AgreedCloseBy: n.AgreedCloseBy,
		At: n.At, Actor: n.Actor, Note: n, Referral: s.referralJSON(r)})
}

// noteResponse answers the adding of a note: the note's members, the note
// and the referral. Its members are in name order, as they were when it
// was a map, so the answer's bytes are as they were.
type noteResponse struct {
	Actor         actorBody    `json:"actor"`
	AgreedCloseBy *string      `json:"agreed_close_by"`
	At            string       `json:"at"`
	ID            string       `json:"id"`
	Note          noteBody     `json:"note"`
	Referral      referralBody `json:"referral"`
	ReferralID    uuid.UUID    `json:"referral_id"`
	Text          *string      `json:"text"`
}
