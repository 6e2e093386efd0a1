package domain

// CheckpointSignedType records a signed checkpoint of the ledger's Merkle
// tree (R-AUD-1) in the ledger itself, in one ledger-level stream: what was
// signed, and the signed note auditors were given.
const CheckpointSignedType = "audit.checkpoint_signed"

// AuditEventTypes lists every audit event type.
func AuditEventTypes() []string { return []string{CheckpointSignedType} }

// CheckpointSigned is a checkpoint the designated node signed. It holds no
// client data: the network's name, a count and hashes.
type CheckpointSigned struct {
	Origin   string `json:"origin"`
	TreeSize int64  `json:"tree_size"`
	RootHash string `json:"root_hash"` // base64, as in the note
	Note     string `json:"note"`      // the signed note, verbatim
}

// EventType implements Event.
func (*CheckpointSigned) EventType() string { return CheckpointSignedType }
