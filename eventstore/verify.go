package eventstore

import (
	"context"
	"fmt"
)

// VerifyReport summarises a verification pass over a store.
type VerifyReport struct {
	Events  int      // events checked, up to and excluding the first broken one
	Streams int      // distinct streams seen
	Last    Position // position of the last event checked
}

// verifyPage is how many events VerifyAll reads per call, so memory stays
// bounded however large the store is.
const verifyPage = 1000

// VerifyAll recomputes every stream's hash chain in store by reading all
// events in position order through the Store interface (R-LEDGER-4). It
// works for any backend; backends that can also prove nothing was cut from
// the end of the log offer a stronger check of their own.
//
// It returns a *BrokenLinkError naming the first event that does not verify,
// also when positions fail to increase; any other error comes from reading
// the store (for example ErrUnavailable or ErrClosed, wrapped). The report
// counts the events checked before the error.
func VerifyAll(ctx context.Context, store Store) (VerifyReport, error) {
	var rep VerifyReport
	v := NewChainVerifier()
	for {
		page, err := store.ReadAll(ctx, rep.Last, verifyPage)
		if err != nil {
			return rep, fmt.Errorf("eventstore: verify: read after position %d: %w", rep.Last, err)
		}
		// ReadAll promises at most limit events, not exactly limit, so only
		// an empty page proves the end.
		if len(page) == 0 {
			return rep, nil
		}
		for _, ev := range page {
			if ev.Position <= rep.Last {
				return rep, &BrokenLinkError{Stream: ev.Stream, Revision: ev.Revision, Position: ev.Position, EventID: ev.ID,
					Reason: fmt.Sprintf("position %d does not follow position %d", ev.Position, rep.Last)}
			}
			if err := v.Check(ev); err != nil {
				return rep, err
			}
			rep.Events++
			rep.Streams = v.Streams()
			rep.Last = ev.Position
		}
	}
}
