package kurrentdbtest

import (
	"encoding/binary"
	"errors"
	"sort"
	"strconv"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
)

// subscribe serves a catch-up subscription to $all: a confirmation, the
// stored events after the start (exclusive of an event at a given
// position, as KurrentDB's subscriptions are), CaughtUp, then live events,
// with a checkpoint every f.checkpoint events scanned when filtering. It
// ends when the client goes away, the server stops, or DropSubscriptions.
func (s *streams) subscribe(srv api.Streams_ReadServer, w wire, o *api.ReadReq_Options_AllOptions, f filter) error {
	kill, forget := s.ctl.register()
	defer forget()
	if err := srv.Send(&api.ReadResp{Content: &api.ReadResp_Confirmation{Confirmation: &api.ReadResp_SubscriptionConfirmation{
		SubscriptionId: uuid.NewString()}}}); err != nil {
		return err
	}
	s.ctl.subscribes.Add(1)
	all, changed := s.ctl.log.snapshot()
	all = s.ctl.visible(s.node, srv.Context(), all)
	next := 0
	switch ao := o.GetAllOption().(type) {
	case *api.ReadReq_Options_AllOptions_Position:
		at := ao.Position.GetCommitPosition()
		next = sort.Search(len(all), func(i int) bool { return all[i].Position > at })
	case *api.ReadReq_Options_AllOptions_End:
		next = len(all)
	}
	caughtUp := false
	scanned := 0
	for {
		for ; next < len(all); next++ {
			r := all[next]
			if f.match(r) {
				if err := s.ctl.send(srv, w.event(r, true)); err != nil {
					return err
				}
			}
			if scanned++; f.on && scanned%f.checkpoint == 0 {
				if err := srv.Send(checkpoint(r.Position)); err != nil {
					return err
				}
			}
		}
		if !caughtUp {
			caughtUp = true
			if err := srv.Send(&api.ReadResp{Content: &api.ReadResp_CaughtUp_{CaughtUp: &api.ReadResp_CaughtUp{}}}); err != nil {
				return err
			}
		}
		select {
		case <-changed:
			all, changed = s.ctl.log.snapshot()
			all = s.ctl.visible(s.node, srv.Context(), all)
		case <-kill:
			switch {
			case s.ctl.denyAll.Load():
				return errDenied()
			case s.node.follower.Load():
				return status.Error(codes.Unavailable, "kurrentdbtest: the node is no longer the leader")
			}
			return status.Error(codes.Aborted, "kurrentdbtest: subscription dropped by the test")
		case <-srv.Context().Done():
			return srv.Context().Err()
		}
	}
}

func checkpoint(pos uint64) *api.ReadResp {
	return &api.ReadResp{Content: &api.ReadResp_Checkpoint_{Checkpoint: &api.ReadResp_Checkpoint{
		CommitPosition: pos, PreparePosition: pos}}}
}

func toUUID(id uuid.UUID) *shared.UUID {
	return &shared.UUID{Value: &shared.UUID_Structured_{Structured: &shared.UUID_Structured{
		MostSignificantBits:  int64(binary.BigEndian.Uint64(id[:8])),
		LeastSignificantBits: int64(binary.BigEndian.Uint64(id[8:])),
	}}}
}

func fromUUID(u *shared.UUID) (uuid.UUID, error) {
	if st := u.GetStructured(); st != nil {
		var id uuid.UUID
		binary.BigEndian.PutUint64(id[:8], uint64(st.GetMostSignificantBits()))
		binary.BigEndian.PutUint64(id[8:], uint64(st.GetLeastSignificantBits()))
		return id, nil
	}
	if s := u.GetString_(); s != "" {
		return uuid.Parse(s)
	}
	return uuid.Nil, errors.New("missing")
}

// ticks renders r's creation time as KurrentDB does: .NET ticks (100 ns)
// since the Unix epoch.
func ticks(r *Record) string {
	return strconv.FormatInt(r.Created.UnixNano()/100, 10)
}
