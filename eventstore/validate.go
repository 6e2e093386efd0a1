package eventstore

import (
	"fmt"

	"github.com/google/uuid"
)

// ValidateAppend reports whether an append of events to stream is well
// formed, so every backend refuses the same shapes: at least one event, a
// non-empty stream, and for each event a non-nil id, a non-empty type and a
// schema version of at least 1, with no id repeated within the call. The
// error wraps ErrInvalid and names the offending event by its index.
func ValidateAppend(stream string, events []EventData) error {
	if stream == "" {
		return fmt.Errorf("%w: empty stream name", ErrInvalid)
	}
	if len(events) == 0 {
		return fmt.Errorf("%w: no events to append to %q", ErrInvalid, stream)
	}
	seen := make(map[uuid.UUID]struct{}, len(events))
	for i, ev := range events {
		switch {
		case ev.ID == uuid.Nil:
			return fmt.Errorf("%w: event %d has a nil id", ErrInvalid, i)
		case ev.Type == "":
			return fmt.Errorf("%w: event %d (%s) has an empty type", ErrInvalid, i, ev.ID)
		case ev.SchemaVersion < 1:
			return fmt.Errorf("%w: event %d (%s) has schema version %d, want >= 1", ErrInvalid, i, ev.ID, ev.SchemaVersion)
		}
		if _, dup := seen[ev.ID]; dup {
			return fmt.Errorf("%w: event id %s appears twice in one append", ErrInvalid, ev.ID)
		}
		seen[ev.ID] = struct{}{}
	}
	return nil
}
