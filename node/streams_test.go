package node

import (
	"slices"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/eventstore/kurrentdb"
	"github.com/referral-ledger/ledger/ledger"
)

// TestKurrentDBTakesEveryLedgerStream: the KurrentDB store refuses streams
// outside its prefixes, so every stream the ledger writes — the signed
// checkpoints' too (R-AUD-1) — must start with one of them.
func TestKurrentDBTakesEveryLedgerStream(t *testing.T) {
	prefixes := kurrentdb.DefaultStreamPrefixes()
	for _, stream := range []string{ledger.ReferralPrefix + "x", ledger.OrganisationPrefix + "x", ledger.UsernamePrefix + "x",
		ledger.OrgNamePrefix + "x", ledger.ClientPrefix + "x", ledger.AccessPrefix + "x", ledger.MessagesPrefix + "x",
		ledger.CheckpointStream} {
		if !slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(stream, p) }) {
			t.Errorf("stream %q starts with none of the KurrentDB store's prefixes %v", stream, prefixes)
		}
	}
}
