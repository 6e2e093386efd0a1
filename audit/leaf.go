// Package audit lets auditors check the ledger without trusting whoever
// runs it (R-AUD-1..3): an RFC 6962 Merkle tree over every event in global
// order, signed checkpoints of it in the C2SP tlog-checkpoint signed-note
// format, consistency and inclusion proofs, and case bundles that verify
// offline. The tree's hashing, storage layout and proofs are those of
// golang.org/x/mod/sumdb/tlog, the code behind Go's checksum database.
package audit

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/referral-ledger/ledger/eventstore"
)

// leafPrefix names what a leaf commits to, so a leaf can never be read as
// some other structure's record.
const leafPrefix = "referral-ledger event v1\n"

// LeafData is the record a leaf of the tree commits to: an event's global
// position and its chain hash (R-AUD-1). The chain hash covers the event's
// stored form, ciphertext included, so crypto-shredding a client's key
// changes no leaf.
func LeafData(pos eventstore.Position, chainHash string) ([]byte, error) {
	h, err := hex.DecodeString(chainHash)
	if err != nil || len(h) != tlog.HashSize {
		return nil, fmt.Errorf("audit: event at position %d: chain hash is not 64 hex digits", pos)
	}
	out := make([]byte, 0, len(leafPrefix)+8+len(h))
	out = append(out, leafPrefix...)
	out = binary.BigEndian.AppendUint64(out, uint64(pos))
	return append(out, h...), nil
}

// LeafHash is the RFC 6962 leaf hash, SHA-256(0x00 || LeafData), of an
// event at pos whose chain hash is chainHash.
func LeafHash(pos eventstore.Position, chainHash string) (tlog.Hash, error) {
	data, err := LeafData(pos, chainHash)
	if err != nil {
		return tlog.Hash{}, err
	}
	return tlog.RecordHash(data), nil
}

// StoredHashes returns the hashes to store, from index
// tlog.StoredHashIndex(0, n), when the event at pos with chainHash becomes
// leaf n of a tree whose earlier stored hashes r reads.
func StoredHashes(n int64, pos eventstore.Position, chainHash string, r tlog.HashReader) ([]tlog.Hash, error) {
	leaf, err := LeafHash(pos, chainHash)
	if err != nil {
		return nil, err
	}
	return tlog.StoredHashesForRecordHash(n, leaf, r)
}
