package ledger

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"

	"github.com/referral-ledger/ledger/domain"
)

// DecryptedJSON is an event's payload as decrypted for a case bundle
// (R-AUD-3), whose reader passed the same access check as a read of the
// case's history: present only for an event with sealed client data that
// was opened; nil for one with nothing sealed (its stored data is already
// readable) and once the client is erased.
func DecryptedJSON(e HistoryEntry) (json.RawMessage, error) {
	if e.Decoded.Erased || e.Decoded.Withheld || !HasSealed(e.Stored.Data) {
		return nil, nil
	}
	return json.Marshal(e.Decoded.Event)
}

// HasSealed reports whether stored event data carries a sealed box of
// encrypted client data.
func HasSealed(data []byte) bool {
	var fields map[string]json.RawMessage
	if json.Unmarshal(data, &fields) != nil {
		return false
	}
	_, ok := fields[sealedField]
	return ok
}

// CheckDecrypted checks, without the key, that a decrypted payload can be
// the stored data it claims to come from: the stored data has a sealed box,
// every member stored in the clear appears in the decrypted payload with
// the same value, and every other member of the decrypted payload is a
// field the event type keeps encrypted. It cannot show that the sealed
// fields are what the box holds: only the server can open it.
func CheckDecrypted(eventType string, schemaVersion int, stored, decrypted []byte) error {
	ev, ok := domain.NewEvent(eventType)
	if !ok {
		return fmt.Errorf("unknown event type %q", eventType)
	}
	data, err := upcast(eventType, schemaVersion, stored)
	if err != nil {
		return err
	}
	var public, plain map[string]any
	if err := json.Unmarshal(data, &public); err != nil {
		return errors.New("the stored data is not a JSON object")
	}
	if err := json.Unmarshal(decrypted, &plain); err != nil || plain == nil {
		return errors.New("the decrypted part is not a JSON object")
	}
	if _, ok := public[sealedField]; !ok {
		return errors.New("a decrypted part for an event with nothing encrypted")
	}
	delete(public, sealedField)
	for _, name := range sortedKeys(public) {
		v, ok := plain[name]
		if !ok {
			return fmt.Errorf("the decrypted part lacks %q, stored in the clear", name)
		}
		if !reflect.DeepEqual(v, public[name]) {
			return fmt.Errorf("the decrypted part's %q differs from the stored one", name)
		}
	}
	sensitive := sensitiveFields(ev)
	for _, name := range sortedKeys(plain) {
		if _, ok := public[name]; !ok && !slices.Contains(sensitive, name) {
			return fmt.Errorf("the decrypted part has %q, neither stored in the clear nor a field %s keeps encrypted", name, eventType)
		}
	}
	return nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
