package sqlite

import "github.com/referral-ledger/ledger/eventstore"

// CommitStats returns how many commits that wrote events the store's writer
// has made and how many events they carried, so benchmarks can report the
// size of the group commits.
func CommitStats(s *Store) (commits, events uint64) {
	return s.stats.commits.Load(), s.stats.events.Load()
}

// EncodeMetadata and DecodeMetadata give tests the stored form of
// metadata, so they can tamper with it as someone with the file could.
func EncodeMetadata(m eventstore.Metadata) []byte { return encodeMeta(nil, m) }

func DecodeMetadata(b []byte) (eventstore.Metadata, error) { return decodeMeta(b) }
