package domain

import (
	"time"

	"github.com/google/uuid"
)

// The case-locking event types (seed 004), on the client's stream: one
// complete list (LockEventTypes). A lock covers the client's whole case,
// every referral of theirs.
const (
	LockRequestedType               = "client.lock_requested"
	LockApprovedType                = "client.lock_approved"
	LockRefusedType                 = "client.lock_refused"
	TemporaryAccessGrantedType      = "client.temporary_access_granted"
	TemporaryAccessEndedType        = "client.temporary_access_ended"
	LockReviewedType                = "client.lock_reviewed"
	UnlockRequestedType             = "client.unlock_requested"
	UnlockApprovedType              = "client.unlock_approved"
	UnlockRefusedType               = "client.unlock_refused"
	SeriousCaseReviewCompletedType  = "client.serious_case_review_completed"
	MessageForResponsiblePersonType = "client.message_sent"
	LockRequestWithdrawnType        = "client.lock_request_withdrawn"
)

// LockEventTypes lists every case-locking event type.
func LockEventTypes() []string {
	return []string{LockRequestedType, LockApprovedType, LockRefusedType, TemporaryAccessGrantedType,
		TemporaryAccessEndedType, LockReviewedType, UnlockRequestedType, UnlockApprovedType, UnlockRefusedType,
		SeriousCaseReviewCompletedType, MessageForResponsiblePersonType, LockRequestWithdrawnType}
}

func newLockEvent(t string) (Event, bool) {
	switch t {
	case LockRequestedType:
		return &LockRequested{}, true
	case LockApprovedType:
		return &LockApproved{}, true
	case LockRefusedType:
		return &LockRefused{}, true
	case TemporaryAccessGrantedType:
		return &TemporaryAccessGranted{}, true
	case TemporaryAccessEndedType:
		return &TemporaryAccessEnded{}, true
	case LockReviewedType:
		return &LockReviewed{}, true
	case UnlockRequestedType:
		return &UnlockRequested{}, true
	case UnlockApprovedType:
		return &UnlockApproved{}, true
	case UnlockRefusedType:
		return &UnlockRefused{}, true
	case SeriousCaseReviewCompletedType:
		return &SeriousCaseReviewCompleted{}, true
	case MessageForResponsiblePersonType:
		return &MessageForResponsiblePerson{}, true
	case LockRequestWithdrawnType:
		return &LockRequestWithdrawn{}, true
	}
	return nil, false
}

// Party names who a lock lets in or keeps out: one user, a whole team, or
// (to refuse the automatic access of system support or emergency duty) a
// role. Exactly one of UserID, Team and Role is set. A team is a team of
// one organisation (R-LOCK-11): OrganisationID, or the lock's owning
// organisation when it is unset, as in every request recorded before it
// existed (so those need no upcaster).
type Party struct {
	UserID         uuid.UUID `json:"user_id,omitempty"`
	Team           string    `json:"team,omitempty"`
	OrganisationID uuid.UUID `json:"organisation_id,omitempty"`
	Role           Role      `json:"role,omitempty"`
}

// LockRequested is a team manager's request to lock a client's case
// (R-LOCK-1). The lists name staff, not the client: they are not sealed;
// the reason is client-linked free text and is.
type LockRequested struct {
	RequestID         uuid.UUID `json:"request_id"`
	ClientID          uuid.UUID `json:"client_id"`
	ResponsibleUserID uuid.UUID `json:"responsible_user_id"`
	Reason            string    `json:"reason" sensitive:"true"`
	Allow             []Party   `json:"allow"`
	Deny              []Party   `json:"deny"`
	HideNotification  bool      `json:"hide_notification"`
	SeriousCaseReview bool      `json:"serious_case_review"`
}

// LockApproved is a service manager's approval: the case is locked. The
// reason the approval may give is the client's data, sealed under their
// key; approvals recorded before it was kept have no client id and no
// reason.
type LockApproved struct {
	RequestID uuid.UUID `json:"request_id"`
	ClientID  uuid.UUID `json:"client_id,omitzero"`
	Reason    string    `json:"reason,omitempty" sensitive:"true"`
}

// LockRefused is a service manager's refusal, with a reason.
type LockRefused struct {
	RequestID uuid.UUID `json:"request_id"`
	ClientID  uuid.UUID `json:"client_id"`
	Reason    string    `json:"reason" sensitive:"true"`
}

// TemporaryAccessGranted lets a named member of staff into a locked case
// until ExpiresAt, at most 24 hours on (R-LOCK-4); the reason is the case
// note the procedure asks for.
type TemporaryAccessGranted struct {
	GrantID   uuid.UUID `json:"grant_id"`
	ClientID  uuid.UUID `json:"client_id"`
	UserID    uuid.UUID `json:"user_id"`
	ExpiresAt time.Time `json:"expires_at"`
	Reason    string    `json:"reason" sensitive:"true"`
}

// TemporaryAccessEnded ends a grant early (the grantee no longer needs it).
type TemporaryAccessEnded struct {
	GrantID uuid.UUID `json:"grant_id"`
}

// LockReviewed records a monthly review (R-LOCK-5): keep the lock, or ask
// for it to be lifted (an UnlockRequested follows).
type LockReviewed struct {
	ReviewID   uuid.UUID `json:"review_id"`
	ClientID   uuid.UUID `json:"client_id"`
	KeepLocked bool      `json:"keep_locked"`
	Notes      string    `json:"notes" sensitive:"true"`
}

// UnlockRequested asks a service manager to lift the lock (R-LOCK-6).
type UnlockRequested struct {
	RequestID uuid.UUID `json:"request_id"`
	ClientID  uuid.UUID `json:"client_id"`
	Reason    string    `json:"reason" sensitive:"true"`
}

// UnlockApproved lifts the lock, with the reason the approval may give,
// as LockApproved.
type UnlockApproved struct {
	RequestID uuid.UUID `json:"request_id"`
	ClientID  uuid.UUID `json:"client_id,omitzero"`
	Reason    string    `json:"reason,omitempty" sensitive:"true"`
}

// UnlockRefused keeps the lock, with a reason.
type UnlockRefused struct {
	RequestID uuid.UUID `json:"request_id"`
	ClientID  uuid.UUID `json:"client_id"`
	Reason    string    `json:"reason" sensitive:"true"`
}

// LockRequestWithdrawn withdraws a lock or unlock request while it still
// awaits a decision (R-LOCK-1, R-LOCK-6, R-LOCK-10): a withdrawn lock
// request leaves the case as it was before it (not locked, free for
// another request), a withdrawn unlock request leaves the lock in force.
// RequestID names which: request ids are never shared. The reason is
// client-linked free text, sealed like every lock reason (empty once the
// client's data is erased).
type LockRequestWithdrawn struct {
	RequestID uuid.UUID `json:"request_id"`
	ClientID  uuid.UUID `json:"client_id"`
	Reason    string    `json:"reason" sensitive:"true"`
}

// SeriousCaseReviewCompleted records that the serious case review a lock
// was kept for is over, so the lock may be lifted.
type SeriousCaseReviewCompleted struct{}

// MessageForResponsiblePerson passes information to a locked case's owner
// from someone who may not see the case (R-LOCK-8, the helpdesk route).
// It is recorded on the client's messages stream, apart from the decisions
// on their case, so that messages never slow reading or deciding it
// (earlier ones, on the client's own stream, are still read). The text is
// empty when the ledger held no client by that id or their data was
// erased: the message is recorded all the same, so that the sender's count
// of messages does not depend on whether the client exists (R-LOCK-12).
type MessageForResponsiblePerson struct {
	MessageID       uuid.UUID `json:"message_id"`
	ClientID        uuid.UUID `json:"client_id"`
	ChildProtection bool      `json:"child_protection"`
	Text            string    `json:"text" sensitive:"true"`
}

// EventType implements Event.
func (*LockRequested) EventType() string { return LockRequestedType }

// EventType implements Event.
func (*LockApproved) EventType() string { return LockApprovedType }

// EventType implements Event.
func (*LockRefused) EventType() string { return LockRefusedType }

// EventType implements Event.
func (*TemporaryAccessGranted) EventType() string { return TemporaryAccessGrantedType }

// EventType implements Event.
func (*TemporaryAccessEnded) EventType() string { return TemporaryAccessEndedType }

// EventType implements Event.
func (*LockReviewed) EventType() string { return LockReviewedType }

// EventType implements Event.
func (*UnlockRequested) EventType() string { return UnlockRequestedType }

// EventType implements Event.
func (*UnlockApproved) EventType() string { return UnlockApprovedType }

// EventType implements Event.
func (*UnlockRefused) EventType() string { return UnlockRefusedType }

// EventType implements Event.
func (*SeriousCaseReviewCompleted) EventType() string { return SeriousCaseReviewCompletedType }

// EventType implements Event.
func (*MessageForResponsiblePerson) EventType() string { return MessageForResponsiblePersonType }

// DataSubject implements Sensitive.
func (e *LockRequested) DataSubject() uuid.UUID { return e.ClientID }

// DataSubject implements Sensitive.
func (e *LockRefused) DataSubject() uuid.UUID { return e.ClientID }

// DataSubject implements Sensitive.
func (e *LockApproved) DataSubject() uuid.UUID { return e.ClientID }

// DataSubject implements Sensitive.
func (e *UnlockApproved) DataSubject() uuid.UUID { return e.ClientID }

// DataSubject implements Sensitive.
func (e *TemporaryAccessGranted) DataSubject() uuid.UUID { return e.ClientID }

// DataSubject implements Sensitive.
func (e *LockReviewed) DataSubject() uuid.UUID { return e.ClientID }

// DataSubject implements Sensitive.
func (e *UnlockRequested) DataSubject() uuid.UUID { return e.ClientID }

// DataSubject implements Sensitive.
func (e *UnlockRefused) DataSubject() uuid.UUID { return e.ClientID }

// EventType implements Event.
func (*LockRequestWithdrawn) EventType() string { return LockRequestWithdrawnType }

// DataSubject implements Sensitive.
func (e *LockRequestWithdrawn) DataSubject() uuid.UUID { return e.ClientID }

// DataSubject implements Sensitive.
func (e *MessageForResponsiblePerson) DataSubject() uuid.UUID { return e.ClientID }
