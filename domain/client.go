package domain

import (
	"slices"
	"strings"

	"github.com/google/uuid"
)

// The client event types: one complete list (ClientEventTypes). A client's
// stream records what is decided about their data as a whole: erasure
// (R-PRIV-2, R-PRIV-3) and subject access exports (R-PRIV-6).
const (
	ClientErasureRequestedType      = "client.erasure_requested"
	ClientErasureRefusedType        = "client.erasure_refused"
	ClientErasureStartedType        = "client.erasure_started"
	ClientErasedType                = "client.erased"
	ClientSubjectAccessExportedType = "client.subject_access_exported"
)

// ClientEventTypes lists every client event type.
func ClientEventTypes() []string {
	return []string{ClientErasureRequestedType, ClientErasureRefusedType, ClientErasureStartedType,
		ClientErasedType, ClientSubjectAccessExportedType}
}

func newClientEvent(t string) (Event, bool) {
	switch t {
	case ClientErasureRequestedType:
		return &ClientErasureRequested{}, true
	case ClientErasureRefusedType:
		return &ClientErasureRefused{}, true
	case ClientErasureStartedType:
		return &ClientErasureStarted{}, true
	case ClientErasedType:
		return &ClientErased{}, true
	case ClientSubjectAccessExportedType:
		return &ClientSubjectAccessExported{}, true
	}
	return nil, false
}

// ClientErasureRequested records an organisation passing on a client's
// request to have their data erased (R-PRIV-2).
type ClientErasureRequested struct {
	RequestID uuid.UUID `json:"request_id"`
	ClientID  uuid.UUID `json:"client_id"`
	Reason    string    `json:"reason" sensitive:"true"`
}

// ClientErasureRefused records the coordinator refusing an erasure, with a
// reason such as a legal hold.
type ClientErasureRefused struct {
	RequestID uuid.UUID `json:"request_id"`
	ClientID  uuid.UUID `json:"client_id"`
	Reason    string    `json:"reason" sensitive:"true"`
}

// ClientErasureStarted records the coordinator's decision to carry out an
// erasure, before the key is destroyed: if the process dies between the
// two, the intent is found on restart and the erasure finished.
type ClientErasureStarted struct {
	RequestID uuid.UUID `json:"request_id"`
	Reason    string    `json:"reason,omitempty"` // "retention", or empty; never client data
}

// ClientErased records that the client's key is destroyed: their data can
// never be read again (R-PRIV-3).
type ClientErased struct {
	RequestID uuid.UUID `json:"request_id"`
}

// ClientSubjectAccessExported records that everything held about the
// client was exported for a subject access request (R-PRIV-6).
type ClientSubjectAccessExported struct {
	ExportID uuid.UUID `json:"export_id"`
}

// EventType implements Event.
func (*ClientErasureRequested) EventType() string { return ClientErasureRequestedType }

// EventType implements Event.
func (*ClientErasureRefused) EventType() string { return ClientErasureRefusedType }

// EventType implements Event.
func (*ClientErasureStarted) EventType() string { return ClientErasureStartedType }

// EventType implements Event.
func (*ClientErased) EventType() string { return ClientErasedType }

// EventType implements Event.
func (*ClientSubjectAccessExported) EventType() string { return ClientSubjectAccessExportedType }

// DataSubject implements Sensitive.
func (e *ClientErasureRequested) DataSubject() uuid.UUID { return e.ClientID }

// DataSubject implements Sensitive.
func (e *ClientErasureRefused) DataSubject() uuid.UUID { return e.ClientID }

// ErasureStatus is where an erasure request stands.
type ErasureStatus string

// The erasure request statuses.
const (
	ErasureRequested  ErasureStatus = "requested"
	ErasureRefused    ErasureStatus = "refused"
	ErasureCarriedOut ErasureStatus = "carried_out"
)

// ErasureRequest is one request to erase a client's data.
type ErasureRequest struct {
	ID             uuid.UUID
	Status         ErasureStatus
	OrganisationID uuid.UUID
}

// ClientRecord is the state of a client's stream.
type ClientRecord struct {
	ID       uuid.UUID
	Revision uint64
	Exists   bool
	Requests map[uuid.UUID]ErasureRequest
	Erasing  uuid.UUID // the request being carried out, until Erased
	Erased   bool
	Lock     Lock
	// CaseNotes are the notes on the client's whole case, oldest first
	// (R-LOCK-4): kept when the lock is lifted, without their text once
	// the client's data is erased. Read only: its array is shared.
	CaseNotes []CaseNote
}

// ErasureBegun reports whether the client's data is erased, or its
// erasure was started and not yet recorded complete: either way it can no
// longer be read or kept.
func (c ClientRecord) ErasureBegun() bool { return c.Erased || c.Erasing != uuid.Nil }

// EvolveClient applies a recorded event: erasure and subject access
// events, and case-locking ones through EvolveLock. It never mutates the
// Requests map of the state passed in.
func EvolveClient(c ClientRecord, rec Recorded) ClientRecord {
	c, _ = evolveClient(c, rec)
	return c
}

// evolveClient is EvolveClient, also saying whether it knew the event.
func evolveClient(c ClientRecord, rec Recorded) (ClientRecord, bool) {
	c.Revision, c.Exists = rec.Revision, true
	setStatus := func(id uuid.UUID, s ErasureStatus, org uuid.UUID) {
		out := make(map[uuid.UUID]ErasureRequest, len(c.Requests)+1)
		for k, v := range c.Requests {
			out[k] = v
		}
		r := out[id]
		r.ID, r.Status = id, s
		if org != uuid.Nil {
			r.OrganisationID = org
		}
		out[id] = r
		c.Requests = out
	}
	switch e := rec.Event.(type) {
	case *ClientErasureRequested:
		c.ID = e.ClientID
		setStatus(e.RequestID, ErasureRequested, rec.ActorOrganisationID)
	case *ClientErasureRefused:
		setStatus(e.RequestID, ErasureRefused, uuid.Nil)
	case *ClientErasureStarted:
		c.Erasing = e.RequestID
		if _, ok := c.Requests[e.RequestID]; ok {
			setStatus(e.RequestID, ErasureCarriedOut, uuid.Nil)
		}
	case *ClientErased:
		c.Erased, c.Erasing = true, uuid.Nil
		c.CaseNotes = erasedNotes(c.CaseNotes)
	case *ClientSubjectAccessExported:
		// A fact for the log and the access log; nothing decided about
		// the client's data changes.
	default:
		var known bool
		if c.Lock, known = evolveLock(c.Lock, rec); !known {
			return c, false
		}
		switch e := rec.Event.(type) {
		case *LockRequested:
			c.ID = e.ClientID
		case *TemporaryAccessGranted:
			c.CaseNotes = append(slices.Clip(c.CaseNotes), caseNoteOf(e, rec))
		}
	}
	return c, true
}

// DecideRequestErasure records an erasure request by a caseworker of an
// organisation involved with the client (the caller checks involvement, as
// it needs the referrals). Errors: Forbidden, Conflict (already erased or
// being erased), Invalid (reason).
func DecideRequestErasure(c ClientRecord, actor Actor, clientID, requestID uuid.UUID, reason string) ([]Event, error) {
	if !actor.Caseworker() {
		return nil, Errorf(Forbidden, "only advisers of an organisation involved with the client can request erasure")
	}
	if c.ErasureBegun() {
		return nil, Errorf(Conflict, "the client's data is already erased")
	}
	var f fieldErrors
	f.text("reason", reason, true, MaxLongText)
	if err := f.err(); err != nil {
		return nil, err
	}
	return []Event{&ClientErasureRequested{RequestID: requestID, ClientID: clientID, Reason: reason}}, nil
}

// DecideErasure is the coordinator's decision on a request (R-PRIV-2):
// carrying it out records the intent (the caller then destroys the key and
// records ClientErased); refusing needs a reason, except once the client's
// data is erased, when it takes none. Carrying out again a
// request whose erasure was started but not completed records nothing, so
// the caller can finish it. Errors: Forbidden (not the coordinator),
// NotFound (no such request), Conflict (already decided), Invalid.
func DecideErasure(c ClientRecord, actor Actor, requestID uuid.UUID, carryOut bool, reason string) ([]Event, error) {
	if !actor.Has(RoleCoordinator) {
		return nil, Errorf(Forbidden, "only the coordinator decides erasure requests")
	}
	req, ok := c.Requests[requestID]
	if !ok {
		return nil, Errorf(NotFound, "no such erasure request")
	}
	if carryOut && c.Erasing == requestID {
		// A retry of a carry-out whose key destruction failed (the caller
		// was told to retry): nothing new to record; the caller destroys
		// the key and records the erasure complete.
		return nil, nil
	}
	if req.Status != ErasureRequested {
		return nil, Errorf(Conflict, "the erasure request was already decided (%s)", req.Status)
	}
	if carryOut {
		if c.ErasureBegun() {
			return nil, Errorf(Conflict, "the client's data is already erased")
		}
		return []Event{&ClientErasureStarted{RequestID: requestID}}, nil
	}
	if c.ErasureBegun() {
		// Erased since it was asked (by another request, or retention):
		// it can only be refused, and a reason would be free text about
		// the client that no key is left to keep (R-PRIV-3).
		if reason != "" {
			return nil, Errorf(Conflict, "the client's data was erased: leave the reason empty")
		}
		return []Event{&ClientErasureRefused{RequestID: requestID, ClientID: c.ID}}, nil
	}
	var f fieldErrors
	f.text("reason", reason, true, MaxLongText)
	if err := f.err(); err != nil {
		return nil, err
	}
	return []Event{&ClientErasureRefused{RequestID: requestID, ClientID: c.ID, Reason: reason}}, nil
}

// DecideRetentionErasure starts an erasure because the retention period
// has passed (R-PRIV-5); nothing happens for a client already erased, nor
// for one whose case a lock holds for a serious case review
// (Lock.HoldsForReview).
func DecideRetentionErasure(c ClientRecord, requestID uuid.UUID) []Event {
	if c.ErasureBegun() || c.Lock.HoldsForReview() {
		return nil
	}
	return []Event{&ClientErasureStarted{RequestID: requestID, Reason: "retention"}}
}

// DecideFinishErasure records the completion of an erasure whose key has
// been destroyed; nothing when there is nothing to finish.
func DecideFinishErasure(c ClientRecord) []Event {
	if c.Erasing == uuid.Nil || c.Erased {
		return nil
	}
	return []Event{&ClientErased{RequestID: c.Erasing}}
}

// CaseReference is the short reference of a client's case that email
// notices about a locked case give instead of anything about the client
// (R-LOCK-8, R-NOTE-2): "C-" and the first eight hex digits of the client
// id. The Messages page shows it on each case, so the reference in a
// notice can be matched to its case.
func CaseReference(client uuid.UUID) string {
	return "C-" + strings.ToUpper(client.String()[:8])
}
