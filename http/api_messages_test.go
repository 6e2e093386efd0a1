package http

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
)

// sendMessage posts a message about client as token.
func (a *testAPI) sendMessage(tb testing.TB, token, client, text string) *response {
	tb.Helper()
	return a.do(tb, http.MethodPost, "/v1/clients/"+client+"/messages", token, map[string]any{"text": text, "child_protection": false})
}

// readStream reads one stream of the node's store.
func (a *testAPI) readStream(tb testing.TB, stream string) []eventstore.RecordedEvent {
	tb.Helper()
	evs, err := a.Store.ReadStream(context.Background(), stream, 0, 0)
	if err != nil {
		tb.Fatalf("read %s: %v", stream, err)
	}
	return evs
}

// TestMessageRateLimit_LOCK8_LOCK12 (R-LOCK-8, R-LOCK-12): a sender passes
// on at most the configured number of messages about one client id an
// hour; past it, 429 problem+json with Retry-After — the same for a real
// locked client and a made-up id, so the limit tells the sender nothing.
// Other senders, and other client ids, keep their own count; the window
// slides.
func TestMessageRateLimit_LOCK8_LOCK12(t *testing.T) {
	n := newLockNet(t)
	n.lock(t, n.Client, map[string]any{"hide_notification": true})
	unknown := uuid.NewString()
	for _, client := range []string{n.Client, unknown} {
		for i := 0; i < testMessageLimit; i++ {
			if r := want(t, n.sendMessage(t, n.HelpdeskB.Token, client, "caller rang again"), http.StatusAccepted); string(r.Body) != `{"status":"accepted"}` {
				t.Fatalf("message answer: %s", r.Body)
			}
		}
	}
	real := n.sendMessage(t, n.HelpdeskB.Token, n.Client, "one more")
	made := n.sendMessage(t, n.HelpdeskB.Token, unknown, "one more")
	real.problem(t, http.StatusTooManyRequests)
	made.problem(t, http.StatusTooManyRequests)
	if a, b := real.withoutRequest(t), made.withoutRequest(t); a != b {
		t.Fatalf("429 differs between a locked client and a made-up id:\n%s\n%s", a, b)
	}
	for _, r := range []*response{real, made} {
		if got := r.Header.Get("Retry-After"); got != "3600" {
			t.Fatalf("Retry-After %q, want 3600", got)
		}
	}
	want(t, n.sendMessage(t, n.AdviserA.Token, n.Client, "from someone else"), http.StatusAccepted)
	want(t, n.sendMessage(t, n.HelpdeskB.Token, uuid.NewString(), "about another id"), http.StatusAccepted)
	n.Clock.Advance(30 * time.Minute)
	if got := n.sendMessage(t, n.HelpdeskB.Token, n.Client, "still too soon").Header.Get("Retry-After"); got != "1800" {
		t.Fatalf("Retry-After half an hour on: %q, want 1800", got)
	}
	n.Clock.Advance(30*time.Minute + time.Second)
	want(t, n.sendMessage(t, n.HelpdeskB.Token, n.Client, "an hour on"), http.StatusAccepted)
}

// TestMessageRateLimitSurvivesRestart_LOCK8 (R-LOCK-8): the count is
// derived from the ledger, not kept in the process: a node restarted on
// the same store (as a second node on a shared store would) still refuses
// the sender, for a real client and for a made-up id alike (R-LOCK-12).
func TestMessageRateLimitSurvivesRestart_LOCK8(t *testing.T) {
	n := newLockNet(t)
	unknown := uuid.NewString()
	for _, client := range []string{n.Client, unknown} {
		for i := 0; i < testMessageLimit; i++ {
			want(t, n.sendMessage(t, n.HelpdeskB.Token, client, "caller rang again"), http.StatusAccepted)
		}
	}
	n.Close()
	again := newTestAPI(t, onDataDir(n.Dir, n.MasterKey), startingAt(n.Clock.Now()))
	helpdesk := again.signInUser(t, "helpdesk.b", testUserPassword)
	for _, client := range []string{n.Client, unknown} {
		again.sendMessage(t, helpdesk.Token, client, "one more").problem(t, http.StatusTooManyRequests)
	}
}

// TestMessageTextCap_LOCK8 (R-LOCK-8): a message's text is bounded; a
// longer one is refused 422 naming text, and is not counted.
func TestMessageTextCap_LOCK8(t *testing.T) {
	n := newLockNet(t)
	n.sendMessage(t, n.HelpdeskB.Token, n.Client, strings.Repeat("x", domain.MaxMessageText+1)).invalid(t, "text")
	want(t, n.sendMessage(t, n.HelpdeskB.Token, n.Client, strings.Repeat("é", domain.MaxMessageText)), http.StatusAccepted)
	if got := len(n.readStream(t, ledger.MessagesStream(uuid.MustParse(n.Client)))); got != 1 {
		t.Fatalf("messages recorded: %d, want 1", got)
	}
}

// TestMessagesOwnStream_LOCK8 (R-LOCK-8, R-LOCK-12, R-PRIV-3): messages
// live on the client's messages stream, never on the stream the case is
// decided on; the text is sealed under the client's key and kept only for
// a client the ledger holds; earlier messages on the client's own stream
// are still read; erasure shreds them all.
func TestMessagesOwnStream_LOCK8(t *testing.T) {
	n := newLockNet(t)
	client := uuid.MustParse(n.Client)
	n.lock(t, n.Client, nil)
	// A message recorded before messages had a stream of their own.
	legacy := &domain.MessageForResponsiblePerson{MessageID: uuid.New(), ClientID: client, Text: "legacy marker text"}
	data, err := n.Server.Service.Codec().Encode(context.Background(), uuid.New(), legacy,
		eventstore.Metadata{RecordedAt: n.Clock.Now(), ActorUserID: n.HelpdeskB.ID, ActorOrganisationID: n.OrgB})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Store.Append(context.Background(), ledger.ClientStream(client), eventstore.Any(), data); err != nil {
		t.Fatal(err)
	}
	clientEvents := len(n.readStream(t, ledger.ClientStream(client)))
	want(t, n.sendMessage(t, n.HelpdeskB.Token, n.Client, "new marker text"), http.StatusAccepted)
	unknown := uuid.New()
	want(t, n.sendMessage(t, n.HelpdeskB.Token, unknown.String(), "stray marker text"), http.StatusAccepted)

	if got := len(n.readStream(t, ledger.ClientStream(client))); got != clientEvents {
		t.Fatalf("a message was written to the client's stream: %d events, was %d", got, clientEvents)
	}
	for _, c := range []struct {
		client uuid.UUID
		sealed bool
	}{{client, true}, {unknown, false}} {
		evs := n.readStream(t, ledger.MessagesStream(c.client))
		if len(evs) != 1 || evs[0].Type != domain.MessageForResponsiblePersonType {
			t.Fatalf("messages stream of %s: %d events", c.client, len(evs))
		}
		if strings.Contains(string(evs[0].Data), "marker") || strings.Contains(string(evs[0].Data), `"sealed"`) != c.sealed {
			t.Fatalf("stored message (sealed: want %v): %s", c.sealed, evs[0].Data)
		}
	}

	var body struct {
		Messages []struct {
			Text   *string `json:"text"`
			Erased bool    `json:"erased"`
		} `json:"messages"`
	}
	decodeInto(t, want(t, n.do(t, http.MethodGet, "/v1/clients/"+n.Client+"/messages", n.AdviserB.Token, nil), http.StatusOK), &body)
	if len(body.Messages) != 2 || body.Messages[0].Text == nil || *body.Messages[0].Text != "legacy marker text" ||
		body.Messages[1].Text == nil || *body.Messages[1].Text != "new marker text" {
		t.Fatalf("messages read: %+v", body.Messages)
	}
	want(t, n.do(t, http.MethodGet, "/v1/clients/"+unknown.String()+"/messages", n.Admin.Token, nil), http.StatusNotFound)
	// Subject access exports them with everything else held (R-PRIV-6).
	var export subjectAccessExport
	decodeInto(t, want(t, n.do(t, http.MethodGet, "/v1/clients/"+n.Client+"/subject-access?reason=sar", n.Admin.Token, nil), http.StatusOK), &export)
	var exported []any
	for _, e := range export.Events {
		if e.Type == domain.MessageForResponsiblePersonType {
			exported = append(exported, e.Data["text"])
		}
	}
	if len(exported) != 2 || exported[0] != "legacy marker text" || exported[1] != "new marker text" {
		t.Fatalf("subject access exports messages %v", exported)
	}

	// The case is locked to B's adviser, who asks for the erasure: the lock
	// keeps A's adviser out of that too (R-LOCK-2).
	n.eraseAs(t, n.AdviserB.Token, n.Client, "client asked")
	want(t, n.sendMessage(t, n.HelpdeskB.Token, n.Client, "after erasure marker text"), http.StatusAccepted)
	decodeInto(t, want(t, n.do(t, http.MethodGet, "/v1/clients/"+n.Client+"/messages", n.AdviserB.Token, nil), http.StatusOK), &body)
	if len(body.Messages) != 3 {
		t.Fatalf("messages after erasure: %d, want 3", len(body.Messages))
	}
	for _, m := range body.Messages {
		if m.Text != nil || !m.Erased {
			t.Fatalf("a message survived erasure: %+v", body.Messages)
		}
	}
}

// TestMessageIdempotencyKey_OPS1 (R-OPS-1, R-LOCK-8): a message sent again
// with the same Idempotency-Key and body, as a client retries after a
// timeout, is passed on once and answered as the first time; after a
// crash lost the stored answer too, the retry still writes nothing new.
// The same key with another text is 422.
func TestMessageIdempotencyKey_OPS1(t *testing.T) {
	n := newLockNet(t)
	n.lock(t, n.Client, nil)
	stream := ledger.MessagesStream(uuid.MustParse(n.Client))
	body := map[string]any{"text": "caller rang again", "child_protection": true}
	path := "/v1/clients/" + n.Client + "/messages"
	want(t, n.do(t, http.MethodPost, path, n.HelpdeskB.Token, body, "Idempotency-Key", "msg-1"), http.StatusAccepted)
	again := want(t, n.do(t, http.MethodPost, path, n.HelpdeskB.Token, body, "Idempotency-Key", "msg-1"), http.StatusAccepted)
	if again.Header.Get("Idempotent-Replayed") != "true" || string(again.Body) != `{"status":"accepted"}` {
		t.Errorf("retry answered %s (replayed %q)", again.Body, again.Header.Get("Idempotent-Replayed"))
	}
	if got := len(n.readStream(t, stream)); got != 1 {
		t.Fatalf("%d messages after a retry with the same key, want 1", got)
	}
	n.do(t, http.MethodPost, path, n.HelpdeskB.Token, map[string]any{"text": "another text", "child_protection": true},
		"Idempotency-Key", "msg-1").problem(t, http.StatusUnprocessableEntity)

	n.Close()
	files, _ := filepath.Glob(filepath.Join(n.Dir, "idempotency.db*"))
	for _, f := range files {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	restarted := newTestAPI(t, onDataDir(n.Dir, n.MasterKey), startingAt(n.Clock.Now()))
	helpdesk := restarted.signInUser(t, "helpdesk.b", testUserPassword)
	want(t, restarted.do(t, http.MethodPost, path, helpdesk.Token, body, "Idempotency-Key", "msg-1"), http.StatusAccepted)
	if got := len(restarted.readStream(t, stream)); got != 1 {
		t.Fatalf("%d messages after a retry whose stored answer was lost, want 1", got)
	}
}
