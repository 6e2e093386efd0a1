package audit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/internal/headreq"
)

// Recorder keeps signed checkpoints in the ledger: Record appends one,
// Latest returns the newest recorded (ok false when there is none yet).
type Recorder interface {
	Record(ctx context.Context, cp Checkpoint, signed []byte) error
	Latest(ctx context.Context) (signed []byte, ok bool, err error)
}

// ErrNoCheckpoint says no checkpoint has been signed yet.
var ErrNoCheckpoint = errors.New("audit: no checkpoint has been signed yet")

// Checkpointer signs checkpoints of a Log (on the designated node, which
// holds the key) and serves the latest. A node without a signer serves the
// latest the signer recorded in the ledger.
type Checkpointer struct {
	log      Log
	origin   string
	signer   note.Signer // nil: this node does not sign
	recorder Recorder
	now      func() time.Time
	// Signed, when set, is told of every checkpoint this node signs (the
	// auditors' emails).
	Signed func(ctx context.Context, cp Checkpoint, signed []byte)

	mu     sync.Mutex // serialises signing
	latest []byte
	cp     Checkpoint
}

// NewCheckpointer returns a Checkpointer; signer may be nil.
func NewCheckpointer(l Log, origin string, signer note.Signer, rec Recorder, now func() time.Time) (*Checkpointer, error) {
	if signer != nil {
		if origin == "" {
			origin = signer.Name()
		}
		if signer.Name() != origin {
			return nil, fmt.Errorf("audit: the signing key is for %q, the origin is %q", signer.Name(), origin)
		}
	}
	if now == nil {
		now = time.Now
	}
	return &Checkpointer{log: l, origin: origin, signer: signer, recorder: rec, now: now}, nil
}

// Signs reports whether this node signs checkpoints.
func (c *Checkpointer) Signs() bool { return c.signer != nil }

// Log is the tree checkpoints are made of.
func (c *Checkpointer) Log() Log { return c.log }

// Latest returns the newest checkpoint, signed and parsed. Without a
// verifier of its own, a node trusts the ledger's record of it only for
// serving; auditors verify.
func (c *Checkpointer) Latest(ctx context.Context) (Checkpoint, []byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.latestLocked(ctx)
}

func (c *Checkpointer) latestLocked(ctx context.Context) (Checkpoint, []byte, error) {
	signed, ok, err := c.recorder.Latest(ctx)
	if err != nil {
		return Checkpoint{}, nil, err
	}
	if !ok {
		if c.latest != nil {
			return c.cp, c.latest, nil
		}
		return Checkpoint{}, nil, ErrNoCheckpoint
	}
	cp, err := parseSigned(signed)
	if err != nil {
		return Checkpoint{}, nil, fmt.Errorf("audit: the ledger's latest checkpoint: %w", err)
	}
	if c.latest != nil && c.cp.Size > cp.Size {
		return c.cp, c.latest, nil
	}
	c.cp, c.latest = cp, signed
	return cp, signed, nil
}

// parseSigned reads the checkpoint of a signed note without verifying it.
func parseSigned(signed []byte) (Checkpoint, error) {
	text, _, ok := cutNote(signed)
	if !ok {
		return Checkpoint{}, errors.New("not a signed note")
	}
	return ParseCheckpoint(text)
}

func cutNote(signed []byte) (text string, sigs string, ok bool) {
	s := string(signed)
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '\n' && s[i+1] == '\n' {
			return s[:i+1], s[i+2:], true
		}
	}
	return "", "", false
}

// Covering returns a checkpoint whose tree has at least size leaves:
// the latest, or on the signing node a new one signed now (on demand).
//
// For a HEAD (headreq), answered as the GET of the same target without
// its body, the signing node signs nothing: where it would sign one on
// demand it returns the checkpoint it would sign, of the whole tree, with
// no signed note (nil), neither recorded nor kept. The HEAD answers as
// the GET would, and the ledger gains no checkpoint nobody received.
func (c *Checkpointer) Covering(ctx context.Context, size int64) (Checkpoint, []byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cp, signed, err := c.latestLocked(ctx)
	if err == nil && cp.Size >= size {
		return cp, signed, nil
	}
	if err != nil && !errors.Is(err, ErrNoCheckpoint) {
		return Checkpoint{}, nil, err
	}
	if c.signer == nil {
		return Checkpoint{}, nil, ErrNoCheckpoint
	}
	if headreq.Is(ctx) {
		cp, err := c.unsignedLocked(ctx)
		return cp, nil, err
	}
	return c.signLocked(ctx)
}

// SignNow signs a checkpoint of the whole tree and records it in the
// ledger, unless the tree has not grown since the latest but for that
// checkpoint's own record, in which case it returns the latest.
func (c *Checkpointer) SignNow(ctx context.Context) (Checkpoint, []byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cp, signed, err := c.latestLocked(ctx)
	if err != nil && !errors.Is(err, ErrNoCheckpoint) {
		return Checkpoint{}, nil, err
	}
	size, serr := c.log.TreeSize(ctx)
	if serr != nil {
		return Checkpoint{}, nil, serr
	}
	if err == nil && size <= cp.Size+1 {
		return cp, signed, nil
	}
	return c.signLocked(ctx)
}

func (c *Checkpointer) signLocked(ctx context.Context) (Checkpoint, []byte, error) {
	if c.signer == nil {
		return Checkpoint{}, nil, errors.New("audit: this node does not sign checkpoints")
	}
	cp, err := c.unsignedLocked(ctx)
	if err != nil {
		return Checkpoint{}, nil, err
	}
	signed, err := Sign(cp, c.signer)
	if err != nil {
		return Checkpoint{}, nil, err
	}
	if err := c.recorder.Record(ctx, cp, signed); err != nil {
		return Checkpoint{}, nil, fmt.Errorf("audit: record checkpoint: %w", err)
	}
	c.cp, c.latest = cp, signed
	if c.Signed != nil {
		c.Signed(ctx, cp, signed)
	}
	return cp, signed, nil
}

// unsignedLocked is the checkpoint of the whole tree as it is now, which
// signLocked signs.
func (c *Checkpointer) unsignedLocked(ctx context.Context) (Checkpoint, error) {
	size, err := c.log.TreeSize(ctx)
	if err != nil {
		return Checkpoint{}, err
	}
	root, err := Root(ctx, c.log, size)
	if err != nil {
		return Checkpoint{}, err
	}
	return Checkpoint{Origin: c.origin, Size: size, Hash: root, Time: c.now().UTC().Truncate(time.Second)}, nil
}

// Run signs a checkpoint at once and then every interval until ctx ends,
// reporting failures to report and trying again at the next tick.
func (c *Checkpointer) Run(ctx context.Context, interval time.Duration, report func(error)) {
	if c.signer == nil {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, _, err := c.SignNow(ctx); err != nil && ctx.Err() == nil && report != nil {
			report(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Bundle proves events (one stream, in order) against a checkpoint that
// covers the last of them: the latest, or on the signing node one signed
// now. ErrNoCheckpoint and ErrNoLeaf say none can be served yet.
func (c *Checkpointer) Bundle(ctx context.Context, events []eventstore.RecordedEvent) (Bundle, Checkpoint, error) {
	return c.BundleSince(ctx, events, 0)
}

// BundleSince is Bundle for a reader who trusts a checkpoint of trusted
// leaves (0: none): the bundle's checkpoint covers at least that many, and
// the bundle carries the consistency proof that it extends the trusted
// tree. ErrTreeSize says trusted is larger than the tree.
func (c *Checkpointer) BundleSince(ctx context.Context, events []eventstore.RecordedEvent, trusted int64) (Bundle, Checkpoint, error) {
	if trusted > 0 {
		size, err := c.log.TreeSize(ctx)
		if err != nil {
			return Bundle{}, Checkpoint{}, err
		}
		if trusted > size {
			return Bundle{}, Checkpoint{}, fmt.Errorf("%w: a trusted tree of %d, the tree has %d", ErrTreeSize, trusted, size)
		}
	}
	need := trusted
	if len(events) > 0 {
		last, err := c.log.LeafIndex(ctx, events[len(events)-1].Position)
		if err != nil {
			return Bundle{}, Checkpoint{}, err
		}
		need = max(need, last+1)
	}
	cp, signed, err := c.Covering(ctx, need)
	if err != nil {
		return Bundle{}, Checkpoint{}, err
	}
	b, err := MakeBundle(ctx, c.log, signed, cp, events)
	if err == nil && trusted > 0 {
		err = AddConsistency(ctx, c.log, &b, cp, trusted)
	}
	return b, cp, err
}

// CheckEvents checks a bundle's events against a checkpoint already
// trusted, as VerifyBundle does after verifying the signature; a server
// drawing a page uses it on a bundle it has just made.
func CheckEvents(b Bundle, cp Checkpoint) ([]eventstore.RecordedEvent, error) {
	return checkEvents(b, cp)
}
