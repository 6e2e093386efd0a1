package ledger

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
)

// MessagesPrefix prefixes a client's messages stream.
const MessagesPrefix = "messages-"

// MessagesStream is the stream of messages passed on about one client
// (R-LOCK-8). It is apart from the client's stream so that however many
// messages accumulate, reading or deciding the case never replays them.
func MessagesStream(client uuid.UUID) string { return MessagesPrefix + client.String() }

// MessageQuota limits how many messages one sender passes on about one
// client id within a window (R-LOCK-8). Reserve counts a message before it
// is recorded and, past the limit, says how long to wait; Release gives a
// reservation back when the message could not be recorded. The count must
// not depend on whether the client exists or is locked (R-LOCK-12).
type MessageQuota interface {
	Reserve(sender, client, message uuid.UUID, now time.Time) (wait time.Duration, ok bool)
	Release(message uuid.UUID)
}

// SetMessageQuota limits the messages each sender passes on about each
// client. Without one, messages are not limited.
func (s *Service) SetMessageQuota(q MessageQuota) { s.quota = q }

// errTooManyMessages is the refusal past the limit: the same whatever the
// case, so it tells the sender nothing about it.
var errTooManyMessages = domain.Errorf(domain.TooManyRequests, "too many messages about this client for now; try again later")

// SendMessage passes information to the person a client's case is locked
// to (R-LOCK-8). Whatever the case, the sender learns nothing (R-LOCK-12):
// the message is counted and recorded for any client id, with its text kept
// only for a client the ledger holds whose data is not erased, and the
// answer is the same. Errors: Invalid (the text only), TooManyRequests (a
// *RetryError, past the sender's limit for this client id).
func (s *Service) SendMessage(ctx context.Context, actor domain.Actor, client uuid.UUID, text string, childProtection bool, referrals ClientReferrals) (Written, error) {
	messageID := s.newID(ctx)
	events, err := domain.DecideMessage(messageID, client, text, childProtection)
	if err != nil {
		return Written{}, err
	}
	if s.quota != nil {
		if wait, ok := s.quota.Reserve(actor.UserID, client, messageID, s.Now()); !ok {
			return Written{}, &RetryError{Err: errTooManyMessages, After: wait}
		}
	}
	m := events[0].(*domain.MessageForResponsiblePerson)
	refs, err := referralsOf(referrals, client)
	if err != nil {
		// Neither kept nor dropped on an answer never read: nothing is
		// recorded, and the sender is told to retry.
		if s.quota != nil {
			s.quota.Release(messageID)
		}
		return Written{}, err
	}
	if len(refs) == 0 {
		m.Text = "" // keep nothing about an id the ledger does not hold
	}
	w, err := s.recordMessage(ctx, actor, client, m)
	if err != nil && s.quota != nil {
		s.quota.Release(messageID)
	}
	return w, err
}

// recordMessage appends a message to the client's messages stream. Nothing
// is decided on that stream, so the append expects any revision and costs
// the same however many messages came before.
func (s *Service) recordMessage(ctx context.Context, actor domain.Actor, client uuid.UUID, m *domain.MessageForResponsiblePerson) (Written, error) {
	req := requestFrom(ctx)
	// Under an Idempotency-Key the event's id derives from the request, so
	// the store keeps one copy however often it is retried (R-OPS-1).
	var eventID func(int) uuid.UUID
	if d := derivedIDsFrom(ctx); d != nil {
		eventID = d.nextStep()
	}
	data, err := s.encode(ctx, actor, req, []domain.Event{m}, eventID)
	if domain.ErrorCode(err) == domain.Conflict { // an erased client: the text cannot be kept
		m.Text = ""
		data, err = s.encode(ctx, actor, req, []domain.Event{m}, eventID)
	}
	if err != nil {
		return Written{}, err
	}
	res, err := s.store.Append(ctx, MessagesStream(client), eventstore.Any(), data...)
	if err != nil {
		return Written{}, storeError(err)
	}
	return Written{Revision: res.Revision, Position: res.Position, Events: len(data)}, nil
}

// Message is information passed to a case's responsible person.
type Message struct {
	ID                 uuid.UUID
	At                 time.Time
	FromUserID         uuid.UUID
	FromOrganisationID uuid.UUID
	ChildProtection    bool
	Text               string
	Erased             bool
}

// Messages returns the information passed on about a client's case
// (R-LOCK-8), to those who may read the case: under a lock, those the lock
// lets in; otherwise the organisations holding the client. The read is
// logged (R-LOCK-9). Whoever may not read it is refused first on the read
// models (idx), before the client's streams are read, so that the refusal
// takes as long for a locked case however much it holds as for a client
// that does not exist (R-LOCK-12, timing); then on the client's stream,
// which is what counts if the read models lag. Errors: NotFound,
// Forbidden.
func (s *Service) Messages(ctx context.Context, actor domain.Actor, client uuid.UUID, idx CaseIndex) ([]Message, error) {
	if _, err := s.messagesAccess(actor, client, indexedLock(idx, client), idx); err != nil {
		return nil, err
	}
	history, err := s.load(ctx, ClientStream(client))
	if err != nil {
		return nil, err
	}
	var c domain.ClientRecord
	for _, rec := range history {
		c = domain.EvolveClient(c, rec)
	}
	grant, err := s.messagesAccess(actor, client, c.Lock, idx)
	if err != nil {
		return nil, err
	}
	messages, err := s.load(ctx, MessagesStream(client))
	if err != nil {
		return nil, err
	}
	var out []Message
	// Messages recorded before they had a stream of their own are on the
	// client's stream, and come first.
	for _, rec := range append(history, messages...) {
		if m, ok := rec.Event.(*domain.MessageForResponsiblePerson); ok {
			out = append(out, Message{ID: m.MessageID, At: rec.At, FromUserID: rec.ActorUserID, FromOrganisationID: rec.ActorOrganisationID,
				ChildProtection: m.ChildProtection, Text: m.Text, Erased: rec.Erased || c.Erased})
		}
	}
	return out, s.recordAccess(ctx, actor, client, uuid.Nil, grant, c.Lock.Status == domain.LockLocked)
}

// messagesAccess decides, on the client's lock l, whether actor may read
// the messages about client, and under what grant: those the lock lets in
// or, with no lock in force, the organisations holding the client; a
// visible lock's refusal names its responsible person (R-LOCK-3), and
// anyone else gets the answer for a client that does not exist
// (R-LOCK-12). Errors: NotFound, Forbidden, Unavailable (the views).
func (s *Service) messagesAccess(actor domain.Actor, client uuid.UUID, l domain.Lock, idx ClientIndex) (domain.CaseGrant, error) {
	grant, ok := domain.LockAccess(l, actor, s.Now())
	knows, err := organisationKnows(idx, actor.OrganisationID, client)
	if err != nil {
		return "", err
	}
	if !knows && (!ok || grant == domain.GrantNotLocked) {
		return "", errNoClient
	}
	return grant, s.lockedOut(actor, l)
}
