package ledger

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
)

// errViews stands for a views database that cannot be read.
var errViews = errors.New("views: database disk image is malformed")

// unreadableClients lists clients, or fails with err.
type unreadableClients struct {
	withData, erasing, erased []uuid.UUID
	err                       error
}

func (u unreadableClients) ClientsWithData() ([]uuid.UUID, error) { return u.withData, u.err }
func (u unreadableClients) ErasingClients() ([]uuid.UUID, error)  { return u.erasing, u.err }
func (u unreadableClients) ErasedClients() ([]uuid.UUID, error)   { return u.erased, u.err }

// erasedOnly fails the list of erased clients only.
type erasedOnly struct{ unreadableClients }

func (e erasedOnly) ErasingClients() ([]uuid.UUID, error) { return e.erasing, nil }

// erasingOnly fails the list of clients being erased only.
type erasingOnly struct{ unreadableClients }

func (e erasingOnly) ErasedClients() ([]uuid.UUID, error) { return e.erased, nil }

// shredLog records the clients whose key was destroyed.
type shredLog []uuid.UUID

func (s *shredLog) Destroy(_ context.Context, c uuid.UUID) error {
	*s = append(*s, c)
	return nil
}

// TestFinishErasuresReportsUnreadableLists_PRIV8: at start FinishErasures
// destroys again the key of every erased client, in case a restored
// key-store backup brought one back (R-PRIV-8). When the list of erased
// clients, or of clients being erased, could not be read it was an empty
// list: nothing was destroyed and the start went on. The error now stops
// FinishErasures, naming the cause.
func TestFinishErasuresReportsUnreadableLists_PRIV8(t *testing.T) {
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	svc := NewService(store, NewCodec(newMemKeys()), time.Now, uuid.New)
	erased := uuid.New()

	var shredded shredLog
	n, err := svc.FinishErasures(context.Background(), unreadableClients{erased: []uuid.UUID{erased}}, &shredded)
	if err != nil || n != 0 || len(shredded) != 1 || shredded[0] != erased {
		t.Fatalf("FinishErasures with readable lists = %d, %v, destroyed %v; want the erased client's key destroyed", n, err, shredded)
	}

	for name, lists := range map[string]ErasureLedger{
		"both lists":               unreadableClients{erased: nil, err: errViews},
		"the erased clients":       erasedOnly{unreadableClients{err: errViews}},
		"the clients being erased": erasingOnly{unreadableClients{erased: []uuid.UUID{erased}, err: errViews}},
	} {
		t.Run(name, func(t *testing.T) {
			var shredded shredLog
			n, err := svc.FinishErasures(context.Background(), lists, &shredded)
			if !errors.Is(err, errViews) || n != 0 {
				t.Fatalf("FinishErasures with %s unreadable = %d, %v; want the views' error", name, n, err)
			}
		})
	}
}

// TestCheckKeysReportsUnreadableClients_OPS4: the start's key check
// compares the key store with the clients with data in the ledger. When
// those could not be read it checked no one and passed; it now fails with
// the error (R-OPS-4).
func TestCheckKeysReportsUnreadableClients_OPS4(t *testing.T) {
	missing := uuid.New()
	store := &partialStore{}
	check, err := CheckKeys(context.Background(), unreadableClients{withData: []uuid.UUID{missing}}, store)
	if err != nil || len(check.Missing) != 1 {
		t.Fatalf("CheckKeys with a readable list = %+v, %v; want the client without a key found", check, err)
	}
	check, err = CheckKeys(context.Background(), unreadableClients{err: errViews}, store)
	if !errors.Is(err, errViews) {
		t.Fatalf("CheckKeys when the clients cannot be listed = %+v, %v; want the views' error", check, err)
	}
}

// unknownErasures cannot tell whether a client is erased.
type unknownErasures struct{}

func (unknownErasures) CheckErased(uuid.UUID) (bool, error) { return false, errViews }

// TestClientKeysUnusedWhenErasureUnknown_PRIV8: a key is used only once
// the ledger's erasure records say the client is not erased. When they
// could not be read the answer was "not erased", and a key a restored
// key-store backup brought back for an erased client was used. No key is
// used now: the read and the write are Unavailable, keeping the cause.
func TestClientKeysUnusedWhenErasureUnknown_PRIV8(t *testing.T) {
	store := &revivedStore{destroyed: map[uuid.UUID]bool{}}
	keys := NewClientKeys(store, unknownErasures{})
	client := uuid.New()
	key, isErased, err := keys.KeyForRead(context.Background(), client)
	if domain.ErrorCode(err) != domain.Unavailable || !errors.Is(err, errViews) || key != (DataKey{}) || isErased {
		t.Fatalf("KeyForRead when erasure is unknown = %v, %v, %v; want no key, Unavailable", key, isErased, err)
	}
	key, err = keys.KeyForWrite(context.Background(), client)
	if domain.ErrorCode(err) != domain.Unavailable || !errors.Is(err, errViews) || key != (DataKey{}) {
		t.Fatalf("KeyForWrite when erasure is unknown = %v, %v; want no key, Unavailable", key, err)
	}
	if len(store.destroyed) != 0 {
		t.Fatalf("keys destroyed when erasure is unknown: %v", store.destroyed)
	}
}
