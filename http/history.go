package http

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/ledger"
)

type historyEventBody struct {
	ID            string          `json:"id"`
	Revision      uint64          `json:"revision"`
	Position      uint64          `json:"position"`
	Type          string          `json:"type"`
	SchemaVersion int             `json:"schema_version"`
	At            string          `json:"at"`
	Actor         actorBody       `json:"actor"`
	CorrelationID string          `json:"correlation_id,omitempty"`
	CausationID   string          `json:"causation_id,omitempty"`
	Data          json.RawMessage `json:"data"`
	Hash          string          `json:"hash"`
	PrevHash      string          `json:"prev_hash"`
	Erased        bool            `json:"erased"`
}

// historyEventJSON shows one stored event: its envelope, and its payload
// decrypted, or with sensitive fields null once the client is erased.
func historyEventJSON(e ledger.HistoryEntry) (historyEventBody, error) {
	data, err := ledger.EventJSON(e.Decoded)
	if err != nil {
		return historyEventBody{}, err
	}
	m := e.Stored.Metadata
	return historyEventBody{ID: e.Stored.ID.String(), Revision: e.Stored.Revision, Position: uint64(e.Stored.Position),
		Type: e.Stored.Type, SchemaVersion: e.Stored.SchemaVersion, At: m.RecordedAt.UTC().Format(time.RFC3339Nano),
		Actor:         actorBody{UserID: strJSON(m.ActorUserID), OrganisationID: strJSON(m.ActorOrganisationID)},
		CorrelationID: m.CorrelationID, CausationID: m.CausationID, Data: data, Hash: m.Hash, PrevHash: m.PrevHash,
		Erased: e.Decoded.Erased}, nil
}

type brokenLinkBody struct {
	Revision uint64 `json:"revision"`
	EventID  string `json:"event_id"`
	Reason   string `json:"reason"`
}

type historyBody struct {
	ReferralID string             `json:"referral_id"`
	Events     []historyEventBody `json:"events"`
	Verified   bool               `json:"verified"`
	BrokenAt   *brokenLinkBody    `json:"broken_at,omitempty"`
	State      referralBody       `json:"state"`
}

// historyParams are the parameters GET /v1/referrals/{id}/history reads.
var historyParams = []string{"as_of", "revision"}

// history replays a referral's events for auditors and the organisations
// involved (R-LEDGER-5), with ?as_of= or ?revision= for the state then.
func (s *Server) history(c *gin.Context) {
	id, ctx, ok := s.command(c, "id", nil)
	if !ok {
		return
	}
	// A mistyped ?asof= would otherwise show the referral as it is now,
	// as if it were the state asked for.
	var params validator
	takes := "the history takes only " + strings.Join(historyParams, ", ")
	unexpectedParams(c, &params, historyParams, "is not a parameter of the history: "+takes,
		"has a parameter the history does not take: "+takes)
	for _, name := range historyParams {
		singleQuery(c, &params, name)
	}
	if err := params.err(); err != nil {
		writeError(c, err)
		return
	}
	var at ledger.HistoryPoint
	if v, ok := c.GetQuery("as_of"); ok {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			writeError(c, malformed("as_of: must be an RFC 3339 time", domain.FieldError{Field: "as_of", Message: "must be an RFC 3339 time such as 2026-01-31T17:00:00Z"}))
			return
		}
		// A time given to the second, as the API shows made_at and other
		// times, means the whole of that second: ?as_of= a referral's
		// made_at shows it as made, although its event was recorded a
		// fraction of a second after the second began.
		if !strings.Contains(v, ".") {
			t = t.Add(time.Second - time.Nanosecond)
		}
		at.AsOf = &t
	}
	if v, ok := c.GetQuery("revision"); ok {
		rev, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			writeError(c, malformed("revision: must be a whole number", domain.FieldError{Field: "revision", Message: "must be a whole number from 0"}))
			return
		}
		at.Revision = &rev
	}
	h, err := s.Service.ReferralHistory(ctx, currentUser(c).Actor(), id, at)
	if err != nil {
		writeError(c, err)
		return
	}
	out, err := s.historyJSON(h, h.StateAt(at, s.Service.Now()))
	if err != nil {
		writeError(c, err)
		return
	}
	c.JSON(http.StatusOK, out)
}

// historyJSON shows a referral's history with its state at that point,
// judged at the instant stateAt (ledger.History.StateAt): whether it was
// overdue then.
func (s *Server) historyJSON(h ledger.History, stateAt time.Time) (historyBody, error) {
	out := historyBody{ReferralID: h.State.ID.String(), Events: make([]historyEventBody, len(h.Entries)), Verified: h.Verified,
		State: s.referralJSONAt(h.State, stateAt)}
	for i, e := range h.Entries {
		var err error
		if out.Events[i], err = historyEventJSON(e); err != nil {
			return historyBody{}, err
		}
	}
	if h.Broken != nil {
		out.BrokenAt = &brokenLinkBody{Revision: h.Broken.Revision, EventID: h.Broken.EventID.String(), Reason: h.Broken.Reason}
	}
	return out, nil
}
