package http

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

func TestValidatorText(t *testing.T) {
	type check func(v *validator, field, s string, max int)
	single := (*validator).requiredString
	optSingle := (*validator).optionalString
	free := (*validator).requiredText
	optFree := (*validator).optionalText
	tests := []struct {
		name  string
		check check
		s     string
		max   int
		want  string // the message, "" for valid
	}{
		{"StringOK", single, "Citizens Advice", 20, ""},
		{"StringEmpty", single, "", 20, "is required"},
		{"StringBlank", single, " \t ", 20, "is required"},
		{"StringRunesNotBytes", single, "Ŵéłšħ", 5, ""},
		{"StringTooLong", single, "Ŵéłšħx", 5, "must be at most 5 characters"},
		{"StringNewline", single, "a\nb", 20, "must not contain control characters"},
		{"StringTab", single, "a\tb", 20, "must not contain control characters"},
		{"StringC1Control", single, "a\u0085b", 20, "must not contain control characters"},
		{"StringInvalidUTF8", single, "a\xffb", 20, "must be valid UTF-8"},
		{"OptionalStringEmpty", optSingle, "", 20, ""},
		{"OptionalStringBlank", optSingle, "  ", 20, "must not be only whitespace"},
		{"TextNewlineAndTab", free, "line one\n\tline two", 40, ""},
		{"TextCarriageReturn", free, "a\r\nb", 40, "must not contain control characters other than newline and tab"},
		{"TextNUL", free, "a\x00b", 40, "must not contain control characters other than newline and tab"},
		{"TextEmpty", free, "", 40, "is required"},
		{"OptionalTextEmpty", optFree, "", 40, ""},
		{"OptionalTextTooLong", optFree, "abc", 2, "must be at most 2 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v validator
			tt.check(&v, "f", tt.s, tt.max)
			assertOneField(t, v.err(), "f", tt.want)
		})
	}
}

func TestValidatorFormats(t *testing.T) {
	tests := []struct {
		name  string
		check func(v *validator)
		want  string
	}{
		{"EnumOK", func(v *validator) { v.enum("f", "verbal", "written", "verbal") }, ""},
		{"EnumCaseMatters", func(v *validator) { v.enum("f", "Verbal", "written", "verbal") }, "must be one of: written, verbal"},
		{"DateOK", func(v *validator) { v.date("f", "2024-02-29") }, ""},
		{"DateNotInCalendar", func(v *validator) { v.date("f", "2023-02-29") }, "must be a date as YYYY-MM-DD"},
		{"DateWithTime", func(v *validator) { v.date("f", "2024-02-29T00:00:00Z") }, "must be a date as YYYY-MM-DD"},
		{"DateShortMonth", func(v *validator) { v.date("f", "2024-2-09") }, "must be a date as YYYY-MM-DD"},
		{"TimestampOK", func(v *validator) { v.timestamp("f", "2025-01-31T17:00:00+01:00") }, ""},
		{"TimestampNoZone", func(v *validator) { v.timestamp("f", "2025-01-31T17:00:00") }, "must be an RFC 3339 time, e.g. 2025-01-31T17:00:00Z"},
		{"EmailOK", func(v *validator) { v.email("f", "intake@example.org") }, ""},
		{"EmailDisplayName", func(v *validator) { v.email("f", "Intake <intake@example.org>") }, "must be an email address"},
		{"EmailNoAt", func(v *validator) { v.email("f", "intake.example.org") }, "must be an email address"},
		{"EmailTooLong", func(v *validator) { v.email("f", strings.Repeat("a", 250)+"@x.org") }, "must be an email address"},
		{"UUIDOK", func(v *validator) { v.uuid("f", "6BA7B810-9DAD-11D1-80B4-00C04FD430C8") }, ""},
		{"UUIDWithoutHyphens", func(v *validator) { v.uuid("f", "6ba7b8109dad11d180b400c04fd430c8") }, "must be a UUID"},
		{"UUIDURN", func(v *validator) { v.uuid("f", "urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8") }, "must be a UUID"},
		{"CheckFalse", func(v *validator) { v.check(false, "f", "is wrong") }, "is wrong"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v validator
			tt.check(&v)
			assertOneField(t, v.err(), "f", tt.want)
		})
	}
}

func TestValidatorValues(t *testing.T) {
	var v validator
	d := v.date("d", "2025-03-30")
	ts := v.timestamp("t", "2025-03-30T02:30:00+01:00")
	id := v.uuid("u", "6ba7b810-9dad-11d1-80b4-00c04fd430c8")
	if err := v.err(); err != nil {
		t.Fatal(err)
	}
	if !d.Equal(time.Date(2025, 3, 30, 0, 0, 0, 0, time.UTC)) || ts.Location() != time.UTC || ts.Hour() != 1 || id.Version() != 1 {
		t.Errorf("date %v, time %v, id %v", d, ts, id)
	}
}

func TestValidatorCollectsEveryField(t *testing.T) {
	var v validator
	v.requiredString("name", "", 10)
	v.email("admin_email", "nope")
	v.requiredText("services[0].description", "ok", 10)
	err := v.err()
	if domain.ErrorCode(err) != domain.Invalid || len(domain.ErrorFields(err)) != 2 {
		t.Fatalf("err = %v, fields %v", err, domain.ErrorFields(err))
	}
}

func TestParseUUIDParam(t *testing.T) {
	id := uuid.New()
	tests := []struct {
		name   string
		path   string
		status int
	}{
		{"OK", "/v1/referrals/" + id.String(), http.StatusOK},
		{"NotAUUID", "/v1/referrals/42", http.StatusBadRequest},
		{"Braces", "/v1/referrals/%7B" + id.String() + "%7D", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _, _ := testEngine(t)
			r.GET("/v1/referrals/:id", func(c *gin.Context) {
				got, err := parseUUIDParam(c, "id")
				if err != nil {
					writeError(c, err)
					return
				}
				if got != id {
					t.Errorf("got %v", got)
				}
				c.Status(http.StatusOK)
			})
			rec := sendRequest(t, r, http.MethodGet, tt.path, "")
			if rec.Code != tt.status {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if tt.status == http.StatusBadRequest {
				p := problemOf(t, rec)
				if p.Type != problemTypeBase+"malformed_request" || len(p.Errors) != 1 || p.Errors[0].Field != "id" {
					t.Errorf("problem %+v", p)
				}
			}
		})
	}
}

func assertOneField(tb testing.TB, err error, field, want string) {
	tb.Helper()
	if want == "" {
		if err != nil {
			tb.Fatalf("unexpected error %v %v", err, domain.ErrorFields(err))
		}
		return
	}
	fields := domain.ErrorFields(err)
	if domain.ErrorCode(err) != domain.Invalid || len(fields) != 1 || fields[0] != (domain.FieldError{Field: field, Message: want}) {
		tb.Fatalf("err = %v, fields %v; want %s: %s", err, fields, field, want)
	}
}
