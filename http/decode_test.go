package http

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// decodeTarget exercises every kind of field decodeJSON checks.
type decodeTarget struct {
	ToOrganisationID string `json:"to_organisation_id"`
	Urgent           bool   `json:"urgent"`
	Client           struct {
		Name        string `json:"name"`
		DateOfBirth string `json:"date_of_birth"`
	} `json:"client"`
	Reason  string `json:"reason"`
	Consent *struct {
		Method    string `json:"method"`
		Confirmed bool   `json:"confirmed"`
	} `json:"consent"`
	Services []struct {
		Name string `json:"name"`
	} `json:"services"`
	Count  int8              `json:"count"`
	Size   uint16            `json:"size"`
	Score  float32           `json:"score"`
	UserID uuid.UUID         `json:"user_id"` // encoding.TextUnmarshaler
	At     time.Time         `json:"at"`      // json.Unmarshaler
	Extra  map[string]string `json:"extra"`
	Hidden string            `json:"-"`
	embeddedTarget
}

type embeddedTarget struct {
	Team string `json:"team"`
}

// clientData stands for a value a client sends; no error may repeat it.
const clientData = "Jane Q Marker"

func decodeEngine(tb testing.TB, got *decodeTarget) *gin.Engine {
	tb.Helper()
	r, _, _ := testEngine(tb)
	r.POST("/v1/referrals", func(c *gin.Context) {
		if err := decodeJSON(c, got); err != nil {
			writeError(c, err)
			return
		}
		c.Status(http.StatusOK)
	})
	return r
}

func TestDecodeJSON(t *testing.T) {
	const jsonCT = "application/json"
	tests := []struct {
		name        string
		contentType string
		body        string
		status      int
		detail      string              // a substring of the detail
		fields      []domain.FieldError // exactly, when status is 422
	}{
		{name: "OK", contentType: jsonCT, status: http.StatusOK,
			body: `{"to_organisation_id":"x","urgent":true,"client":{"name":"` + clientData + `"},"consent":{"method":"verbal","confirmed":true},
			        "services":[{"name":"a"}],"count":-7,"size":7,"score":1.5,"user_id":"` + uuid.Nil.String() + `",
			        "at":"2025-01-31T17:00:00Z","extra":{"Any Key":"v"},"team":"north","reason":null}`},
		{name: "OKWithCharset", contentType: "application/json; charset=UTF-8", body: `{}`, status: http.StatusOK},
		{name: "OKWhitespaceAround", contentType: jsonCT, body: " \n{}\r\n\t", status: http.StatusOK},

		{name: "NoBody", contentType: jsonCT, body: "", status: http.StatusBadRequest, detail: "body is required"},
		{name: "OnlyWhitespace", contentType: jsonCT, body: "  \n", status: http.StatusBadRequest, detail: "body is required"},
		{name: "NoContentType", contentType: "", body: `{}`, status: http.StatusUnsupportedMediaType},
		{name: "TextPlain", contentType: "text/plain", body: `{}`, status: http.StatusUnsupportedMediaType},
		{name: "OtherCharset", contentType: "application/json; charset=latin1", body: `{}`, status: http.StatusUnsupportedMediaType},
		{name: "InvalidUTF8", contentType: jsonCT, body: "{\"reason\":\"\xff\"}", status: http.StatusBadRequest, detail: "UTF-8"},
		{name: "SyntaxError", contentType: jsonCT, body: `{"reason": ` + clientData + `}`, status: http.StatusBadRequest, detail: "unexpected byte at offset 11"},
		{name: "Truncated", contentType: jsonCT, body: `{"reason":"` + clientData, status: http.StatusBadRequest, detail: "ends early"},
		{name: "NotAnObject", contentType: jsonCT, body: `["` + clientData + `"]`, status: http.StatusBadRequest, detail: "must be a JSON object"},
		{name: "Null", contentType: jsonCT, body: `null`, status: http.StatusBadRequest, detail: "must be a JSON object"},
		{name: "TrailingObject", contentType: jsonCT, body: `{} {}`, status: http.StatusBadRequest, detail: "after the JSON object, at byte offset 2"},
		{name: "TrailingGarbage", contentType: jsonCT, body: `{"reason":"a"}` + clientData, status: http.StatusBadRequest, detail: "after the JSON object"},

		{name: "UnknownField", contentType: jsonCT, body: `{"bogus":"` + clientData + `"}`, status: http.StatusUnprocessableEntity,
			fields: []domain.FieldError{{Field: "body", Message: "has a field this request does not accept"}}},
		{name: "UnknownNestedField", contentType: jsonCT, body: `{"consent":{"method":"written","bogus":1}}`, status: http.StatusUnprocessableEntity,
			fields: []domain.FieldError{{Field: "consent", Message: "has a field this request does not accept"}}},
		{name: "KeysAreCaseSensitive", contentType: jsonCT, body: `{"Reason":"x"}`, status: http.StatusUnprocessableEntity,
			fields: []domain.FieldError{{Field: "body", Message: "has a field this request does not accept"}}},
		{name: "IgnoredFieldIsUnknown", contentType: jsonCT, body: `{"Hidden":"x"}`, status: http.StatusUnprocessableEntity,
			fields: []domain.FieldError{{Field: "body", Message: "has a field this request does not accept"}}},
		{name: "OddKeyNotEchoed", contentType: jsonCT, body: `{"` + clientData + `":1}`, status: http.StatusUnprocessableEntity,
			fields: []domain.FieldError{{Field: "body", Message: "has a field this request does not accept"}}},
		{name: "DuplicateField", contentType: jsonCT, body: `{"consent":{"confirmed":false,"confirmed":true}}`, status: http.StatusUnprocessableEntity,
			fields: []domain.FieldError{{Field: "consent.confirmed", Message: "duplicate field"}}},
		{name: "TypeMismatch", contentType: jsonCT, body: `{"consent":{"method":5}}`, status: http.StatusUnprocessableEntity,
			fields: []domain.FieldError{{Field: "consent.method", Message: "must be a string"}}},
		{name: "StringForInteger", contentType: jsonCT, body: `{"count":"` + clientData + `"}`, status: http.StatusUnprocessableEntity,
			fields: []domain.FieldError{{Field: "count", Message: "must be an integer"}}},
		{name: "ObjectForString", contentType: jsonCT, body: `{"reason":{"a":["` + clientData + `"]}}`, status: http.StatusUnprocessableEntity,
			fields: []domain.FieldError{{Field: "reason", Message: "must be a string"}}},
		{name: "ArrayElementPath", contentType: jsonCT, body: `{"services":[{"name":"a"},{"name":true}]}`, status: http.StatusUnprocessableEntity,
			fields: []domain.FieldError{{Field: "services[1].name", Message: "must be a string"}}},
		{name: "IntegerOutOfRange", contentType: jsonCT, body: `{"count":300}`, status: http.StatusUnprocessableEntity,
			fields: []domain.FieldError{{Field: "count", Message: "must be an integer in range"}}},
		{name: "FractionForInteger", contentType: jsonCT, body: `{"count":1.5}`, status: http.StatusUnprocessableEntity,
			fields: []domain.FieldError{{Field: "count", Message: "must be an integer in range"}}},
		{name: "NegativeForUnsigned", contentType: jsonCT, body: `{"size":-1}`, status: http.StatusUnprocessableEntity,
			fields: []domain.FieldError{{Field: "size", Message: "must be a non-negative integer in range"}}},
		{name: "FloatOutOfRange", contentType: jsonCT, body: `{"score":1e300}`, status: http.StatusUnprocessableEntity,
			fields: []domain.FieldError{{Field: "score", Message: "must be a number in range"}}},
		{name: "BadTextUnmarshaler", contentType: jsonCT, body: `{"user_id":"urn:` + clientData + `"}`, status: http.StatusUnprocessableEntity,
			fields: []domain.FieldError{{Field: "user_id", Message: "has an invalid format"}}},
		{name: "BadJSONUnmarshaler", contentType: jsonCT, body: `{"at":"` + clientData + `"}`, status: http.StatusUnprocessableEntity,
			fields: []domain.FieldError{{Field: "at", Message: "has an invalid value"}}},
		{name: "EmbeddedFieldType", contentType: jsonCT, body: `{"team":[]}`, status: http.StatusUnprocessableEntity,
			fields: []domain.FieldError{{Field: "team", Message: "must be a string"}}},
		{name: "EveryErrorAtOnce", contentType: jsonCT, body: `{"urgent":"yes","bogus":1,"client":{"name":2}}`, status: http.StatusUnprocessableEntity,
			fields: []domain.FieldError{{Field: "urgent", Message: "must be true or false"}, {Field: "body", Message: "has a field this request does not accept"},
				{Field: "client.name", Message: "must be a string"}}},
		{name: "TooLarge", contentType: jsonCT, body: `{"reason":"` + strings.Repeat("a", int(maxBodyBytes)) + `"}`,
			status: http.StatusRequestEntityTooLarge, detail: "1048576 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got decodeTarget
			headers := []string{}
			if tt.contentType != "" {
				headers = []string{"Content-Type", tt.contentType}
			}
			rec := sendRequest(t, decodeEngine(t, &got), http.MethodPost, "/v1/referrals", tt.body, headers...)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if strings.Contains(rec.Body.String(), clientData) {
				t.Errorf("the response repeats client data: %s", rec.Body)
			}
			if tt.status == http.StatusOK {
				return
			}
			p := problemOf(t, rec)
			if !strings.Contains(p.Detail, tt.detail) {
				t.Errorf("detail %q lacks %q", p.Detail, tt.detail)
			}
			if tt.status == http.StatusUnprocessableEntity && !equalFields(p.Errors, tt.fields) {
				t.Errorf("errors = %v, want %v", p.Errors, tt.fields)
			}
		})
	}
}

func TestDecodeJSONValues(t *testing.T) {
	var got decodeTarget
	body := `{"urgent":true,"client":{"name":"n"},"consent":{"method":"verbal","confirmed":true},"services":[{"name":"a"},{"name":"b"}],
		"count":-7,"user_id":"6ba7b810-9dad-11d1-80b4-00c04fd430c8","at":"2025-01-31T17:00:00Z","team":"north"}`
	rec := sendRequest(t, decodeEngine(t, &got), http.MethodPost, "/v1/referrals", body, "Content-Type", "application/json")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if !got.Urgent || got.Client.Name != "n" || got.Consent == nil || got.Consent.Method != "verbal" || len(got.Services) != 2 ||
		got.Count != -7 || got.UserID.String() != "6ba7b810-9dad-11d1-80b4-00c04fd430c8" || got.At.Day() != 31 || got.Team != "north" {
		t.Errorf("decoded %+v", got)
	}
}

// TestDecodeJSONCustomDomainError: a field type may explain itself.
func TestDecodeJSONCustomDomainError(t *testing.T) {
	var dst struct {
		Day strictDay `json:"day"`
	}
	err := decodeJSONBytes([]byte(`{"day":"monday"}`), &dst)
	if f := domain.ErrorFields(err); len(f) != 1 || f[0] != (domain.FieldError{Field: "day", Message: "must be a date as YYYY-MM-DD"}) {
		t.Fatalf("err = %v, fields %v", err, f)
	}
}

type strictDay string

func (d *strictDay) UnmarshalJSON(b []byte) error {
	var v validator
	v.date("day", strings.Trim(string(b), `"`))
	if len(v.fields) > 0 {
		return domain.Errorf(domain.Invalid, "%s", v.fields[0].Message)
	}
	*d = strictDay(b)
	return nil
}

func TestDecodeJSONCapsFieldErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	b.WriteString(`"services":[`)
	for i := range 100 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"s` + strings.Repeat("x", i) + `"`)
	}
	b.WriteString("]}")
	var dst decodeTarget
	err := decodeJSONBytes([]byte(b.String()), &dst)
	if n := len(domain.ErrorFields(err)); n != maxFieldErrors {
		t.Fatalf("%d field errors, want %d", n, maxFieldErrors)
	}
}

func TestDecodeJSONChunkedOverLimit(t *testing.T) {
	var got decodeTarget
	r := decodeEngine(t, &got)
	req := httptest.NewRequest(http.MethodPost, "/v1/referrals", strings.NewReader(`{"reason":"`+strings.Repeat("a", int(maxBodyBytes))+`"}`))
	req.Header.Set("Content-Type", "application/json")
	req.ContentLength = -1
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
}

func equalFields(a, b []domain.FieldError) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDecodeJSONIntoMap(t *testing.T) {
	var dst map[string]any
	if err := decodeJSONBytes([]byte(`{"any key":1,"b":{"c":[true]}}`), &dst); err != nil {
		t.Fatal(err)
	}
	if len(dst) != 2 {
		t.Fatalf("decoded %v", dst)
	}
}

// TestLoneSurrogateIsMalformed: a \u escape of half a UTF-16 surrogate pair
// is no character; encoding/json would store U+FFFD in its place, changing
// the text without a word. It is refused as malformed, like invalid UTF-8;
// a whole pair, an escaped backslash before a u, and plain text are not.
func TestLoneSurrogateIsMalformed(t *testing.T) {
	for _, tc := range []struct {
		body string
		at   int // -1: accepted
	}{
		{`{"text":"a\ud800b"}`, 10},
		{`{"text":"a\udc00b"}`, 10},
		{`{"text":"a\uD83D"}`, 10},
		{`{"text":"a\ud83d\u0041"}`, 10},
		{`{"text":"\ud83d\ude00 \udfff"}`, 22},
		{`{"text":"\ud83d\ude00"}`, -1},
		{`{"text":"\\ud800"}`, -1},
		{`{"text":"\\\ud83d\ude00"}`, -1},
		{`{"text":"caf\u00e9 \n"}`, -1},
		{`{"text":"no escapes"}`, -1},
	} {
		if got := loneSurrogate([]byte(tc.body)); got != tc.at {
			t.Errorf("loneSurrogate(%s) = %d, want %d", tc.body, got, tc.at)
		}
	}
	var dst struct {
		Text string `json:"text"`
	}
	err := decodeJSONBytes([]byte(`{"text":"a\ud800b"}`), &dst)
	var re *requestError
	if !errors.As(err, &re) || re.code != codeMalformed || !strings.Contains(err.Error(), "unpaired surrogate") {
		t.Errorf("decoding a lone surrogate: %v, want 400 naming it", err)
	}
}
