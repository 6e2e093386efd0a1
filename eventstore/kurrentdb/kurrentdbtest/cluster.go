package kurrentdbtest

import (
	"context"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// DefaultMaxAppendSize is the largest append the double accepts unless
// SetMaxAppendSize says otherwise: KurrentDB's own default, 1 MiB.
const DefaultMaxAppendSize = 1 << 20

// node is one member of the double's "cluster": every node serves the same
// log, but a follower answers requests that insist on the leader with
// KurrentDB's not-leader exception, and serves the others from a view that
// lags behind the log while followers lag.
type node struct {
	addr     string
	follower atomic.Bool
	leader   atomic.Pointer[string] // host:port of the leader, when follower
}

// newServer builds a gRPC server for n with the Controller's gates.
func (c *Controller) newServer(n *node) *grpc.Server {
	srv := grpc.NewServer(
		grpc.ChainUnaryInterceptor(c.unaryGate(n)),
		grpc.ChainStreamInterceptor(c.streamGate(n)),
	)
	api.RegisterStreamsServer(srv, &streams{ctl: c, node: n})
	return srv
}

// requiresLeader reports whether the call carries KurrentDB's
// requires-leader header, as outgoing gRPC metadata from the client.
func requiresLeader(ctx context.Context) bool {
	md, _ := metadata.FromIncomingContext(ctx)
	for _, v := range md.Get("requires-leader") {
		if v == "true" {
			return true
		}
	}
	return false
}

// notLeader is KurrentDB's answer from a follower to a request that
// requires the leader: the exception and the leader's endpoint ride in the
// trailers, which the client reads to reconnect to the leader.
func (n *node) notLeader() (metadata.MD, error) {
	host, port := "", "0"
	if l := n.leader.Load(); l != nil {
		host, port, _ = net.SplitHostPort(*l)
	}
	md := metadata.Pairs("exception", "not-leader", "leader-endpoint-host", host, "leader-endpoint-port", port)
	return md, status.Error(codes.NotFound, "Leader info available")
}

func (c *Controller) unaryGate(n *node) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		if c.unavailable.Load() {
			return nil, status.Error(codes.Unavailable, "kurrentdbtest: server unavailable")
		}
		if n.follower.Load() && requiresLeader(ctx) {
			md, err := n.notLeader()
			_ = grpc.SetTrailer(ctx, md)
			return nil, err
		}
		return h(ctx, req)
	}
}

func (c *Controller) streamGate(n *node) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		if c.unavailable.Load() {
			return status.Error(codes.Unavailable, "kurrentdbtest: server unavailable")
		}
		if n.follower.Load() && requiresLeader(ss.Context()) {
			md, err := n.notLeader()
			ss.SetTrailer(md)
			return err
		}
		return h(srv, ss)
	}
}

// ElectNewLeader models a leader election that moves the leader away from
// the node Start listens on. A new node starts on another port and becomes
// the leader; the old node becomes a follower that:
//   - ends its live subscriptions (codes.Unavailable), as a node changing
//     role does;
//   - answers every request carrying the requires-leader header with
//     KurrentDB's not-leader exception naming the new leader, so a client
//     that sends the header moves there;
//   - serves every other read and subscription from a lagging view that
//     hides what was committed after the election, until CatchUpFollowers;
//   - still commits appends (KurrentDB followers forward writes to the
//     leader), so they are acknowledged and durable.
//
// It returns the new leader's host:port. Every node serves the same log.
func (c *Controller) ElectNewLeader() string {
	c.tb.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		c.tb.Fatalf("kurrentdbtest: listen for the new leader: %v", err)
	}
	leader := &node{addr: lis.Addr().String()}
	srv := c.newServer(leader)
	c.mu.Lock()
	c.others = append(c.others, srv)
	c.mu.Unlock()
	go func() { _ = srv.Serve(lis) }()

	c.LagFollowers()
	c.primary.leader.Store(&leader.addr)
	c.primary.follower.Store(true)
	c.mu.Lock()
	for id, kill := range c.subs {
		close(kill)
		delete(c.subs, id)
	}
	c.mu.Unlock()
	return leader.addr
}

// LagFollowers makes followers hide, from reads and subscriptions that do
// not insist on the leader, every record committed from now on, until
// CatchUpFollowers: replication running behind.
func (c *Controller) LagFollowers() {
	c.log.mu.Lock()
	next := c.log.next
	c.log.mu.Unlock()
	c.followerView.Store(next)
}

// CatchUpFollowers ends follower lag: followers show everything again, and
// their live subscriptions deliver what they held back.
func (c *Controller) CatchUpFollowers() {
	c.followerView.Store(0)
	c.log.poke()
}

// visible returns the part of all (in position order) that n shows to a
// request: everything on the leader or for a request that requires it,
// else what followers have replicated.
func (c *Controller) visible(n *node, ctx context.Context, all []*Record) []*Record {
	cut := c.followerView.Load()
	if n == nil || !n.follower.Load() || cut == 0 || requiresLeader(ctx) {
		return all
	}
	lo, hi := 0, len(all)
	for lo < hi {
		m := (lo + hi) / 2
		if all[m].Position < cut {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return all[:lo]
}

// SetMaxAppendSize sets the largest append the double accepts, in bytes of
// the proposed messages, as KurrentDB's MaxAppendSize does (default
// DefaultMaxAppendSize). A larger append is refused with
// codes.InvalidArgument, "Maximum Append Size of N Exceeded.", and nothing
// is written.
func (c *Controller) SetMaxAppendSize(n int) { c.maxAppend.Store(int64(n)) }

// tooLarge is KurrentDB's answer to an append over the maximum append size.
func tooLarge(limit int64) (metadata.MD, error) {
	md := metadata.Pairs("exception", "maximum-append-size-exceeded", "maximum-append-size", strconv.FormatInt(limit, 10))
	return md, status.Errorf(codes.InvalidArgument, "Maximum Append Size of %d Exceeded.", limit)
}

// DenyAll makes reads of and subscriptions to $all answer
// codes.PermissionDenied while on is true, as KurrentDB does for a user its
// ACL does not let read $all; turning it on also ends live subscriptions
// that way, as when an operator revokes the access. Appends and reads of
// one stream are unaffected.
func (c *Controller) DenyAll(on bool) {
	c.denyAll.Store(on)
	if !on {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, kill := range c.subs {
		close(kill)
		delete(c.subs, id)
	}
}

func errDenied() error { return status.Error(codes.PermissionDenied, "Access Denied") }

// SeedForeign writes n events of another application straight into the
// log, spread over streams named prefix+"0", prefix+"1", … (100 events
// each), without a gRPC call per event: the fast way to make a shared
// cluster's traffic for benchmarks. It returns the last position written.
func (c *Controller) SeedForeign(prefix string, n int) uint64 {
	data := []byte(`{"other":"application"}`)
	meta := []byte(`{}`)
	created := time.Now().UTC()
	l := c.log
	l.mu.Lock()
	defer l.mu.Unlock()
	var last uint64
	names := make([]string, 0, n/100+1)
	for i := range n {
		k := i / 100
		if k == len(names) {
			names = append(names, prefix+strconv.Itoa(k))
		}
		stream := names[k]
		s := l.streams[stream]
		r := &Record{ID: uuid.New(), Stream: stream, Revision: uint64(len(s)), Position: l.next,
			Type: "OtherThingHappened", ContentType: "application/json", Created: created, Metadata: meta, Data: data}
		l.next += recordSize(stream, proposed{typ: r.Type, metadata: meta, data: data})
		l.all = append(l.all, r)
		l.streams[stream] = append(s, r)
		last = r.Position
	}
	l.notify()
	return last
}

// send sends one event message and counts it.
func (c *Controller) send(srv api.Streams_ReadServer, msg *api.ReadResp) error {
	c.sent.Add(1)
	return srv.Send(msg)
}
