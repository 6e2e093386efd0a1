package main

import (
	"context"
	"fmt"
	"io"

	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/keystore"
	"github.com/referral-ledger/ledger/ledger"
)

// offlineKeys is how a tool that runs without the server gets client keys:
// through the same ledger.ClientKeys as the server, checking the ledger's
// own erasure records (read from store) before any key is used (R-PRIV-8).
// A key found for an erased client is destroyed when keys can be written,
// and never used when it cannot; either way the count is written to
// report, with no client data.
func offlineKeys(ctx context.Context, store eventstore.Store, keys keystore.Store, report io.Writer) (*ledger.ClientKeys, *ledger.ErasureRecords, error) {
	records, err := ledger.ReadErasureRecords(ctx, store)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the ledger's erasure records: %w", err)
	}
	log := zerolog.New(zerolog.ConsoleWriter{Out: report, NoColor: true, PartsExclude: []string{zerolog.TimestampFieldName}})
	return ledger.NewClientKeys(keys, records, ledger.WithKeysLog(log)), records, nil
}

// shredErasedKeys destroys every key the key store holds for a client the
// ledger records as erased, before a tool copies or rewraps the keys. It
// returns how many it destroyed and how many it found but could not
// destroy.
func shredErasedKeys(ctx context.Context, keys *ledger.ClientKeys, records *ledger.ErasureRecords) (destroyed, kept int64) {
	for _, client := range records.Erased() {
		_ = keys.ShredErased(ctx, client) // counted in Revived
	}
	return keys.Revived()
}
