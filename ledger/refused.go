package ledger

import (
	"context"
	"slices"

	"github.com/referral-ledger/ledger/domain"
)

type refusedKey struct{}

// WithRefused returns ctx carrying the field errors found in a request's
// body before any command could look at it (a value of the wrong type, an
// unknown key). A command run under it still decides, so that whoever may
// not act hears that first and the command's own field errors are named
// with these, but it writes nothing: where it would, Refused answers.
func WithRefused(ctx context.Context, fields []domain.FieldError) context.Context {
	if len(fields) == 0 {
		return ctx
	}
	return context.WithValue(ctx, refusedKey{}, slices.Clone(fields))
}

// Refused returns the Invalid error naming the field errors ctx carries
// (WithRefused), or nil. Every write a request makes checks it first.
func Refused(ctx context.Context) error {
	if fields, _ := ctx.Value(refusedKey{}).([]domain.FieldError); len(fields) > 0 {
		return domain.InvalidFields(fields...)
	}
	return nil
}
