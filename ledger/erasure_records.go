package ledger

import (
	"context"
	"strings"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
)

// ErasureRecords is the ledger's own record of which clients are being or
// have been erased, read from the client streams' erasure events. Tools
// that run without the server (`ledger history`, migrations, master-key
// rotation) give it to NewClientKeys, so they check erasure exactly as the
// server does (R-PRIV-8); the key store's tombstones are not enough, since
// a restored key-store backup has lost them.
type ErasureRecords struct {
	erasing map[uuid.UUID]struct{}
	erased  map[uuid.UUID]struct{}
}

// erasureRecordsPage is how many events ReadErasureRecords reads at once.
const erasureRecordsPage = 500

// ReadErasureRecords reads the whole ledger and folds every client stream
// through the domain's EvolveClient, decoding with the public codec (no
// key is needed to know a client is erased). Errors: the store's, and a
// decoding error for an event this build cannot read.
func ReadErasureRecords(ctx context.Context, store eventstore.Store) (*ErasureRecords, error) {
	return ReadErasureRecordsAfter(ctx, store, eventstore.Start)
}

// ReadErasureRecordsAfter is ReadErasureRecords over the events after
// position only: the erasures recorded there (a client's earlier events do
// not undo an erasure, so folding a stream's later part finds each one).
func ReadErasureRecordsAfter(ctx context.Context, store eventstore.Store, position eventstore.Position) (*ErasureRecords, error) {
	clients := map[uuid.UUID]domain.ClientRecord{}
	codec := NewPublicCodec()
	for after := position; ; {
		page, err := store.ReadAll(ctx, after, erasureRecordsPage)
		if err != nil {
			return nil, storeError(err)
		}
		for _, ev := range page {
			after = ev.Position
			id, ok := clientOfStream(ev.Stream)
			if !ok {
				continue
			}
			rec, err := codec.Decode(ctx, ev)
			if err != nil {
				return nil, err
			}
			clients[id] = domain.EvolveClient(clients[id], rec)
		}
		if len(page) == 0 {
			break
		}
	}
	r := &ErasureRecords{erasing: map[uuid.UUID]struct{}{}, erased: map[uuid.UUID]struct{}{}}
	for id, c := range clients {
		switch {
		case c.Erased:
			r.erased[id] = struct{}{}
		case c.Erasing != uuid.Nil:
			r.erasing[id] = struct{}{}
		}
	}
	return r, nil
}

// clientOfStream returns the client whose stream this is.
func clientOfStream(stream string) (uuid.UUID, bool) {
	rest, ok := strings.CutPrefix(stream, ClientPrefix)
	if !ok {
		return uuid.Nil, false
	}
	id, err := uuid.Parse(rest)
	return id, err == nil
}

// CheckErased implements ErasedClients: the records are in memory, and
// answer no error.
func (r *ErasureRecords) CheckErased(client uuid.UUID) (bool, error) { return r.IsErased(client), nil }

// IsErased reports whether the ledger records the client's erasure as
// started or complete: from the intent on, no key of the client's may be
// used.
func (r *ErasureRecords) IsErased(client uuid.UUID) bool {
	_, started := r.erasing[client]
	_, done := r.erased[client]
	return started || done
}

// ErasingClients implements ErasureLedger: the records are in memory, and
// answer no error.
func (r *ErasureRecords) ErasingClients() ([]uuid.UUID, error) { return keysOf(r.erasing), nil }

// ErasedClients implements ErasureLedger: the records are in memory, and
// answer no error.
func (r *ErasureRecords) ErasedClients() ([]uuid.UUID, error) { return keysOf(r.erased), nil }

// Erased lists every client the ledger records as being or having been
// erased.
func (r *ErasureRecords) Erased() []uuid.UUID {
	return append(keysOf(r.erased), keysOf(r.erasing)...)
}

func keysOf(m map[uuid.UUID]struct{}) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	return out
}
