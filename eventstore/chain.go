package eventstore

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// GenesisHash is the PrevHash of the first event of every stream.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// ComputeHash returns the hex SHA-256 that seals an event (R-LEDGER-4): it
// covers the previous event's hash, the stream, revision, event id, type,
// schema version, the data bytes exactly as stored (ciphertext where client
// data is encrypted) and the metadata without its Hash field. Every field is
// length-prefixed so no two different events encode alike.
func ComputeHash(stream string, revision uint64, id uuid.UUID, eventType string, schemaVersion int, data []byte, meta Metadata) string {
	var buf [1024]byte
	sum := hashSum(buf[:0], stream, revision, id, eventType, schemaVersion, data, meta)
	return hex.EncodeToString(sum[:])
}

// HashMatches reports whether ComputeHash of the event gives want, without
// allocating for an event of common size.
func HashMatches(want string, stream string, revision uint64, id uuid.UUID, eventType string, schemaVersion int, data []byte, meta Metadata) bool {
	if len(want) != 2*sha256.Size {
		return false
	}
	var buf [1024]byte
	sum := hashSum(buf[:0], stream, revision, id, eventType, schemaVersion, data, meta)
	var got [2 * sha256.Size]byte
	hex.Encode(got[:], sum[:])
	return string(got[:]) == want
}

// hashSum is the SHA-256 ComputeHash hex-encodes, of the fields laid out
// in buf (grown if the event does not fit).
func hashSum(buf []byte, stream string, revision uint64, id uuid.UUID, eventType string, schemaVersion int, data []byte, meta Metadata) [sha256.Size]byte {
	meta.Hash = ""
	var mbuf [512]byte
	metaBytes, ok := appendMetadataJSON(mbuf[:0], meta)
	if !ok {
		var err error
		if metaBytes, err = json.Marshal(meta); err != nil {
			// Metadata holds only strings and a time; Marshal fails only
			// on a year outside 0..9999.
			panic(fmt.Sprintf("eventstore: marshal metadata: %v", err))
		}
	}
	var n [8]byte
	buf = appendField(buf, meta.PrevHash)
	buf = appendField(buf, stream)
	binary.BigEndian.PutUint64(n[:], revision)
	buf = appendField(buf, n[:])
	buf = appendField(buf, id[:])
	buf = appendField(buf, eventType)
	binary.BigEndian.PutUint64(n[:], uint64(schemaVersion))
	buf = appendField(buf, n[:])
	buf = appendField(buf, data)
	buf = appendField(buf, metaBytes)
	return sha256.Sum256(buf)
}

// appendField appends b with its length before it, as 8 bytes big-endian.
func appendField[T string | []byte](buf []byte, b T) []byte {
	buf = binary.BigEndian.AppendUint64(buf, uint64(len(b)))
	return append(buf, b...)
}

// appendMetadataJSON appends exactly what json.Marshal(meta) returns, for
// the common case it can do without reflection: every string made of
// printable ASCII that JSON leaves unescaped, and a time in UTC in a year
// JSON can encode.
// It reports false, having appended nothing useful, otherwise.
func appendMetadataJSON(dst []byte, meta Metadata) ([]byte, bool) {
	if y := meta.RecordedAt.Year(); y < 0 || y > 9999 {
		return dst, false
	}
	if _, offset := meta.RecordedAt.Zone(); offset != 0 {
		return dst, false
	}
	dst = append(dst, '{')
	field := func(name, value string, omitEmpty bool) bool {
		if omitEmpty && value == "" {
			return true
		}
		for i := range len(value) {
			if c := value[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
				return false
			}
		}
		if len(dst) > 1 {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = append(dst, name...)
		dst = append(dst, `":"`...)
		dst = append(dst, value...)
		dst = append(dst, '"')
		return true
	}
	ok := field("actor_user_id", meta.ActorUserID, true) &&
		field("actor_organisation_id", meta.ActorOrganisationID, true)
	if !ok {
		return dst, false
	}
	if len(dst) > 1 {
		dst = append(dst, ',')
	}
	dst = append(dst, `"recorded_at":"`...)
	dst = meta.RecordedAt.AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, '"')
	ok = field("correlation_id", meta.CorrelationID, true) &&
		field("causation_id", meta.CausationID, true) &&
		field("prev_hash", meta.PrevHash, false) &&
		field("hash", meta.Hash, true)
	return append(dst, '}'), ok
}

// Seal returns ev's metadata with PrevHash and Hash set for its place at
// revision in stream, after an event whose hash is prevHash (GenesisHash for
// the first event). Backends call it inside their append.
func Seal(stream string, revision uint64, prevHash string, ev EventData) Metadata {
	meta := ev.Metadata
	meta.RecordedAt = meta.RecordedAt.UTC()
	meta.PrevHash = prevHash
	meta.Hash = ComputeHash(stream, revision, ev.ID, ev.Type, ev.SchemaVersion, ev.Data, meta)
	return meta
}

// BrokenLinkError names the first event at which a chain fails to verify.
type BrokenLinkError struct {
	Stream   string
	Revision uint64
	Position Position
	EventID  uuid.UUID
	Reason   string
}

func (e *BrokenLinkError) Error() string {
	return fmt.Sprintf("chain broken at stream %q revision %d (position %d, event %s): %s",
		e.Stream, e.Revision, e.Position, e.EventID, e.Reason)
}

// ChainVerifier checks events one at a time, in global order, against the
// hash chains of their streams. The zero value is not usable; use
// NewChainVerifier.
type ChainVerifier struct {
	heads map[string]chainHead
}

type chainHead struct {
	revision uint64
	hash     string
}

// NewChainVerifier returns a verifier that has seen no events.
func NewChainVerifier() *ChainVerifier {
	return &ChainVerifier{heads: make(map[string]chainHead)}
}

// Check verifies ev follows the last event seen in its stream: its revision
// is the next one, its PrevHash is that event's hash, and its own Hash
// recomputes. It returns a *BrokenLinkError otherwise.
func (v *ChainVerifier) Check(ev RecordedEvent) error {
	return v.check(&ev, nil)
}

// CheckHashed is Check for an event whose hash the caller has recomputed
// already (with HashMatches): hashMatches says whether it matched. It
// gives the same answer as Check, in the same order of checks, so a
// verifier can recompute hashes in parallel and check the links in order.
func (v *ChainVerifier) CheckHashed(ev *RecordedEvent, hashMatches bool) error {
	return v.check(ev, &hashMatches)
}

func (v *ChainVerifier) check(ev *RecordedEvent, hashMatches *bool) error {
	broken := func(format string, args ...any) error {
		return &BrokenLinkError{Stream: ev.Stream, Revision: ev.Revision, Position: ev.Position, EventID: ev.ID,
			Reason: fmt.Sprintf(format, args...)}
	}
	head, seen := v.heads[ev.Stream]
	wantRev, wantPrev := uint64(0), GenesisHash
	if seen {
		wantRev, wantPrev = head.revision+1, head.hash
	}
	if ev.Revision != wantRev {
		return broken("revision %d follows revision %d: an event is missing or out of order", ev.Revision, int64(wantRev)-1)
	}
	if ev.Metadata.PrevHash != wantPrev {
		return broken("prev_hash does not match the hash of the previous event")
	}
	if hashMatches == nil {
		ok := HashMatches(ev.Metadata.Hash, ev.Stream, ev.Revision, ev.ID, ev.Type, ev.SchemaVersion, ev.Data, ev.Metadata)
		hashMatches = &ok
	}
	if !*hashMatches {
		return broken("hash does not match the event's contents")
	}
	v.heads[ev.Stream] = chainHead{revision: ev.Revision, hash: ev.Metadata.Hash}
	return nil
}

// Streams returns how many streams the verifier has seen.
func (v *ChainVerifier) Streams() int { return len(v.heads) }
