package projections

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
)

// fillEvery sets every field of v to a value that is not zero, and
// distinct enough to catch two fields swapped.
func fillEvery(t *testing.T, v reflect.Value, seed *int) {
	t.Helper()
	for i := range v.NumField() {
		f := v.Field(i)
		*seed++
		switch f.Interface().(type) {
		case uuid.UUID:
			f.Set(reflect.ValueOf(uuid.NewSHA1(uuid.NameSpaceOID, []byte{byte(*seed)})))
			continue
		case time.Time:
			at := time.Date(2026, time.March, 1+*seed%27, 9, *seed, 0, *seed, time.UTC)
			if *seed%2 == 0 {
				at = at.In(time.FixedZone("", 3600))
			}
			f.Set(reflect.ValueOf(at))
			continue
		}
		switch f.Kind() {
		case reflect.Bool:
			f.SetBool(true)
		case reflect.String:
			f.SetString("s" + string(rune('a'+*seed%26)))
		case reflect.Int, reflect.Int64:
			f.SetInt(int64(*seed))
		case reflect.Uint64:
			f.SetUint(uint64(*seed))
		case reflect.Struct:
			fillEvery(t, f, seed)
		case reflect.Pointer:
			f.Set(reflect.New(f.Type().Elem()))
			fillEvery(t, f.Elem(), seed)
		case reflect.Slice:
			f.Set(reflect.MakeSlice(f.Type(), 1, 1))
		default:
			t.Fatalf("field %s of kind %s: teach the test (and encodeEntry) about it", v.Type().Field(i).Name, f.Kind())
		}
	}
}

// TestReferralRowRoundTrip: every field of a referral's state that the
// read model keeps (withoutClientData) survives the rows' binary form,
// so a field the domain adds is not silently dropped from the views.
func TestReferralRowRoundTrip(t *testing.T) {
	var e referralEntry
	seed := 0
	fillEvery(t, reflect.ValueOf(&e).Elem(), &seed)
	e.R = withoutClientData(e.R)
	got, err := decodeEntry(encodeEntry(&e))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, e) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", *got, e)
	}
	if _, err := decodeEntry(encodeEntry(&e)[:40]); err == nil {
		t.Error("a truncated row decoded")
	}
}
