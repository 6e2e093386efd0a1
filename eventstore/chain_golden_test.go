package eventstore_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/eventstore"
)

// TestIssue14HashUnchanged pins ComputeHash to the values it gave before it
// was rewritten to hash one buffer (R-LEDGER-4: every stored chain must
// still verify), on the fast metadata path and the json.Marshal one with a
// payload larger than the stack buffer, and checks HashMatches agrees.
func TestIssue14HashUnchanged(t *testing.T) {
	id := uuid.MustParse("0190a4c5-7f64-7d6e-8a3b-5b1f0e2d9c41")
	m := eventstore.Metadata{ActorUserID: "u-1", ActorOrganisationID: "o-1", RecordedAt: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
		CorrelationID: "c", CausationID: "k", PrevHash: eventstore.GenesisHash, Hash: "ignored"}
	big := make([]byte, 5000)
	for _, c := range []struct {
		data []byte
		user string
		want string
	}{
		{[]byte(`{"a":1}`), "u-1", "e58c8ff1b499a947e90dc4e2731c6125ccf04658c7f5b181672e4560235969c4"},
		{big, "Zoë <x>", "a693c8b6b3bd3fcd2accbc5056a5c77afbe0e857902f5409048247d59470256d"},
	} {
		m.ActorUserID = c.user
		if got := eventstore.ComputeHash("referral-1", 7, id, "referral.made", 2, c.data, m); got != c.want {
			t.Errorf("ComputeHash = %s, want %s", got, c.want)
		}
		if !eventstore.HashMatches(c.want, "referral-1", 7, id, "referral.made", 2, c.data, m) {
			t.Errorf("HashMatches(%s) = false", c.want)
		}
		if eventstore.HashMatches(c.want, "referral-1", 8, id, "referral.made", 2, c.data, m) ||
			eventstore.HashMatches(c.want[:63], "referral-1", 7, id, "referral.made", 2, c.data, m) {
			t.Error("HashMatches accepts a hash of other contents")
		}
	}
}
