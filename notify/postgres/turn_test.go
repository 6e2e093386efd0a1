package postgres

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/referral-ledger/ledger/internal/pgtest"
)

func open(t *testing.T, url, node string) *Turn {
	t.Helper()
	turn, err := Open(context.Background(), url, node)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { turn.Close() })
	return turn
}

func take(t *testing.T, turn *Turn) bool {
	t.Helper()
	held, err := turn.Take(context.Background())
	if err != nil {
		t.Fatalf("%s: Take = %v", turn.Node(), err)
	}
	return held
}

// TestOneHolderAtATime_OPS2: of two nodes on one database one holds the
// turn; the other sees who, and what the holder settled; it takes the turn
// once the holder releases it, or once the holder's session ends.
func TestOneHolderAtATime_OPS2(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	a, b := open(t, url, "node-a"), open(t, url, "node-b")
	if !take(t, a) || take(t, b) {
		t.Fatal("want node-a to hold the turn and node-b not")
	}
	if !take(t, a) {
		t.Fatal("node-a, holding the turn, does not hold it on its next Take")
	}
	if holder, err := b.Holder(ctx); err != nil || holder != "node-a" {
		t.Fatalf("node-b sees the holder as %q (%v), want node-a", holder, err)
	}
	if err := b.Settle(ctx, "n1", false, time.Now()); err == nil {
		t.Fatal("node-b settled a notice without the turn")
	}
	old := time.Now().Add(-100 * 24 * time.Hour)
	for id, failed := range map[string]bool{"n1": false, "n2": true} {
		if err := a.Settle(ctx, id, failed, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Settle(ctx, "n-old", false, old); err != nil {
		t.Fatal(err)
	}
	if err := a.Purge(ctx, time.Now().Add(-90*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	sent, failed, err := b.Settled(ctx, []string{"n1", "n2", "n3", "n-old"})
	if err != nil || !slices.Equal(sent, []string{"n1"}) || !slices.Equal(failed, []string{"n2"}) {
		t.Fatalf("node-b reads sent %v, failed %v (%v); want [n1], [n2] (n-old purged)", sent, failed, err)
	}

	if err := a.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if !take(t, b) || take(t, a) {
		t.Fatal("after node-a released the turn, want node-b to hold it and node-a not")
	}

	// node-b's session ends as a dead node's does: node-a takes over,
	// and node-b's next Take fails, so it knows it no longer holds it.
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// The timeout makes it wait until the backend has exited (PostgreSQL 14).
	var ended bool
	if err := conn.QueryRow(ctx, `SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity
		WHERE application_name = $1`, applicationPrefix+"node-b").Scan(&ended); err != nil || !ended {
		t.Fatalf("ending node-b's session: %v, %v", ended, err)
	}
	if !take(t, a) {
		t.Fatal("node-a does not take the turn after node-b's session ended")
	}
	if held, err := b.Take(ctx); held || err == nil {
		t.Fatalf("node-b's Take after its session ended = %v, %v; want false and an error", held, err)
	}
	if holder, err := b.Holder(ctx); err != nil || holder != "node-a" {
		t.Fatalf("node-b, connected again, sees the holder as %q (%v), want node-a", holder, err)
	}
}
