// Package kurrentdbtest is a protocol test double for KurrentDB: it checks
// the adapter's wire mapping and error handling, not KurrentDB itself.
//
// Start runs an in-process gRPC server on 127.0.0.1 that speaks the parts of
// KurrentDB's Streams service the kurrentdb adapter uses, built on the client
// module's own generated types (protos/streams, protos/shared):
//
//   - Append, with optimistic concurrency (any, no stream, stream exists, an
//     exact revision) and KurrentDB's event-id idempotency: a write whose ids
//     are already the events just after the expected revision succeeds
//     without writing and without a position, as KurrentDB answers it;
//   - Read of one stream forwards or backwards (StreamNotFound for a stream
//     with no events) and of $all forwards or backwards from the start, the
//     end or a position;
//   - catch-up subscriptions to $all with a stream-name or event-type filter
//     (prefixes or a regex): confirmation, stored events, CaughtUp, then live
//     events, with checkpoints.
//
// Everything else is answered Unimplemented, including ServerFeatures, which
// the client tolerates, and Gossip, which the client asks for only in cluster
// mode (esdb+discover:// or several hosts) and Start's URL never uses.
//
// It mimics the wire shapes the adapter has to cope with: each event has its
// own commit position, equal to its prepare position, and positions grow by
// the size of each record as offsets in KurrentDB's transaction log do, so
// they are sparse (the first event is at 1, the next somewhere after it);
// reads of one stream carry no usable position (commit and prepare are the
// maximum uint64, as KurrentDB sends for stream reads), so an adapter that
// took positions from them would fail; system events ("$"-prefixed streams)
// and other applications' streams can be written with AppendRaw.
//
// The Controller injects the faults a real deployment has: connections
// dropped (DropConnections), the server stopped and restarted on the same
// port (Stop, Restart), an append committed but answered Unavailable so its
// outcome is unknown (FailNextAppendAfterCommit), an append refused before
// writing (FailNextAppendBeforeCommit), a spurious WrongExpectedVersion
// (RejectNextAppend), an append held while another writer moves the stream
// so it meets a genuine one (HoldNextAppend), live subscriptions ended
// mid-stream (DropSubscriptions), a node that answers every call
// Unavailable (SetUnavailable), a leader election after which the old node
// is a follower that answers requires-leader calls with KurrentDB's
// not-leader exception and serves the rest from a lagging view while still
// committing appends (ElectNewLeader, LagFollowers, CatchUpFollowers), a
// maximum append size answered InvalidArgument (SetMaxAppendSize, default
// 1 MiB as KurrentDB's), and a user who may not read $all, refused
// PermissionDenied at once and in live subscriptions (DenyAll). SeedForeign
// writes another application's events in bulk, without a call per event,
// for shared-cluster benchmarks. It also counts calls (Appends, Reads,
// Subscribes) and event messages sent (Sent) and shows what it stores
// (Stream, All).
//
// What it does not prove: anything about KurrentDB's storage, durability,
// clustering, real elections and replication, authorisation rules,
// scavenging, limits or performance, nor that KurrentDB behaves exactly as
// modelled here (the faults follow the server's documented answers and the
// client's source). The
// model follows the documented protocol and the client's source; the same
// contract suite runs against a real server when KURRENTDB_URL is set (see
// eventstore/kurrentdb/README.md), and only that run speaks for KurrentDB.
package kurrentdbtest
