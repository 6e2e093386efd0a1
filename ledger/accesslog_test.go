package ledger

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/domain"
)

// accessRecords counts the records in a client's access log as stored.
func (n *cacheNet) accessRecords(t *testing.T) int {
	t.Helper()
	evs, err := n.store.ReadStream(context.Background(), AccessStream(n.referral.ClientID), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

// TestUnlockedReadsWrittenAfterAnswerAndOnClose_LOCK9 (issue 14 point 6):
// with the batched access log, a read of an unlocked case is answered
// before its record is written; the queued records are written by a flush
// (reading the log flushes first) and by closing, so none is lost at
// shutdown.
func TestUnlockedReadsWrittenAfterAnswerAndOnClose_LOCK9(t *testing.T) {
	n := newCacheNet(t)
	ctx := context.Background()
	n.a.SetAsyncAccessLog(time.Hour, zerolog.Nop()) // no timed flush during the test
	if _, err := n.a.Referral(ctx, n.receiver, n.referral.ID); err != nil {
		t.Fatal(err)
	}
	if got := n.accessRecords(t); got != 0 {
		t.Fatalf("%d records written before the batch, want 0 (the read is queued)", got)
	}
	if err := n.a.FlushAccessLog(ctx); err != nil {
		t.Fatal(err)
	}
	if got := n.accessRecords(t); got != 1 {
		t.Fatalf("%d records after a flush, want 1", got)
	}
	for range 3 {
		if _, err := n.a.Referral(ctx, n.referrer, n.referral.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := n.a.CloseAccessLog(ctx); err != nil {
		t.Fatal(err)
	}
	if got := n.accessRecords(t); got != 4 {
		t.Fatalf("%d records after close, want 4: queued reads were lost at shutdown", got)
	}
	// After close a read is written before its answer.
	if _, err := n.a.Referral(ctx, n.receiver, n.referral.ID); err != nil {
		t.Fatal(err)
	}
	if got := n.accessRecords(t); got != 5 {
		t.Fatalf("%d records after a read past close, want 5", got)
	}
}

// TestAuditorReadsWrittenBeforeAnswer_LOCK9 (issue 14 point 6, R-LOCK-9):
// an auditor's read is recorded before it is answered even with the
// batched access log.
func TestAuditorReadsWrittenBeforeAnswer_LOCK9(t *testing.T) {
	n := newCacheNet(t)
	ctx := context.Background()
	n.a.SetAsyncAccessLog(time.Hour, zerolog.Nop())
	t.Cleanup(func() { _ = n.a.CloseAccessLog(ctx) })
	auditor := domain.Actor{UserID: n.receiver.UserID, OrganisationID: n.receiver.OrganisationID, Roles: []domain.Role{domain.RoleAuditor}}
	if _, err := n.a.Referral(ctx, auditor, n.referral.ID); err != nil {
		t.Fatal(err)
	}
	if got := n.accessRecords(t); got != 1 {
		t.Fatalf("%d records right after an auditor's read, want 1", got)
	}
}
