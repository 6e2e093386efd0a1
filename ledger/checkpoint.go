package ledger

import (
	"context"
	"encoding/base64"
	"sync"

	"github.com/referral-ledger/ledger/audit"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
)

// CheckpointStream is the ledger-level stream of signed checkpoints of the
// audit tree (R-AUD-1).
const CheckpointStream = "audit-checkpoints"

// Checkpoints records signed checkpoints in the ledger and reads back the
// latest, for audit.Checkpointer. It remembers how far it has read so that
// finding the latest reads only what is new.
type Checkpoints struct {
	s *Service

	mu     sync.Mutex
	next   uint64 // the first revision not read yet
	latest []byte
}

// Checkpoints returns the service's checkpoint record.
func (s *Service) Checkpoints() *Checkpoints { return &Checkpoints{s: s} }

var _ audit.Recorder = (*Checkpoints)(nil)

// Record appends a signed checkpoint, as the system rather than a user.
func (c *Checkpoints) Record(ctx context.Context, cp audit.Checkpoint, signed []byte) error {
	ev := &domain.CheckpointSigned{Origin: cp.Origin, TreeSize: cp.Size,
		RootHash: base64.StdEncoding.EncodeToString(cp.Hash[:]), Note: string(signed)}
	data, err := c.s.encode(ctx, domain.Actor{}, requestFrom(ctx), []domain.Event{ev}, nil)
	if err != nil {
		return err
	}
	if _, err := c.s.store.Append(ctx, CheckpointStream, eventstore.Any(), data...); err != nil {
		return storeError(err)
	}
	return nil
}

// Latest returns the newest recorded checkpoint's signed note.
func (c *Checkpoints) Latest(ctx context.Context) ([]byte, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	evs, err := c.s.store.ReadStream(ctx, CheckpointStream, c.next, 0)
	if err != nil {
		return nil, false, storeError(err)
	}
	for _, ev := range evs {
		rec, err := c.s.codec.Decode(ctx, ev)
		if err != nil {
			return nil, false, err
		}
		if cs, ok := rec.Event.(*domain.CheckpointSigned); ok {
			c.latest = []byte(cs.Note)
		}
		c.next = ev.Revision + 1
	}
	return c.latest, c.latest != nil, nil
}
