// Package ledger turns commands into events: it loads an aggregate by
// replaying its stream, asks the pure domain to decide, and appends the
// result with optimistic concurrency. It also owns the event codec, the one
// place where domain events become stored bytes and back.
package ledger

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
)

// Keys gives the codec the data key of a client (R-PRIV-1).
//
// KeyForWrite returns the client's key, creating it on first use; it fails
// with Conflict for an erased client, who never gets a new key. KeyForRead
// returns the key, or erased=true when the client's data was erased. Both
// fail with Unavailable when the key store cannot be reached: an
// unreachable store is never reported as erased.
type Keys interface {
	KeyForWrite(ctx context.Context, client uuid.UUID) (DataKey, error)
	KeyForRead(ctx context.Context, client uuid.UUID) (key DataKey, erased bool, err error)
}

// DataKey is a client's AES-256 key.
type DataKey = [32]byte

// sealedField is the JSON member that holds an event's encrypted fields.
const sealedField = "sealed"

// sealed is the stored form of an event's sensitive fields: the client they
// belong to and the AES-256-GCM box (nonce then ciphertext) of their JSON.
type sealed struct {
	ClientID uuid.UUID `json:"client_id"`
	Box      []byte    `json:"box"`
}

// Codec encodes domain events for the store and decodes them back,
// encrypting the fields tagged sensitive under the client's key and
// applying upcasters so old payload shapes read as today's.
type Codec struct {
	keys Keys // nil: a public codec, which never decrypts
}

// NewCodec returns a codec that encrypts and decrypts with keys.
func NewCodec(keys Keys) *Codec { return &Codec{keys: keys} }

// NewPublicCodec returns a codec that decodes only the non-personal fields
// of events (sensitive ones are left zero and marked Withheld) and cannot
// encode. Projections use it, so read models never hold client data.
func NewPublicCodec() *Codec { return &Codec{} }

// Encode returns the stored form of ev with the given id and metadata.
// Sensitive fields are sealed under the key of ev's data subject.
func (c *Codec) Encode(ctx context.Context, id uuid.UUID, ev domain.Event, meta eventstore.Metadata) (eventstore.EventData, error) {
	if a, ok := ev.(*domain.AccessRecorded); ok && a.Reason == "" {
		// The record of a read given no reason, made on every read: it
		// has nothing to seal, so it is stored as the general path below
		// stores it (the payload re-encoded with its members in name
		// order), in one encoding instead of three.
		data, err := json.Marshal(accessRecordedStoredFrom(*a))
		if err != nil {
			return eventstore.EventData{}, fmt.Errorf("encode %s: %w", ev.EventType(), err)
		}
		return eventstore.EventData{ID: id, Type: ev.EventType(), SchemaVersion: domain.SchemaVersion, Data: data, Metadata: meta}, nil
	}
	data, err := json.Marshal(ev)
	if err != nil {
		return eventstore.EventData{}, fmt.Errorf("encode %s: %w", ev.EventType(), err)
	}
	if names := sensitiveFields(ev); len(names) > 0 && !(noSubject(ev) && sensitiveEmpty(ev)) {
		subject, ok := ev.(domain.Sensitive)
		if !ok || subject.DataSubject() == uuid.Nil {
			return eventstore.EventData{}, fmt.Errorf("encode %s: sensitive fields without a data subject", ev.EventType())
		}
		if c.keys == nil {
			return eventstore.EventData{}, fmt.Errorf("encode %s: a public codec cannot seal client data", ev.EventType())
		}
		if data, err = c.seal(ctx, id, subject.DataSubject(), data, names); err != nil {
			return eventstore.EventData{}, err
		}
	}
	return eventstore.EventData{ID: id, Type: ev.EventType(), SchemaVersion: domain.SchemaVersion, Data: data, Metadata: meta}, nil
}

// accessRecordedStored is domain.AccessRecorded without its reason, with
// its members in name order: the stored form seal gives a record whose
// reason is empty (json.Marshal of the map of its members).
type accessRecordedStored struct {
	ClientID   uuid.UUID `json:"client_id"`
	Endpoint   string    `json:"endpoint"`
	Grant      string    `json:"grant"`
	Locked     bool      `json:"locked"`
	ReferralID uuid.UUID `json:"referral_id"`
}

func accessRecordedStoredFrom(a domain.AccessRecorded) accessRecordedStored {
	return accessRecordedStored{ClientID: a.ClientID, Endpoint: a.Endpoint, Grant: a.Grant, Locked: a.Locked, ReferralID: a.ReferralID}
}

// seal moves the named members of the JSON object data into an encrypted
// box under the client's key. The box holds the sensitive members, and the
// stored object the others and the box, each as json.Marshal writes a map
// of them (members in name order); data as json.Marshal wrote it is split
// and joined again directly (splitMembers), and anything else goes the
// way of the map (sealMaps), which gives the same bytes.
func (c *Codec) seal(ctx context.Context, id, client uuid.UUID, data []byte, names []string) ([]byte, error) {
	var buf [24]member
	members, ok := splitMembers(data, buf[:0])
	if !ok {
		return c.sealMaps(ctx, id, client, data, names)
	}
	slices.SortFunc(members, func(a, b member) int { return strings.Compare(a.name, b.name) })
	var private, public []member
	var privBuf, pubBuf [24]member
	private, public = privBuf[:0], pubBuf[:0]
	for _, m := range members {
		switch {
		case slices.Contains(names, m.name):
			if !isEmptyJSON(m.raw) {
				private = append(private, m)
			}
		case m.name != sealedField: // the box's place, as the map's key would be overwritten
			public = append(public, m)
		}
	}
	if len(private) == 0 {
		// Nothing personal to keep: no box, and so no key needed, which is
		// what lets an erased client's referral still close (with no
		// comment).
		return joinMembers(public, len(data)), nil
	}
	key, err := c.keys.KeyForWrite(ctx, client)
	if err != nil {
		return nil, err
	}
	box, err := sealBox(key, joinMembers(private, len(data)), associatedData(id, client))
	if err != nil {
		return nil, err
	}
	boxJSON, err := json.Marshal(sealed{ClientID: client, Box: box})
	if err != nil {
		return nil, err
	}
	i, _ := slices.BinarySearchFunc(public, sealedField, func(m member, name string) int { return strings.Compare(m.name, name) })
	public = slices.Insert(public, i, member{name: sealedField, raw: boxJSON})
	return joinMembers(public, len(data)+len(boxJSON)), nil
}

// sealMaps is seal through maps of the members, for data splitMembers
// does not take.
func (c *Codec) sealMaps(ctx context.Context, id, client uuid.UUID, data []byte, names []string) ([]byte, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, err
	}
	private := make(map[string]json.RawMessage, len(names))
	for _, n := range names {
		if v, ok := fields[n]; ok {
			if !isEmptyJSON(v) {
				private[n] = v
			}
			delete(fields, n)
		}
	}
	if len(private) == 0 {
		return json.Marshal(fields)
	}
	plain, err := json.Marshal(private)
	if err != nil {
		return nil, err
	}
	key, err := c.keys.KeyForWrite(ctx, client)
	if err != nil {
		return nil, err
	}
	box, err := sealBox(key, plain, associatedData(id, client))
	if err != nil {
		return nil, err
	}
	if fields[sealedField], err = json.Marshal(sealed{ClientID: client, Box: box}); err != nil {
		return nil, err
	}
	return json.Marshal(fields)
}

// member is a member of a JSON object: its name and its value's bytes.
type member struct {
	name string
	raw  []byte
}

// splitMembers appends to out the members of data, a JSON object as
// json.Marshal writes one: compact, every value compact and escaped as it
// escapes them, no name escaped. It says false for anything else (white
// space, a name with an escape, not an object), which the caller then
// parses the general way. The values share data's bytes.
func splitMembers(data []byte, out []member) ([]member, bool) {
	if len(data) < 2 || data[0] != '{' {
		return out, false
	}
	i := 1
	if data[i] == '}' {
		return out, i+1 == len(data)
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return out, false
		}
		end := bytes.IndexByte(data[i+1:], '"')
		if end < 0 {
			return out, false
		}
		name := data[i+1 : i+1+end]
		if bytes.IndexByte(name, '\\') >= 0 {
			return out, false
		}
		i += end + 2
		if i >= len(data) || data[i] != ':' {
			return out, false
		}
		i++
		n, ok := valueEnd(data, i)
		if !ok {
			return out, false
		}
		out = append(out, member{name: string(name), raw: data[i:n]})
		i = n
		if i >= len(data) {
			return out, false
		}
		switch data[i] {
		case ',':
			i++
		case '}':
			return out, i+1 == len(data)
		default:
			return out, false
		}
	}
}

// valueEnd returns the index just past the compact JSON value at data[i].
func valueEnd(data []byte, i int) (int, bool) {
	depth := 0
	for ; i < len(data); i++ {
		switch data[i] {
		case '"':
			for i++; i < len(data) && data[i] != '"'; i++ {
				if data[i] == '\\' {
					i++
				}
			}
			if i >= len(data) {
				return i, false
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i, true
			}
			depth--
		case ',':
			if depth == 0 {
				return i, true
			}
		}
		if depth == 0 && (data[i] == '"' || data[i] == '}' || data[i] == ']') {
			return i + 1, true
		}
	}
	return i, depth == 0
}

// joinMembers writes members as a JSON object, as json.Marshal writes a
// map of them when they are in name order.
func joinMembers(members []member, size int) []byte {
	out := make([]byte, 0, size+16)
	out = append(out, '{')
	for i, m := range members {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, '"')
		out = append(out, m.name...)
		out = append(out, '"', ':')
		out = append(out, m.raw...)
	}
	return append(out, '}')
}

// Decode returns the domain view of a stored event, decrypting its sealed
// fields unless the codec is public or the client's data was erased.
// Unknown event types and payloads newer than this code are errors:
// replaying them wrongly would be worse than stopping.
//
// The payload is parsed once, straight into the typed event (its sealed
// box, if any, into a field beside it); only a box that is opened is
// parsed again, the small JSON of its own fields, into the same event.
func (c *Codec) Decode(ctx context.Context, rec eventstore.RecordedEvent) (domain.Recorded, error) {
	carrier, ok := carrierOfType(rec.Type)
	if !ok {
		return domain.Recorded{}, fmt.Errorf("decode event %s: unknown type %q", rec.ID, rec.Type)
	}
	data, err := upcast(rec.Type, rec.SchemaVersion, rec.Data)
	if err != nil {
		return domain.Recorded{}, fmt.Errorf("decode event %s: %w", rec.ID, err)
	}
	out := domain.Recorded{
		At:                  rec.Metadata.RecordedAt,
		ActorUserID:         parseID(rec.Metadata.ActorUserID),
		ActorOrganisationID: parseID(rec.Metadata.ActorOrganisationID),
		Revision:            rec.Revision,
	}
	var ev domain.Event
	var box *sealed
	switch {
	case carrier != nil && c.keys == nil:
		// A public codec opens no box: it only needs to know there is
		// one, and parses the event beside a placeholder that skips the
		// box's contents (no base64 decoding, no copy).
		// The box's bytes, most of a sealed payload's, are not even
		// read when the payload can be parsed without them (withoutBox).
		v := reflect.New(publicCarrierOf(carrier))
		doc, withheld, ok := withoutBox(data)
		if !ok {
			doc = data
		}
		if err = json.Unmarshal(doc, v.Interface()); err == nil {
			ev, _ = v.Elem().Field(0).Addr().Interface().(domain.Event)
			if withheld || !v.Elem().Field(1).IsNil() {
				out.Event, out.Withheld = ev, true
				return out, nil
			}
		}
	case carrier != nil:
		// The event is the carrier's first field: parsed in place, not
		// copied out.
		v := reflect.New(carrier)
		if err = json.Unmarshal(data, v.Interface()); err == nil {
			ev, _ = v.Elem().Field(0).Addr().Interface().(domain.Event)
			box, _ = v.Elem().Field(1).Interface().(*sealed)
		}
	default:
		ev, _ = domain.NewEvent(rec.Type)
		box, err = decodePayload(data, ev)
	}
	if err != nil {
		return domain.Recorded{}, fmt.Errorf("decode event %s (%s): %w", rec.ID, rec.Type, err)
	}
	out.Event = ev
	if box != nil {
		if err := c.open(ctx, rec.ID, box, ev, &out); err != nil {
			return domain.Recorded{}, fmt.Errorf("decode event %s (%s): %w", rec.ID, rec.Type, err)
		}
	}
	return out, nil
}

// decodePayload parses data into ev, an event's pointer to struct, and
// returns its sealed box, nil when it has none. The event is parsed inside
// a carrier struct of its type (see carrierOf) that also holds the box, so
// the payload is read once.
func decodePayload(data []byte, ev domain.Event) (*sealed, error) {
	target := reflect.ValueOf(ev)
	carrier := carrierOf(target.Type())
	if carrier == nil {
		// Not a pointer to a struct: it cannot have a box beside it.
		return nil, json.Unmarshal(data, ev)
	}
	v := reflect.New(carrier)
	if err := json.Unmarshal(data, v.Interface()); err != nil {
		return nil, err
	}
	target.Elem().Set(v.Elem().Field(0))
	box, _ := v.Elem().Field(1).Interface().(*sealed)
	return box, nil
}

// carrierOfType returns the carrier of an event type (nil for an event
// that is not a pointer to a named struct) and false for a type the
// domain does not know.
func carrierOfType(eventType string) (reflect.Type, bool) {
	if c, ok := typeCarriers.Load(eventType); ok {
		t, _ := c.(reflect.Type)
		return t, true
	}
	ev, ok := domain.NewEvent(eventType)
	if !ok {
		return nil, false
	}
	// The carrier's first field has the type ev points to: its address
	// is an event of the same type.
	carrier := carrierOf(reflect.TypeOf(ev))
	typeCarriers.Store(eventType, carrier)
	return carrier, true
}

// publicCarrierOf returns the carrier's twin for a public codec: the same
// event beside a Sealed field that takes the sealed member without its
// contents.
func publicCarrierOf(carrier reflect.Type) reflect.Type {
	if c, ok := publicCarriers.Load(carrier); ok {
		return c.(reflect.Type)
	}
	public := reflect.StructOf([]reflect.StructField{
		carrier.Field(0),
		{Name: "Sealed", Type: reflect.TypeFor[*struct{}](), Tag: `json:"` + sealedField + `"`},
	})
	publicCarriers.Store(carrier, public)
	return public
}

var publicCarriers sync.Map // reflect.Type (carrier) -> reflect.Type

// typeCarriers maps an event type to its carrier (see carrierOf).
var typeCarriers sync.Map // string -> reflect.Type (nil when there is none)

// carriers maps an event's pointer type to its carrier type: a struct that
// embeds the event's struct, so encoding/json fills the event's fields,
// beside a Sealed field taking the sealed member.
var carriers sync.Map // reflect.Type -> reflect.Type (nil when there is none)

func carrierOf(ptr reflect.Type) reflect.Type {
	if c, ok := carriers.Load(ptr); ok {
		t, _ := c.(reflect.Type)
		return t
	}
	var carrier reflect.Type
	if ptr.Kind() == reflect.Pointer && ptr.Elem().Kind() == reflect.Struct && ptr.Elem().Name() != "" {
		carrier = reflect.StructOf([]reflect.StructField{
			{Name: ptr.Elem().Name(), Type: ptr.Elem(), Anonymous: true},
			{Name: "Sealed", Type: reflect.TypeFor[*sealed](), Tag: `json:"` + sealedField + `"`},
		})
	}
	carriers.Store(ptr, carrier)
	return carrier
}

// open decrypts a sealed box into ev, or marks the event Withheld or
// Erased.
func (c *Codec) open(ctx context.Context, id uuid.UUID, s *sealed, ev domain.Event, out *domain.Recorded) error {
	if c.keys == nil {
		out.Withheld = true
		return nil
	}
	key, erased, err := c.keys.KeyForRead(ctx, s.ClientID)
	if err != nil {
		return err
	}
	if erased {
		out.Erased = true
		return nil
	}
	plain, err := openBox(key, s.Box, associatedData(id, s.ClientID))
	if err != nil {
		return err
	}
	// The box holds only the sensitive fields; parsing it into the event
	// sets them and leaves the public ones as they are.
	return json.Unmarshal(plain, ev)
}

// isEmptyJSON reports whether v is a zero value: "", null, {}, [], false or
// 0, which decodes to the same zero value when left out.
func isEmptyJSON(v json.RawMessage) bool {
	switch string(bytes.TrimSpace(v)) {
	case `""`, "null", "{}", "[]", "false", "0":
		return true
	}
	return false
}

// sensitiveFields lists the JSON names of ev's fields tagged
// `sensitive:"true"`.
func sensitiveFields(ev domain.Event) []string {
	t := reflect.TypeOf(ev)
	if names, ok := sensitiveNames.Load(t); ok {
		return names.([]string)
	}
	names := sensitiveFieldsOf(t)
	sensitiveNames.Store(t, names)
	return names
}

// sensitiveNames caches sensitiveFieldsOf by event type.
var sensitiveNames sync.Map // reflect.Type → []string

// noSubject reports whether ev names no data subject.
func noSubject(ev domain.Event) bool {
	subject, ok := ev.(domain.Sensitive)
	return !ok || subject.DataSubject() == uuid.Nil
}

// sensitiveEmpty reports whether every sensitive field of ev is empty: an
// event recorded as it was before it could carry client data (a lock
// approval without a reason or client id) has nothing to seal, and needs
// no data subject.
func sensitiveEmpty(ev domain.Event) bool {
	v := reflect.ValueOf(ev)
	if v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return true
	}
	for i := range v.NumField() {
		if v.Type().Field(i).Tag.Get("sensitive") == "true" && !v.Field(i).IsZero() {
			return false
		}
	}
	return true
}

func sensitiveFieldsOf(t reflect.Type) []string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil
	}
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Tag.Get("sensitive") != "true" {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	return names
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

// EventJSON renders a decoded event's payload for people to read: an
// erased or withheld event shows its sensitive fields as null and says
// "erased": true, so a reader never mistakes a shredded field for an empty
// one (R-PRIV-3).
func EventJSON(rec domain.Recorded) (json.RawMessage, error) {
	data, err := json.Marshal(rec.Event)
	if err != nil || (!rec.Erased && !rec.Withheld) {
		return data, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, err
	}
	for _, name := range sensitiveFields(rec.Event) {
		fields[name] = json.RawMessage("null")
	}
	if rec.Erased {
		fields["erased"] = json.RawMessage("true")
	}
	return json.Marshal(fields)
}
