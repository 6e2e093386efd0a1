package kurrentdbtest

import (
	"errors"
	"io"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// streams implements the Streams service on the Controller's log.
type streams struct {
	api.UnimplementedStreamsServer
	ctl  *Controller
	node *node
}

// Append reads the options message, then the proposed events, then answers
// Success or WrongExpectedVersion as KurrentDB does.
func (s *streams) Append(srv api.Streams_AppendServer) error {
	s.ctl.appends.Add(1)
	first, err := srv.Recv()
	if err != nil {
		return err
	}
	opts := first.GetOptions()
	if opts == nil {
		return status.Error(codes.InvalidArgument, "kurrentdbtest: the first append message must carry options")
	}
	stream := string(opts.GetStreamIdentifier().GetStreamName())
	var exp expectation
	switch o := opts.GetExpectedStreamRevision().(type) {
	case *api.AppendReq_Options_Revision:
		exp = expectation{kind: expectRevision, revision: o.Revision}
	case *api.AppendReq_Options_NoStream:
		exp.kind = expectNoStream
	case *api.AppendReq_Options_StreamExists:
		exp.kind = expectExists
	default:
		exp.kind = expectAny
	}
	var evs []proposed
	size := 0
	for {
		msg, err := srv.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		p := msg.GetProposedMessage()
		if p == nil {
			return status.Error(codes.InvalidArgument, "kurrentdbtest: expected a proposed message")
		}
		size += proto.Size(p)
		id, err := fromUUID(p.GetId())
		if err != nil {
			return status.Errorf(codes.InvalidArgument, "kurrentdbtest: event id: %v", err)
		}
		typ := p.GetMetadata()["type"]
		if typ == "" {
			return status.Error(codes.InvalidArgument, "kurrentdbtest: an event needs a type")
		}
		evs = append(evs, proposed{id: id, typ: typ, contentType: p.GetMetadata()["content-type"],
			metadata: p.GetCustomMetadata(), data: p.GetData()})
	}
	if stream == "" || len(evs) == 0 {
		return status.Error(codes.InvalidArgument, "kurrentdbtest: an append needs a stream and events")
	}
	// KurrentDB counts the proposed messages as they arrive; the double
	// reads them all first, so the client always gets the answer rather
	// than a broken send.
	if limit := s.ctl.maxAppend.Load(); int64(size) > limit {
		md, err := tooLarge(limit)
		srv.SetTrailer(md)
		return err
	}

	if h, ok := s.ctl.takeStreamHold(stream); ok && !h.wait(srv.Context().Done()) {
		return srv.Context().Err()
	}
	switch s.ctl.takeFault() {
	case faultHold:
		if !s.ctl.takeHold().wait(srv.Context().Done()) {
			return srv.Context().Err()
		}
	case faultBeforeCommit:
		return status.Error(codes.Unavailable, "kurrentdbtest: injected failure before commit")
	case faultWrongExpected:
		return srv.SendAndClose(wrongExpected(exp, s.ctl.log.current(stream)))
	case faultAfterCommit:
		if out := s.ctl.log.append(stream, exp, evs, time.Now()); out.wrong {
			return srv.SendAndClose(wrongExpected(exp, out.current))
		}
		return status.Error(codes.Unavailable, "kurrentdbtest: injected failure after commit")
	}

	out := s.ctl.log.append(stream, exp, evs, time.Now())
	if out.wrong {
		return srv.SendAndClose(wrongExpected(exp, out.current))
	}
	success := &api.AppendResp_Success{
		CurrentRevisionOption: &api.AppendResp_Success_CurrentRevision{CurrentRevision: out.last.Revision},
	}
	if out.idempotent {
		// KurrentDB reports no position for a write it recognised as a retry.
		success.PositionOption = &api.AppendResp_Success_NoPosition{NoPosition: &shared.Empty{}}
	} else {
		success.PositionOption = &api.AppendResp_Success_Position{Position: &api.AppendResp_Position{
			CommitPosition: out.last.Position, PreparePosition: out.last.Position}}
	}
	return srv.SendAndClose(&api.AppendResp{Result: &api.AppendResp_Success_{Success: success}})
}

// wrongExpected builds KurrentDB's WrongExpectedVersion answer, in both the
// current fields and the ones servers before 20.6 used.
func wrongExpected(exp expectation, current int64) *api.AppendResp {
	w := &api.AppendResp_WrongExpectedVersion{}
	if current < 0 {
		w.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentNoStream{CurrentNoStream: &shared.Empty{}}
		w.CurrentRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_NoStream_20_6_0{NoStream_20_6_0: &shared.Empty{}}
	} else {
		w.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentRevision{CurrentRevision: uint64(current)}
		w.CurrentRevisionOption_20_6_0 = &api.AppendResp_WrongExpectedVersion_CurrentRevision_20_6_0{CurrentRevision_20_6_0: uint64(current)}
	}
	switch exp.kind {
	case expectRevision:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedRevision{ExpectedRevision: exp.revision}
	case expectNoStream:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedNoStream{ExpectedNoStream: &shared.Empty{}}
	case expectExists:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedStreamExists{ExpectedStreamExists: &shared.Empty{}}
	default:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedAny{ExpectedAny: &shared.Empty{}}
	}
	return &api.AppendResp{Result: &api.AppendResp_WrongExpectedVersion_{WrongExpectedVersion: w}}
}
