package kurrentdbtest

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
)

// Controller runs one double and injects faults into it. Its methods are
// safe for concurrent use.
type Controller struct {
	tb   testing.TB
	addr string
	log  *eventLog

	mu     sync.Mutex
	srv    *grpc.Server      // nil while stopped
	lis    *trackingListener // nil while stopped
	faults []appendFault     // applied to the next appends, in order
	holds  []hold            // rendezvous of the faultHold entries, in order
	// streamHolds are HoldNextAppendTo's rendezvous, by stream, in order.
	streamHolds map[string][]hold
	subs        map[int]chan struct{}
	nextSub     int

	primary *node          // the node Start listens on
	others  []*grpc.Server // nodes ElectNewLeader started

	unavailable  atomic.Bool
	denyAll      atomic.Bool
	maxAppend    atomic.Int64
	followerView atomic.Uint64 // followers see records before this position; 0: all
	appends      atomic.Int64
	sent         atomic.Int64 // event messages sent by reads and subscriptions
	reads        atomic.Int64
	subscribes   atomic.Int64
}

// Start runs a double on 127.0.0.1 with an ephemeral port until tb ends and
// returns its connection string, esdb://127.0.0.1:PORT?tls=false, and its
// Controller. The store starts empty.
func Start(tb testing.TB) (url string, ctl *Controller) {
	tb.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("kurrentdbtest: listen: %v", err)
	}
	c := &Controller{tb: tb, addr: lis.Addr().String(), log: newEventLog(), subs: make(map[int]chan struct{})}
	c.primary = &node{addr: c.addr}
	c.maxAppend.Store(DefaultMaxAppendSize)
	c.serve(lis)
	tb.Cleanup(c.Stop)
	return c.URL(), c
}

// URL returns the connection string of the double.
func (c *Controller) URL() string { return "esdb://" + c.addr + "?tls=false" }

// Addr returns the host:port the double listens on, which stays the same
// across Stop and Restart.
func (c *Controller) Addr() string { return c.addr }

// serve starts a gRPC server on lis as the primary node. c.mu must not be
// held.
func (c *Controller) serve(lis net.Listener) {
	srv := c.newServer(c.primary)
	tl := &trackingListener{Listener: lis, conns: make(map[net.Conn]struct{})}
	c.mu.Lock()
	c.srv, c.lis = srv, tl
	c.mu.Unlock()
	go func() { _ = srv.Serve(tl) }()
}

// Stop closes the listener and every connection, ending every call in
// flight: until Restart, clients get "connection refused". Events stay.
// Stopping a stopped double does nothing.
func (c *Controller) Stop() {
	c.mu.Lock()
	srv := c.srv
	c.srv, c.lis = nil, nil
	others := c.others
	c.others = nil
	c.mu.Unlock()
	if srv != nil {
		srv.Stop()
	}
	for _, o := range others {
		o.Stop()
	}
}

// Restart listens again on the same address, with the events stored
// before Stop. Restarting a running double does nothing.
func (c *Controller) Restart() {
	c.tb.Helper()
	c.mu.Lock()
	running := c.srv != nil
	c.mu.Unlock()
	if running {
		return
	}
	var lis net.Listener
	var err error
	for range 50 { // the old socket may linger for a moment
		if lis, err = net.Listen("tcp", c.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		c.tb.Fatalf("kurrentdbtest: listen again on %s: %v", c.addr, err)
	}
	c.serve(lis)
}

// DropConnections closes every client connection at the socket, as a
// network failure would, while the server keeps listening: clients see
// their calls and subscriptions fail and can reconnect at once.
func (c *Controller) DropConnections() {
	c.mu.Lock()
	lis := c.lis
	c.mu.Unlock()
	if lis != nil {
		lis.closeConns()
	}
}

// SetUnavailable makes every Streams call fail with codes.Unavailable while
// on is true, as a node that is up but not serving (starting, or without a
// leader) answers.
func (c *Controller) SetUnavailable(on bool) { c.unavailable.Store(on) }

// Appends returns how many Append calls the double has received.
func (c *Controller) Appends() int { return int(c.appends.Load()) }

// Reads returns how many Read calls (reads and subscriptions) the double has
// received.
func (c *Controller) Reads() int { return int(c.reads.Load()) }

// Sent returns how many event messages the double has sent, in reads and
// subscriptions together: what a client had to receive and look at.
func (c *Controller) Sent() int { return int(c.sent.Load()) }

// Subscribes returns how many subscriptions the double has confirmed.
func (c *Controller) Subscribes() int { return int(c.subscribes.Load()) }

// trackingListener remembers the connections it accepted so they can be cut
// without closing the listener.
type trackingListener struct {
	net.Listener
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

func (l *trackingListener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.conns[conn] = struct{}{}
	l.mu.Unlock()
	return &trackedConn{Conn: conn, l: l}, nil
}

func (l *trackingListener) closeConns() {
	l.mu.Lock()
	conns := l.conns
	l.conns = make(map[net.Conn]struct{})
	l.mu.Unlock()
	for conn := range conns {
		_ = conn.Close()
	}
}

type trackedConn struct {
	net.Conn
	l *trackingListener
}

func (c *trackedConn) Close() error {
	c.l.mu.Lock()
	delete(c.l.conns, c.Conn)
	c.l.mu.Unlock()
	err := c.Conn.Close()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// String describes the double for test logs.
func (c *Controller) String() string { return fmt.Sprintf("kurrentdbtest double at %s", c.addr) }
