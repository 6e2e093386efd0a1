package http

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
)

// BenchmarkReferralReadWithMessages (R-LOCK-8) measures GET
// /v1/referrals/{id} through the real router on a locked case with no
// messages, with 2,000 on the client's messages stream (where they are
// recorded), and with 2,000 left on the client's own stream by earlier
// versions (folded there without being decrypted, but still read). The
// first two should match within noise.
func BenchmarkReferralReadWithMessages(b *testing.B) {
	n := newLockNet(b)
	n.lock(b, n.Client, nil)
	legacyReferral := n.makeReferral(b, n.AdviserA.Token, n.OrgB, "Legacy Client")
	legacyClient := n.clientOf(b, legacyReferral)
	n.lock(b, legacyClient, nil)
	const messages = 2000
	fill := func(stream string, client uuid.UUID) {
		ctx := context.Background()
		for done := 0; done < messages; {
			batch := make([]eventstore.EventData, 0, 100)
			for ; len(batch) < cap(batch) && done < messages; done++ {
				d, err := n.Server.Service.Codec().Encode(ctx, uuid.New(),
					&domain.MessageForResponsiblePerson{MessageID: uuid.New(), ClientID: client, Text: "caller rang about the case again"},
					eventstore.Metadata{RecordedAt: n.Clock.Now(), ActorUserID: uuid.NewString(), ActorOrganisationID: n.OrgB})
				if err != nil {
					b.Fatal(err)
				}
				batch = append(batch, d)
			}
			if _, err := n.Store.Append(ctx, stream, eventstore.Any(), batch...); err != nil {
				b.Fatal(err)
			}
		}
	}
	read := func(b *testing.B, referral string) {
		for i := 0; i < b.N; i++ {
			if r := n.do(b, http.MethodGet, "/v1/referrals/"+referral, n.AdviserB.Token, nil); r.Status != http.StatusOK {
				b.Fatalf("status %d", r.Status)
			}
		}
	}
	b.Run("messages=0", func(b *testing.B) { read(b, n.Referral) })
	client := uuid.MustParse(n.Client)
	fill(ledger.MessagesStream(client), client)
	b.Run("messages=2000", func(b *testing.B) { read(b, n.Referral) })
	legacy := uuid.MustParse(legacyClient)
	fill(ledger.ClientStream(legacy), legacy)
	b.Run("client-stream-messages=2000", func(b *testing.B) { read(b, legacyReferral) })
}
