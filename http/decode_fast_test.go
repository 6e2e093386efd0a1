package http

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/referral-ledger/ledger/domain"
)

// TestIssue14DecodeFastPathAgreesWithTheWalk: a body the quick walk
// accepts is one the token-by-token walk with a json.Decoder accepts too,
// and decodes to the same value; what the quick walk leaves to the
// Decoder (keys with escapes, types that decode themselves, any error) is
// still answered by it.
func TestIssue14DecodeFastPathAgreesWithTheWalk(t *testing.T) {
	bodies := []struct {
		body string
		fast bool // whether the quick walk settles it
	}{
		{`{"to_organisation_id":"x","urgent":true,"client":{"name":"A \"B\"\n","date_of_birth":""},"reason":"r"}`, true},
		{` { "consent" : { "method" : "verbal" , "confirmed" : false } , "services" : [ {"name":"a"}, {"name":"b"} ] } `, true},
		{`{"count":-12,"size":65535,"score":1.5e3,"extra":{"k":"v","k2":"w"},"team":"t","consent":null}`, true},
		{`{"extra":{"\u006b2":"w"}}`, false},                          // an escaped key, even a map's
		{`{"user_id":"0192f0c8-7c1e-7a3b-9c1d-2f3e4a5b6c7d"}`, false}, // decodes itself: left to the Decoder
		{`{"\u0072eason":"r"}`, false},                                // an escaped key
		{`{"reason":"r","reason":"s"}`, false},                        // duplicate
		{`{"Reason":"r"}`, false},                                     // unknown (case matters)
		{`{"count":300}`, false},                                      // out of range
		{`{"urgent":"yes"}`, false},                                   // wrong type
		{`{"reason":"r"} {}`, false},                                  // data after the object
		{`["reason"]`, false},                                         // not an object
		{`{"reason":"r",}`, false},                                    // not JSON
	}
	for _, tc := range bodies {
		var fast decodeTarget
		if got := fastValid([]byte(tc.body), &fast); got != tc.fast {
			t.Errorf("%s: fastValid = %v, want %v", tc.body, got, tc.fast)
		}
		slowErr := walk([]byte(tc.body), &decodeTarget{})
		if tc.fast && slowErr != nil {
			t.Errorf("%s: the quick walk accepts what the Decoder's walk refuses: %v", tc.body, slowErr)
		}
		var viaFast, viaSlow decodeTarget
		errFast := decodeJSONBytes([]byte(tc.body), &viaFast)
		if (errFast == nil) != (slowErr == nil) && domain.ErrorCode(errFast) != domain.ErrorCode(slowErr) {
			t.Errorf("%s: decodeJSONBytes = %v, the Decoder's walk = %v", tc.body, errFast, slowErr)
		}
		if slowErr == nil {
			if err := walkThenDecode([]byte(tc.body), &viaSlow); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(viaFast, viaSlow) {
				t.Errorf("%s: decoded %+v, the Decoder's walk %+v", tc.body, viaFast, viaSlow)
			}
		}
	}
}

// walkThenDecode is decodeJSONBytes without the quick walk.
func walkThenDecode(body []byte, dst any) error {
	if err := walk(body, dst); err != nil {
		return err
	}
	return decodeStrict(body, dst)
}

// TestIssue14DecodeManyKeysStillFindsDuplicates: past the keys an object
// keeps without allocating, a repeated key is still named.
func TestIssue14DecodeManyKeysStillFindsDuplicates(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"k1":1`)
	for i := 2; i <= 30; i++ {
		b.WriteString(`,"k` + strconv.Itoa(i) + `":1`)
	}
	b.WriteString(`,"k20":1,"k3":1}`)
	err := decodeJSONBytes([]byte(b.String()), &map[string]int{})
	if err != nil {
		t.Fatalf("a map's keys are data, not fields: %v", err)
	}
	// A struct with the fields k1 to k30, so that no error but the
	// duplicates is reported.
	var known []reflect.StructField
	for i := 1; i <= 30; i++ {
		known = append(known, reflect.StructField{Name: "K" + strconv.Itoa(i), Type: reflect.TypeFor[int](),
			Tag: reflect.StructTag(`json:"k` + strconv.Itoa(i) + `"`)})
	}
	err = decodeJSONBytes([]byte(b.String()), reflect.New(reflect.StructOf(known)).Interface())
	fields := domain.ErrorFields(err)
	dups := map[string]bool{}
	for _, f := range fields {
		if f.Message == "duplicate field" {
			dups[f.Field] = true
		}
	}
	if !dups["k20"] || !dups["k3"] {
		t.Errorf("duplicates named: %v (errors %v)", dups, fields)
	}
}

// FuzzIssue14DecodeFastPath: the quick walk never accepts a body the
// token-by-token walk with a json.Decoder refuses.
func FuzzIssue14DecodeFastPath(f *testing.F) {
	f.Add([]byte(`{"reason":"r","client":{"name":"n"},"services":[{"name":"a"}],"count":1,"extra":{"a":"b"}}`))
	f.Add([]byte(`{"consent":{"method":"verbal","confirmed":true},"urgent":false,"score":-1.5e-3}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if !utf8.Valid(body) || !fastValid(body, &decodeTarget{}) {
			return
		}
		if err := walk(body, &decodeTarget{}); err != nil {
			t.Fatalf("the quick walk accepts %q, the Decoder's walk refuses it: %v", body, err)
		}
	})
}
