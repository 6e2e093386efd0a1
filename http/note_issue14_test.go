package http

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// TestIssue14NoteAnswerBytesUnchanged: the answer to adding a note, now
// a struct, is byte for byte what the map it replaced gave.
func TestIssue14NoteAnswerBytesUnchanged(t *testing.T) {
	text, by := "called <b>&</b> \"x\"", "2026-12-01"
	for _, note := range []domain.Note{
		{ID: uuid.New(), Text: text, AgreedCloseBy: by, At: time.Now(), ActorUserID: uuid.New(), ActorOrganisationID: uuid.New()},
		{ID: uuid.New(), At: time.Now()}, // no text, no date, no actor: nulls
	} {
		r := domain.Referral{ID: uuid.New()}
		n := noteJSON(note)
		rb := referralBody{ID: r.ID.String(), Status: "acknowledged", Notes: []noteBody{n}}
		was, err := json.Marshal(gin.H{"id": n.ID, "referral_id": r.ID, "text": n.Text, "agreed_close_by": n.AgreedCloseBy,
			"at": n.At, "actor": n.Actor, "note": n, "referral": rb})
		if err != nil {
			t.Fatal(err)
		}
		is, err := json.Marshal(noteResponse{ID: n.ID, ReferralID: r.ID, Text: n.Text, AgreedCloseBy: n.AgreedCloseBy,
			At: n.At, Actor: n.Actor, Note: n, Referral: rb})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(was, is) {
			t.Errorf("answer changed:\n was %s\n  is %s", was, is)
		}
	}
}
