package kurrentdbtest

import (
	"math"
	"regexp"
	"sort"
	"strings"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
)

// Read answers reads of one stream or of $all, and subscriptions to $all.
// Reads send only Event and StreamNotFound messages: the Go client panics on
// any other message in a read, and KurrentDB sends others only to clients
// that ask for them through the control option.
func (s *streams) Read(req *api.ReadReq, srv api.Streams_ReadServer) error {
	s.ctl.reads.Add(1)
	opts := req.GetOptions()
	if opts == nil {
		return status.Error(codes.InvalidArgument, "kurrentdbtest: a read needs options")
	}
	w := wire{stringIDs: isStringUUID(opts)}
	if _, all := opts.GetStreamOption().(*api.ReadReq_Options_All); all && s.ctl.denyAll.Load() {
		return errDenied()
	}
	filter, err := newFilter(opts.GetFilter())
	if err != nil {
		return err
	}
	backwards := opts.GetReadDirection() == api.ReadReq_Options_Backwards
	switch so := opts.GetStreamOption().(type) {
	case *api.ReadReq_Options_Stream:
		if opts.GetSubscription() != nil {
			return status.Error(codes.Unimplemented, "kurrentdbtest: stream subscriptions are not modelled")
		}
		return s.readStream(srv, w, so.Stream, backwards, opts.GetCount())
	case *api.ReadReq_Options_All:
		if opts.GetSubscription() != nil {
			if backwards {
				return status.Error(codes.InvalidArgument, "kurrentdbtest: subscriptions read forwards")
			}
			return s.subscribe(srv, w, so.All, filter)
		}
		return s.readAll(srv, w, so.All, backwards, opts.GetCount(), filter)
	default:
		return status.Error(codes.InvalidArgument, "kurrentdbtest: a read needs a stream or $all")
	}
}

func (s *streams) readStream(srv api.Streams_ReadServer, w wire, o *api.ReadReq_Options_StreamOptions, backwards bool, count uint64) error {
	name := string(o.GetStreamIdentifier().GetStreamName())
	evs := s.ctl.log.stream(name)
	if cut := s.ctl.followerView.Load(); cut != 0 && s.node.follower.Load() && !requiresLeader(srv.Context()) {
		for len(evs) > 0 && evs[len(evs)-1].Position >= cut {
			evs = evs[:len(evs)-1]
		}
	}
	if len(evs) == 0 {
		return srv.Send(&api.ReadResp{Content: &api.ReadResp_StreamNotFound_{StreamNotFound: &api.ReadResp_StreamNotFound{
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(name)}}}})
	}
	var pick []*Record
	switch ro := o.GetRevisionOption().(type) {
	case *api.ReadReq_Options_StreamOptions_Revision:
		if backwards {
			pick = reversed(evs[:min(ro.Revision+1, uint64(len(evs)))])
		} else if ro.Revision < uint64(len(evs)) {
			pick = evs[ro.Revision:]
		}
	case *api.ReadReq_Options_StreamOptions_End:
		if backwards {
			pick = reversed(evs)
		}
	default: // start
		if !backwards {
			pick = evs
		}
	}
	for i, r := range pick {
		if uint64(i) == count {
			break
		}
		// KurrentDB sends no usable $all position with events read from a
		// stream.
		if err := s.ctl.send(srv, w.event(r, false)); err != nil {
			return err
		}
	}
	return nil
}

func (s *streams) readAll(srv api.Streams_ReadServer, w wire, o *api.ReadReq_Options_AllOptions, backwards bool, count uint64, f filter) error {
	all, _ := s.ctl.log.snapshot()
	all = s.ctl.visible(s.node, srv.Context(), all)
	// The records to send are all[from:to] forwards, or all[to-1] down to
	// all[from] backwards; no copy, so reading one record from the end of
	// a large log costs one record.
	from, to := 0, 0
	switch ao := o.GetAllOption().(type) {
	case *api.ReadReq_Options_AllOptions_Position:
		at := ao.Position.GetCommitPosition()
		i := sort.Search(len(all), func(i int) bool { return all[i].Position >= at })
		if backwards {
			from, to = 0, i // strictly before the position
		} else {
			from, to = i, len(all) // from the position on, including an event there
		}
	case *api.ReadReq_Options_AllOptions_End:
		if backwards {
			from, to = 0, len(all)
		}
	default: // start
		if !backwards {
			from, to = 0, len(all)
		}
	}
	sent := uint64(0)
	for k := range to - from {
		if sent == count {
			break
		}
		r := all[from+k]
		if backwards {
			r = all[to-1-k]
		}
		if !f.match(r) {
			continue
		}
		if err := s.ctl.send(srv, w.event(r, true)); err != nil {
			return err
		}
		sent++
	}
	return nil
}

func reversed(rs []*Record) []*Record {
	out := make([]*Record, len(rs))
	for i, r := range rs {
		out[len(rs)-1-i] = r
	}
	return out
}

// filter is a subscription's (or read's) server-side filter on stream names
// or event types, by prefixes or a regex, with its checkpoint interval.
type filter struct {
	on         bool
	eventType  bool
	prefixes   []string
	re         *regexp.Regexp
	checkpoint int // events scanned between checkpoints
}

func newFilter(fo *api.ReadReq_Options_FilterOptions) (filter, error) {
	if fo == nil {
		return filter{}, nil
	}
	f := filter{on: true, checkpoint: 32}
	var expr *api.ReadReq_Options_FilterOptions_Expression
	if e := fo.GetEventType(); e != nil {
		f.eventType, expr = true, e
	} else {
		expr = fo.GetStreamIdentifier()
	}
	if expr == nil || (len(expr.GetPrefix()) == 0 && expr.GetRegex() == "") {
		return filter{}, status.Error(codes.InvalidArgument, "kurrentdbtest: a filter needs prefixes or a regex")
	}
	f.prefixes = expr.GetPrefix()
	if expr.GetRegex() != "" {
		re, err := regexp.Compile(expr.GetRegex())
		if err != nil {
			return filter{}, status.Errorf(codes.InvalidArgument, "kurrentdbtest: filter regex: %v", err)
		}
		f.re = re
	}
	if m := fo.GetMax(); m > 0 {
		f.checkpoint = int(m) * int(max(fo.GetCheckpointIntervalMultiplier(), 1))
	}
	return f, nil
}

func (f filter) match(r *Record) bool {
	if !f.on {
		return true
	}
	subject := r.Stream
	if f.eventType {
		subject = r.Type
	}
	if f.re != nil {
		return f.re.MatchString(subject)
	}
	for _, p := range f.prefixes {
		if strings.HasPrefix(subject, p) {
			return true
		}
	}
	return false
}

// wire turns records into messages as the request asked for them.
type wire struct {
	stringIDs bool
}

func isStringUUID(opts *api.ReadReq_Options) bool {
	_, ok := opts.GetUuidOption().GetContent().(*api.ReadReq_Options_UUIDOption_String_)
	return ok
}

// event builds a ReadResp for r. Events read from $all carry their commit
// and prepare positions; events read from a stream carry the maximum uint64
// and no position, as KurrentDB sends them.
func (w wire) event(r *Record, withPosition bool) *api.ReadResp {
	rec := &api.ReadResp_ReadEvent_RecordedEvent{
		Id:               w.uuid(r.ID),
		StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(r.Stream)},
		StreamRevision:   r.Revision,
		PreparePosition:  math.MaxUint64,
		CommitPosition:   math.MaxUint64,
		Metadata: map[string]string{
			"type":         r.Type,
			"content-type": r.ContentType,
			"created":      ticks(r),
		},
		CustomMetadata: r.Metadata,
		Data:           r.Data,
	}
	ev := &api.ReadResp_ReadEvent{Event: rec}
	if withPosition {
		rec.PreparePosition, rec.CommitPosition = r.Position, r.Position
		ev.Position = &api.ReadResp_ReadEvent_CommitPosition{CommitPosition: r.Position}
	} else {
		ev.Position = &api.ReadResp_ReadEvent_NoPosition{NoPosition: &shared.Empty{}}
	}
	return &api.ReadResp{Content: &api.ReadResp_Event{Event: ev}}
}

func (w wire) uuid(id uuid.UUID) *shared.UUID {
	if w.stringIDs {
		return &shared.UUID{Value: &shared.UUID_String_{String_: id.String()}}
	}
	return toUUID(id)
}
