package ledger

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
)

// BenchmarkCodecDecode measures decoding one stored referral.made, its
// client data sealed, as the projections do (public: the box stays shut)
// and as a command does (private: the box is opened with a cached key),
// and a referral.acknowledged, which has nothing sealed (issue 14, point 3).
func BenchmarkCodecDecode(b *testing.B) {
	sealedEnc, _, codec := benchCodecs(b)
	ctx := context.Background()
	d, err := sealedEnc(ctx, madeFor(uuid.New(), "Bench"))
	if err != nil {
		b.Fatal(err)
	}
	made := eventstore.RecordedEvent{ID: d.ID, Stream: "referral-x", Type: d.Type, SchemaVersion: d.SchemaVersion,
		Data: d.Data, Metadata: d.Metadata}
	ack, err := codec.Encode(ctx, uuid.New(), &domain.ReferralAcknowledged{}, d.Metadata)
	if err != nil {
		b.Fatal(err)
	}
	acked := eventstore.RecordedEvent{ID: ack.ID, Stream: "referral-x", Type: ack.Type, SchemaVersion: 1, Data: ack.Data,
		Metadata: ack.Metadata}
	for _, c := range []struct {
		name  string
		codec *Codec
		rec   eventstore.RecordedEvent
	}{
		{"public/sealed", NewPublicCodec(), made},
		{"private/sealed", codec, made},
		{"public/plain", NewPublicCodec(), acked},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := c.codec.Decode(ctx, c.rec); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
	// What the known clients index decodes of each referral.made, on the
	// runner's decoding goroutine, after the public codec (R-REF-14).
	b.Run("client", func(b *testing.B) {
		for b.Loop() {
			if c, _, err := codec.DecodeClient(ctx, made); err != nil || c.Name == "" {
				b.Fatal(c, err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
}
