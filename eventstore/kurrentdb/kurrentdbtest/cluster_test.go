package kurrentdbtest_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/referral-ledger/ledger/eventstore/kurrentdb/kurrentdbtest"
)

// After ElectNewLeader the old node is a lagging follower: the bare client
// v4.2.0, whose requires-leader header never leaves the process, commits an
// append there but does not read it back from $all; a call carrying the
// header as outgoing metadata is answered not-leader and the client moves
// to the new leader, which shows it.
func TestElectNewLeaderFollowerLagsAndRedirects(t *testing.T) {
	url, ctl := kurrentdbtest.Start(t)
	c := client(t, url)
	if _, err := c.AppendToStream(ctx(t), "s", esdb.AppendToStreamOptions{}, other()); err != nil {
		t.Fatal(err)
	}
	leader := ctl.ElectNewLeader()
	ev := other()
	if _, err := c.AppendToStream(ctx(t), "s", esdb.AppendToStreamOptions{}, ev); err != nil {
		t.Fatalf("append on the follower: %v", err)
	}
	if n := len(ctl.Stream("s")); n != 2 {
		t.Fatalf("the follower's append left %d events, want 2 (committed)", n)
	}
	if got := last(t, c, false); got == ev.EventID.String() {
		t.Fatal("the follower showed the write made after the election: no lag modelled")
	}
	// With the header the follower answers not-leader naming the leader.
	_, err := readLast(c, true)
	var e *esdb.Error
	if !errors.As(err, &e) || e.Code() != esdb.ErrorCodeNotLeader {
		t.Fatalf("read with requires-leader on the follower = %v, want ErrorCodeNotLeader", err)
	}
	// The client reconnects to the leader named in the trailers.
	for range 50 {
		if got, err := readLast(c, true); err == nil {
			if got != ev.EventID.String() {
				t.Fatalf("the leader (%s) shows %s last, want %s", leader, got, ev.EventID)
			}
			ctl.CatchUpFollowers()
			return
		}
	}
	t.Fatal("the client never reached the new leader")
}

// The double enforces a maximum append size with KurrentDB's answer, and
// DenyAll refuses reads of $all with PermissionDenied.
func TestMaxAppendSizeAndDenyAll(t *testing.T) {
	url, ctl := kurrentdbtest.Start(t)
	c := client(t, url)
	ctl.SetMaxAppendSize(100)
	big := other()
	big.Data = []byte(`"` + strings.Repeat("x", 200) + `"`)
	_, err := c.AppendToStream(ctx(t), "s", esdb.AppendToStreamOptions{}, big)
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "Maximum Append Size of 100 Exceeded") {
		t.Fatalf("oversized append = %v, want InvalidArgument naming 100", err)
	}
	if n := len(ctl.All()); n != 0 {
		t.Fatalf("the refused append wrote %d events", n)
	}
	ctl.SetMaxAppendSize(kurrentdbtest.DefaultMaxAppendSize)
	if _, err := c.AppendToStream(ctx(t), "s", esdb.AppendToStreamOptions{}, big); err != nil {
		t.Fatal(err)
	}
	ctl.DenyAll(true)
	if _, err := readLast(c, false); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("read of $all while denied = %v, want PermissionDenied", err)
	}
	rs, err := c.ReadStream(ctx(t), "s", esdb.ReadStreamOptions{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rs.Recv(); err != nil {
		t.Fatalf("stream read while $all is denied: %v", err)
	}
	rs.Close()
}

// last returns the id of the last record of $all, failing the test on an
// error.
func last(t *testing.T, c *esdb.Client, requireLeader bool) string {
	t.Helper()
	id, err := readLast(c, requireLeader)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func readLast(c *esdb.Client, requireLeader bool) (string, error) {
	cx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if requireLeader {
		cx = metadata.AppendToOutgoingContext(cx, "requires-leader", "true")
	}
	rs, err := c.ReadAll(cx, esdb.ReadAllOptions{Direction: esdb.Backwards, From: esdb.End{}}, 1)
	if err != nil {
		return "", err
	}
	defer rs.Close()
	ev, err := rs.Recv()
	if errors.Is(err, io.EOF) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return ev.OriginalEvent().EventID.String(), nil
}
