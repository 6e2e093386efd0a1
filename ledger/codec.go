// Package ledger turns commands into events: it loads an aggregate by
// replaying its stream, asks the pure domain to decide, and appends the
// result with optimistic concurrency. It also owns the event codec, the one
// place where domain events become stored bytes and back.
package ledger

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
)

// Codec encodes domain events for the store and decodes them back, applying
// upcasters so old payload shapes read as today's.
type Codec struct{}

// NewCodec returns the codec for today's event schema.
func NewCodec() *Codec { return &Codec{} }

// Encode returns the stored form of ev with the given id and metadata.
func (c *Codec) Encode(id uuid.UUID, ev domain.Event, meta eventstore.Metadata) (eventstore.EventData, error) {
	data, err := json.Marshal(ev)
	if err != nil {
		return eventstore.EventData{}, fmt.Errorf("encode %s: %w", ev.EventType(), err)
	}
	return eventstore.EventData{ID: id, Type: ev.EventType(), SchemaVersion: domain.SchemaVersion, Data: data, Metadata: meta}, nil
}

// Decode returns the domain view of a stored event. Unknown event types and
// payloads newer than this code are errors: replaying them wrongly would be
// worse than stopping.
func (c *Codec) Decode(rec eventstore.RecordedEvent) (domain.Recorded, error) {
	ev, ok := domain.NewEvent(rec.Type)
	if !ok {
		return domain.Recorded{}, fmt.Errorf("decode event %s: unknown type %q", rec.ID, rec.Type)
	}
	data, err := upcast(rec.Type, rec.SchemaVersion, rec.Data)
	if err != nil {
		return domain.Recorded{}, fmt.Errorf("decode event %s: %w", rec.ID, err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(ev); err != nil {
		return domain.Recorded{}, fmt.Errorf("decode event %s (%s): %w", rec.ID, rec.Type, err)
	}
	return domain.Recorded{
		Event:               ev,
		At:                  rec.Metadata.RecordedAt,
		ActorUserID:         parseID(rec.Metadata.ActorUserID),
		ActorOrganisationID: parseID(rec.Metadata.ActorOrganisationID),
		Revision:            rec.Revision,
	}, nil
}

// upcast brings a payload written with an older schema version up to
// today's shape. Every event type is at version 1, so there is nothing to
// convert yet; a payload change adds a case here and a golden file of the
// old shape in testdata/.
func upcast(eventType string, version int, data []byte) ([]byte, error) {
	if version < 1 || version > domain.SchemaVersion {
		return nil, fmt.Errorf("%s has schema version %d; this build reads up to %d", eventType, version, domain.SchemaVersion)
	}
	return data, nil
}

func parseID(s string) uuid.UUID {
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil
	}
	return id
}
