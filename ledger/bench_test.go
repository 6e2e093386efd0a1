package ledger

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
	"github.com/referral-ledger/ledger/keystore"
	keysqlite "github.com/referral-ledger/ledger/keystore/sqlite"
)

// encodeFunc turns a referral.made into stored form, sealed or plain.
type encodeFunc func(ctx context.Context, ev *domain.ReferralMade) (eventstore.EventData, error)

// benchCodecs returns the sealing codec (on a real SQLite key store behind
// the cache, as a node runs it) and the same payloads stored as plain JSON,
// which is what the ledger would cost without encryption.
func benchCodecs(b *testing.B) (sealedEnc encodeFunc, plainEnc encodeFunc, codec *Codec) {
	ks, err := keysqlite.Open(filepath.Join(b.TempDir(), "keys.db"), keystore.GenerateMasterKey())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ks.Close() })
	codec = NewCodec(NewClientKeys(keystore.NewCached(ks, keystore.DefaultCacheSize), noErasures{}))
	meta := eventstore.Metadata{RecordedAt: time.Now().UTC()}
	sealedEnc = func(ctx context.Context, ev *domain.ReferralMade) (eventstore.EventData, error) {
		return codec.Encode(ctx, newEventID(), ev, meta)
	}
	plainEnc = func(_ context.Context, ev *domain.ReferralMade) (eventstore.EventData, error) {
		data, err := json.Marshal(ev)
		return eventstore.EventData{ID: newEventID(), Type: ev.EventType(), SchemaVersion: 1, Data: data, Metadata: meta}, err
	}
	return sealedEnc, plainEnc, codec
}

type noErasures struct{}

func (noErasures) CheckErased(uuid.UUID) (bool, error) { return false, nil }

// BenchmarkEncryption measures append and read throughput of referral
// events with client data sealed per client, beside the same payloads
// stored as plain JSON, in one run (R-PRIV-1's cost). Clients are reused
// across referrals (64 of them), as the key cache sees in practice.
func BenchmarkEncryption(b *testing.B) {
	sealedEnc, plainEnc, codec := benchCodecs(b)
	clients := make([]uuid.UUID, 64)
	for i := range clients {
		clients[i] = uuid.New()
	}
	for _, mode := range []struct {
		name   string
		encode encodeFunc
		decode func(ctx context.Context, rec eventstore.RecordedEvent) error
	}{
		{"plain", plainEnc, func(_ context.Context, rec eventstore.RecordedEvent) error {
			var ev domain.ReferralMade
			return json.Unmarshal(rec.Data, &ev)
		}},
		{"sealed", sealedEnc, func(ctx context.Context, rec eventstore.RecordedEvent) error {
			_, err := codec.Decode(ctx, rec)
			return err
		}},
	} {
		store, err := sqlite.Open(filepath.Join(b.TempDir(), "events.db"))
		if err != nil {
			b.Fatal(err)
		}
		b.Run("append/"+mode.name, func(b *testing.B) {
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for i := 0; pb.Next(); i++ {
					d, err := mode.encode(ctx, madeFor(clients[i%len(clients)], "Bench"))
					if err != nil {
						b.Fatal(err)
					}
					if _, err := store.Append(ctx, "referral-"+uuid.NewString(), eventstore.NoStream(), d); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
		b.Run("read/"+mode.name, func(b *testing.B) {
			ctx := context.Background()
			n := 0
			for n < b.N {
				page, err := store.ReadAll(ctx, eventstore.Start, b.N-n)
				if err != nil {
					b.Fatal(err)
				}
				if len(page) == 0 {
					b.Fatal("nothing to read: run the append benchmark first")
				}
				for _, rec := range page {
					if err := mode.decode(ctx, rec); err != nil {
						b.Fatal(err)
					}
				}
				n += len(page)
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "events/s")
		})
		store.Close()
	}
}

// BenchmarkReadPathAccessLog measures reading a referral with the read
// recorded in the client's access log (R-LOCK-9), beside the same read
// unrecorded, in one run, with 16 concurrent readers so the access log
// rides the store's group commit as it does under load.
func BenchmarkReadPathAccessLog(b *testing.B) {
	sealedEnc, _, codec := benchCodecs(b)
	store, err := sqlite.Open(filepath.Join(b.TempDir(), "events.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	svc := NewService(store, codec, time.Now, uuid.New)
	ctx := context.Background()
	org := uuid.New()
	ids := make([]uuid.UUID, 64)
	for i := range ids {
		made := madeFor(uuid.New(), "Bench")
		made.FromOrganisationID = org
		d, err := sealedEnc(ctx, made)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := store.Append(ctx, ReferralStream(made.ReferralID), eventstore.NoStream(), d); err != nil {
			b.Fatal(err)
		}
		ids[i] = made.ReferralID
	}
	actor := domain.Actor{UserID: uuid.New(), OrganisationID: org, Roles: []domain.Role{domain.RoleAdviser}}
	reqCtx := WithRequest(ctx, Request{Endpoint: "GET /v1/referrals/:id"})
	for _, mode := range []struct {
		name string
		read func(id uuid.UUID) error
	}{
		{"unlogged", func(id uuid.UUID) error { _, _, _, err := svc.referral(reqCtx, actor, id); return err }},
		{"logged", func(id uuid.UUID) error { _, err := svc.Referral(reqCtx, actor, id); return err }},
	} {
		b.Run(mode.name, func(b *testing.B) {
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) {
				for i := 0; pb.Next(); i++ {
					if err := mode.read(ids[i%len(ids)]); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "reads/s")
		})
	}
}
