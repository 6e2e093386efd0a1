package audit

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Checkpoint is a signed commitment to the tree: its origin (the network's
// name), size and root hash, and when it was signed (R-AUD-1).
type Checkpoint struct {
	Origin string
	Size   int64
	Hash   tlog.Hash
	Time   time.Time
}

// timePrefix starts the checkpoint's one extension line.
const timePrefix = "time "

// maxNote bounds a signed checkpoint an auditor's tool accepts.
const maxNote = 16 << 10

// Body is the checkpoint's note text in the C2SP tlog-checkpoint format:
// origin, decimal size and base64 root hash lines, then the signing time as
// an extension line.
func (c Checkpoint) Body() string {
	return fmt.Sprintf("%s\n%d\n%s\n%s%s\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Hash[:]),
		timePrefix, c.Time.UTC().Format(time.RFC3339))
}

// ParseCheckpoint reads a checkpoint's note text, strictly: every line as
// Body writes it, nothing before or after.
func ParseCheckpoint(text string) (Checkpoint, error) {
	var c Checkpoint
	if !strings.HasSuffix(text, "\n") {
		return c, errors.New("checkpoint: text does not end with a newline")
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) != 4 {
		return c, fmt.Errorf("checkpoint: %d lines, want origin, size, root hash and time", len(lines))
	}
	if err := checkOrigin(lines[0]); err != nil {
		return c, err
	}
	c.Origin = lines[0]
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != lines[1] {
		return c, errors.New("checkpoint: tree size is not a decimal number without leading zeros")
	}
	c.Size = n
	h, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(h) != tlog.HashSize {
		return c, errors.New("checkpoint: root hash is not 32 bytes of base64")
	}
	copy(c.Hash[:], h)
	ts, ok := strings.CutPrefix(lines[3], timePrefix)
	if !ok {
		return c, errors.New("checkpoint: fourth line is not the signing time")
	}
	if c.Time, err = time.Parse(time.RFC3339, ts); err != nil || c.Time.Format(time.RFC3339) != ts {
		return c, errors.New("checkpoint: signing time is not an RFC 3339 UTC time")
	}
	return c, nil
}

// checkOrigin accepts an origin that is a valid note key name: printable,
// no spaces or plus signs.
func checkOrigin(origin string) error {
	if origin == "" || len(origin) > 200 || strings.ContainsAny(origin, " +\t\r\n") {
		return fmt.Errorf("checkpoint: origin %q must be 1-200 printable characters without spaces or '+'", origin)
	}
	for _, r := range origin {
		if r < 0x21 || r > 0x7e {
			return fmt.Errorf("checkpoint: origin %q must be printable ASCII", origin)
		}
	}
	return nil
}

// Signer signs checkpoints (a note signer whose name is the origin).
type Signer = note.Signer

// GenerateKey makes an Ed25519 signing key for origin, returning the
// note signer key (secret, for the server's key file) and verifier key
// (public, for auditors).
func GenerateKey(origin string) (signerKey, verifierKey string, err error) {
	if err := checkOrigin(origin); err != nil {
		return "", "", err
	}
	return note.GenerateKey(rand.Reader, origin)
}

// Sign signs c with signer, whose key name must be c's origin.
func Sign(c Checkpoint, signer note.Signer) ([]byte, error) {
	if signer.Name() != c.Origin {
		return nil, fmt.Errorf("checkpoint: key %q cannot sign for origin %q", signer.Name(), c.Origin)
	}
	return note.Sign(&note.Note{Text: c.Body()}, signer)
}

// Open verifies a signed checkpoint with the auditor's verifier key: the
// note must carry a valid signature by that key, whose name is the
// checkpoint's origin, and nothing after its signatures.
func Open(signed []byte, verifier note.Verifier) (Checkpoint, error) {
	if len(signed) > maxNote {
		return Checkpoint{}, fmt.Errorf("checkpoint: %d bytes, more than %d", len(signed), maxNote)
	}
	n, err := note.Open(signed, note.VerifierList(verifier))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		if errors.As(err, &unverified) {
			return Checkpoint{}, errors.New("checkpoint: not signed by the trusted key")
		}
		return Checkpoint{}, fmt.Errorf("checkpoint: %w", err)
	}
	if len(signed) != len(n.Text)+1+len(sigBlock(n)) || !bytes.HasPrefix(signed, []byte(n.Text+"\n")) {
		return Checkpoint{}, errors.New("checkpoint: signed note is not in canonical form")
	}
	c, err := ParseCheckpoint(n.Text)
	if err != nil {
		return Checkpoint{}, err
	}
	if c.Origin != verifier.Name() {
		return Checkpoint{}, fmt.Errorf("checkpoint: origin %q is not the trusted key's %q", c.Origin, verifier.Name())
	}
	return c, nil
}

// sigBlock re-renders a note's signature lines, verified and not.
func sigBlock(n *note.Note) string {
	var b strings.Builder
	for _, s := range append(append([]note.Signature{}, n.Sigs...), n.UnverifiedSigs...) {
		fmt.Fprintf(&b, "— %s %s\n", s.Name, s.Base64)
	}
	return b.String()
}

// NewVerifier reads an auditor's verifier key (as printed by keygen).
func NewVerifier(vkey string) (note.Verifier, error) {
	v, err := note.NewVerifier(strings.TrimSpace(vkey))
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	return v, nil
}

// NewSigner reads the server's signer key file contents.
func NewSigner(skey string) (note.Signer, error) {
	s, err := note.NewSigner(strings.TrimSpace(skey))
	if err != nil {
		return nil, errors.New("signing key: not a note signer key")
	}
	return s, nil
}

// Extends checks that the checkpoint next, whose tree a consistency proof
// from old's size gives, extends old (R-AUD-2). proof is ignored when the
// sizes are equal, where the roots must simply match.
func Extends(old, next Checkpoint, proof tlog.TreeProof) error {
	switch {
	case next.Origin != old.Origin:
		return fmt.Errorf("the checkpoint is for origin %q, the trusted one for %q", next.Origin, old.Origin)
	case next.Size < old.Size:
		return fmt.Errorf("the tree shrank from %d to %d events: history was rolled back or replaced", old.Size, next.Size)
	case next.Size == old.Size:
		if next.Hash != old.Hash {
			return fmt.Errorf("the tree of %d events has a different root than the trusted checkpoint: history was rewritten or forked", old.Size)
		}
		return nil
	case old.Size == 0:
		return nil // the empty tree is a prefix of every tree
	}
	if err := tlog.CheckTree(proof, next.Size, next.Hash, old.Size, old.Hash); err != nil {
		return fmt.Errorf("the consistency proof from %d to %d events does not verify: history was rewritten or forked (%v)", old.Size, next.Size, err)
	}
	return nil
}
