package eventstore

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// checkMetadataJSON fails t unless appendMetadataJSON gives exactly
// json.Marshal's bytes whenever it claims to, so ComputeHash seals the same
// bytes it always has and existing ledgers still verify.
func checkMetadataJSON(t *testing.T, meta Metadata) {
	t.Helper()
	want, err := json.Marshal(meta)
	got, ok := appendMetadataJSON(nil, meta)
	if ok && (err != nil || !bytes.Equal(got, want)) {
		t.Errorf("appendMetadataJSON(%+v) = %s, want %s (%v)", meta, got, want, err)
	}
}

// Issue 14, point 4: the hand-written metadata JSON under the hash is
// byte for byte json.Marshal's, and falls back to it where it cannot be.
func TestMetadataJSONMatchesMarshal_Issue14(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 30, 0, 123456789, time.UTC)
	cases := []Metadata{
		{},
		{RecordedAt: at, PrevHash: GenesisHash},
		{ActorUserID: "0190a4c5-7f64-7d6e-8a3b-5b1f0e2d9c44", ActorOrganisationID: "o", RecordedAt: at,
			CorrelationID: "c", CausationID: "d", PrevHash: GenesisHash, Hash: "h"},
		{ActorOrganisationID: "only the organisation", RecordedAt: time.Date(2026, 3, 1, 10, 30, 0, 0, time.UTC)},
		{CausationID: "<&>", RecordedAt: at},
		{CorrelationID: "quote\" backslash\\ tab\t", RecordedAt: at},
		{ActorUserID: "é \xff \u2028", RecordedAt: at},
		{RecordedAt: at.In(time.FixedZone("", 3600))},
		{RecordedAt: at.In(time.FixedZone("zero", 0))},
		{RecordedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	fallbacks := 0
	for _, m := range cases {
		checkMetadataJSON(t, m)
		if _, ok := appendMetadataJSON(nil, m); !ok {
			fallbacks++
		}
	}
	if fallbacks != 5 {
		t.Errorf("%d cases fell back to json.Marshal, want the 5 with escapes, an offset or a year past 9999", fallbacks)
	}
}

func FuzzMetadataJSON(f *testing.F) {
	f.Add("u", "o", "c", "d", GenesisHash, int64(1767225600), int64(5), 0)
	f.Fuzz(func(t *testing.T, user, org, corr, cause, prev string, sec, nsec int64, offset int) {
		at := time.Unix(sec, nsec).In(time.FixedZone("", offset%100000))
		checkMetadataJSON(t, Metadata{ActorUserID: user, ActorOrganisationID: org, RecordedAt: at,
			CorrelationID: corr, CausationID: cause, PrevHash: prev})
	})
}
