package http

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/eventstore"
)

// TestEveryEventRecordsItsEnvelope_LEDGER3: every event in the ledger,
// those the system writes of itself included (the first start's
// coordinator, a signed checkpoint, a client shredded for retention),
// records when (UTC), correlation and causation ids and a schema version,
// and those of a request record who made it. The first start and the
// signing schedule wrote events with no correlation or causation id.
func TestEveryEventRecordsItsEnvelope_LEDGER3(t *testing.T) {
	opt, v := withAuditSigner(t)
	n := newNetwork(t, opt)
	n.bundle(t, n.Auditor.Token, n.Referral, v) // signs a checkpoint covering it
	client := want(t, n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral, n.AdviserA.Token, nil), http.StatusOK).str("client_id")
	if _, err := n.Server.Service.ShredForRetention(context.Background(), uuid.MustParse(client), n.KeyStore); err != nil {
		t.Fatal(err)
	}

	seen := map[string]bool{}
	for after := eventstore.Position(0); ; {
		page, err := n.Store.ReadAll(context.Background(), after, 500)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, ev := range page {
			after = ev.Position
			seen[ev.Type] = true
			m := ev.Metadata
			where := ev.Type + " in " + ev.Stream
			if m.CorrelationID == "" || m.CausationID == "" {
				t.Errorf("%s (position %d) has no correlation or causation id: %+v", where, ev.Position, m)
			}
			if _, offset := m.RecordedAt.Zone(); m.RecordedAt.IsZero() || offset != 0 {
				t.Errorf("%s: recorded at %v, not a UTC time", where, m.RecordedAt)
			}
			if ev.SchemaVersion < 1 {
				t.Errorf("%s: schema version %d", where, ev.SchemaVersion)
			}
		}
	}
	for _, typ := range []string{"organisation.registered", "audit.checkpoint_signed", "referral.made", "client.erasure_started"} {
		if !seen[typ] {
			t.Errorf("no %s event in the ledger to check", typ)
		}
	}
}
