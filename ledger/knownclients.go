package ledger

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/keystore"
)

// KnownClientsKeyPurpose names the network's blind-index key, the HMAC key
// of the known clients index (R-REF-14), among the keys derived from the
// master key (keystore.MasterKey.DeriveKey). Derived, it is kept, backed up,
// restored and shared between nodes exactly as the master key is, is never
// in the event log, and needs no entry of its own in the key store (whose
// entries are the clients' keys). A rotation of the master key changes it:
// the index, kept in the node's views with a check value of its key, is
// then rebuilt from the log with the key of the day at the next start.
// The label's version changes with the way names are compared
// (NormaliseClientName), so that marks made the old way are rebuilt too.
const KnownClientsKeyPurpose = "referral-ledger known-clients blind index v2"

// Mark is a blind-index entry: HMAC-SHA-256, under the network's index key,
// of a client's normalised name and date of birth. It identifies a person
// to whoever holds the key (pseudonymous personal data), so it is kept
// only in the known clients read model, in the node's views database
// (which overwrites deleted rows), and deleted there when the client's
// erasure starts; it is never written anywhere else.
type Mark [sha256.Size]byte

// IndexKey is the known clients index's HMAC key.
type IndexKey struct{ key keystore.DataKey }

// NewIndexKey returns the index key derived from the master key.
func NewIndexKey(master keystore.MasterKey) *IndexKey {
	return &IndexKey{key: master.DeriveKey(KnownClientsKeyPurpose)}
}

// Mark returns the blind-index entry of a name and date of birth.
func (k *IndexKey) Mark(_ context.Context, name, dateOfBirth string) (Mark, error) {
	return BlindIndex(k.key, name, dateOfBirth), nil
}

// BlindIndex is HMAC-SHA-256 under key of the normalised name, a zero
// byte and the normalised date of birth (NormaliseClientName,
// domain.NormaliseDateOfBirth).
func BlindIndex(key keystore.DataKey, name, dateOfBirth string) Mark {
	h := hmac.New(sha256.New, key[:])
	h.Write([]byte(NormaliseClientName(name)))
	h.Write([]byte{0})
	h.Write([]byte(domain.NormaliseDateOfBirth(dateOfBirth)))
	var m Mark
	h.Sum(m[:0])
	return m
}

// KnownClientsIndex finds, by name and date of birth, the clients an
// organisation already referred (R-REF-14).
type KnownClientsIndex interface {
	ReferredBy(ctx context.Context, org uuid.UUID, name, dateOfBirth string) ([]uuid.UUID, error)
}

// KnownClients lists the clients the actor's organisation already referred
// with the searched name and date of birth (R-REF-14), leaving out those a
// lock keeps the actor out of, as every list does (R-LOCK-2). The answer
// never names another organisation's client, nor an erased one. Errors:
// Forbidden (not an adviser or org lead), Invalid (naming the field),
// Unavailable (the key store).
func (s *Service) KnownClients(ctx context.Context, actor domain.Actor, q domain.ClientSearch, idx KnownClientsIndex, cases CaseIndex) ([]uuid.UUID, error) {
	err := domain.ValidateClientSearch(actor, q)
	if NameSetAside(q.Name) && domain.ErrorCode(err) != domain.Forbidden {
		// Searched for as no name at all, it is refused as an empty one.
		fields := []domain.FieldError{{Field: "name", Message: "is required"}}
		var e *domain.Error
		if errors.As(err, &e) {
			fields = append(fields, e.Fields...)
		}
		err = domain.InvalidFields(fields...)
	}
	if err != nil {
		return nil, err
	}
	found, err := idx.ReferredBy(ctx, actor.OrganisationID, q.Name, q.DateOfBirth)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	out := make([]uuid.UUID, 0, len(found))
	for _, client := range found {
		if _, open := domain.LockAccess(cases.LockOf(client), actor, now); open {
			out = append(out, client)
		}
	}
	return out, nil
}

// NormaliseClientName is the form of a client's name that the known
// clients index compares (R-REF-14), kept here
// rather than in the domain, which uses the standard library alone: case-folded, compatibility-decomposed
// (NFKD) with accents and other combining marks dropped, apostrophes and
// hyphens in any of their typed forms made one (a phone's or a word
// processor's ’ is the ' of a keyboard), and with runs of spaces
// collapsed to one and trimmed. "  Zoë  O’BRIEN " and "zoe o'brien" are
// the same name; "Zoe OBrien" is not. Decomposing before folding as well
// as after folds letters that only their decomposition makes capitals
// (Unicode's compatibility caseless match).
func NormaliseClientName(name string) string {
	fold := cases.Fold()
	decomposed := norm.NFKD.String(fold.String(norm.NFKD.String(strings.Map(namePunctuation, name))))
	var b strings.Builder
	b.Grow(len(decomposed))
	for _, r := range decomposed {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(namePunctuation(r))
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// NameSetAside reports whether a client's name that is not blank is made
// only of what NormaliseClientName sets aside (combining accents, spacing
// accents such as a lone diaeresis, spaces of any script): compared as no
// name at all, it is refused as an empty name is (R-REF-1, R-REF-14).
func NameSetAside(name string) bool {
	return strings.TrimSpace(name) != "" && NormaliseClientName(name) == ""
}

// namePunctuation writes the apostrophes and hyphens people type in names
// as the keyboard's ' and -.
func namePunctuation(r rune) rune {
	switch r {
	case '\u2018', '\u2019', '\u201B', '\u02BC', '\u2032', '`', '\u00B4', '\uFF07':
		return '\''
	case '\u2010', '\u2011', '\u2012', '\u2013', '\u2014', '\u2015', '\u2212', '\uFE63', '\uFF0D':
		return '-'
	}
	return r
}

// DecodeClient returns the client's details sealed in a stored
// referral.made: what Decode sets in the event's Client, for the known
// clients index (R-REF-14), which needs nothing else of the event. It
// reads only the payload's sealed box and opens it, instead of decoding
// the whole event again after the public codec has. erased is true when
// the client's data was erased; a referral with no box gives no details.
// Errors: those of Decode (a codec without keys, the key store, a box
// that does not open or parse).
func (c *Codec) DecodeClient(ctx context.Context, rec eventstore.RecordedEvent) (client domain.Client, erased bool, err error) {
	if rec.Type != domain.ReferralMadeType {
		return domain.Client{}, false, fmt.Errorf("decode the client of event %s: a %s is not a referral.made", rec.ID, rec.Type)
	}
	data, err := upcast(rec.Type, rec.SchemaVersion, rec.Data)
	if err != nil {
		return domain.Client{}, false, fmt.Errorf("decode the client of event %s: %w", rec.ID, err)
	}
	var payload struct {
		Sealed *sealed `json:"sealed"`
	}
	// Only the box is decoded, found without decoding the rest of the
	// payload when that gives what decoding it all would.
	if raw, ok := topMember(data, sealedField); !ok {
		err = json.Unmarshal(data, &payload)
	} else if raw != nil {
		if payload.Sealed, ok = sealedMember(raw); !ok {
			err = json.Unmarshal(raw, &payload.Sealed)
		}
	}
	if err != nil {
		return domain.Client{}, false, fmt.Errorf("decode the client of event %s: %w", rec.ID, err)
	}
	if payload.Sealed == nil {
		return domain.Client{}, false, nil
	}
	if c.keys == nil {
		return domain.Client{}, false, fmt.Errorf("decode the client of event %s: a public codec opens no box", rec.ID)
	}
	key, erased, err := c.keys.KeyForRead(ctx, payload.Sealed.ClientID)
	if err != nil || erased {
		return domain.Client{}, erased, err
	}
	plain, err := openBox(key, payload.Sealed.Box, associatedData(rec.ID, payload.Sealed.ClientID))
	if err != nil {
		return domain.Client{}, false, fmt.Errorf("decode the client of event %s: %w", rec.ID, err)
	}
	var fields struct {
		Client domain.Client `json:"client"`
	}
	if raw, ok := topMember(plain, "client"); !ok {
		err = json.Unmarshal(plain, &fields)
	} else if raw != nil {
		err = json.Unmarshal(raw, &fields.Client)
	}
	if err != nil {
		return domain.Client{}, false, fmt.Errorf("decode the client of event %s: %w", rec.ID, err)
	}
	return fields.Client, false, nil
}
