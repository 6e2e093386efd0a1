package kurrentdb

import (
	"context"
	"errors"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/referral-ledger/ledger/eventstore"
)

// Issue 18 point 2: every InvalidArgument answer is a definite invalid
// error (never unavailable, never retried), size limits name the limit,
// and PermissionDenied is an access error, as the client hands them over
// (wrapped in an *esdb.Error with ErrorCodeUnknown or AccessDenied).
func TestIssue18DefiniteErrorsAreDefinite(t *testing.T) {
	wrap := func(c codes.Code, msg string) error {
		e, _ := esdb.FromError(status.Error(c, msg))
		return e
	}
	cases := []struct {
		name    string
		err     error
		want    error
		limit   int64
		tooMuch bool
	}{
		{"MaxAppendSize", wrap(codes.InvalidArgument, "Maximum Append Size of 1048576 Exceeded."), eventstore.ErrTooLarge, 1048576, true},
		{"MaxEventSize", wrap(codes.InvalidArgument, "Maximum Event Size of 16777216 Exceeded."), eventstore.ErrTooLarge, 16777216, true},
		{"InvalidPosition", wrap(codes.InvalidArgument, "Invalid position."), eventstore.ErrInvalid, 0, false},
		{"MissingMetadata", wrap(codes.InvalidArgument, "Required Metadata Properties Missing: type"), eventstore.ErrInvalid, 0, false},
		{"PermissionDenied", wrap(codes.PermissionDenied, "Access Denied"), eventstore.ErrAccessDenied, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if isTransient(tc.err) || retryable(tc.err) || !isDefinitive(tc.err) {
				t.Errorf("%v: transient %v, retryable %v, definitive %v; want definitive only",
					tc.err, isTransient(tc.err), retryable(tc.err), isDefinitive(tc.err))
			}
			got := ledgerError(context.Background(), "append to referral-1", tc.err)
			if !errors.Is(got, tc.want) || errors.Is(got, eventstore.ErrUnavailable) {
				t.Fatalf("ledgerError = %v, want %v and not ErrUnavailable", got, tc.want)
			}
			var tl *eventstore.TooLargeError
			if errors.As(got, &tl) != tc.tooMuch || (tc.tooMuch && tl.Limit != tc.limit) {
				t.Errorf("ledgerError = %v, want a TooLargeError %v with limit %d", got, tc.tooMuch, tc.limit)
			}
		})
	}
}
