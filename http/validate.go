package http

import (
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// validator collects the field errors of one request so that a handler
// reports all of them at once:
//
//	var v validator
//	v.requiredString("name", req.Name, 200)
//	v.enum("consent.method", req.Consent.Method, "written", "verbal")
//	resume := v.date("resume_on", req.ResumeOn)
//	if err := v.err(); err != nil {
//		writeError(c, err)
//		return
//	}
//
// Messages never quote the value checked: it may be client data.
type validator struct {
	fields []domain.FieldError
	bad    error // a malformed request (400), answered before the fields
}

// refuse records that the request is malformed (400): err answers it
// before any invalid field. The first one recorded is kept.
func (v *validator) refuse(err error) {
	if v.bad == nil {
		v.bad = err
	}
}

// add records that field is invalid.
func (v *validator) add(field, message string) {
	v.fields = append(v.fields, domain.FieldError{Field: field, Message: message})
}

// check records message against field unless ok.
func (v *validator) check(ok bool, field, message string) {
	if !ok {
		v.add(field, message)
	}
}

// err returns nil, the malformed request recorded by refuse (400), or an
// Invalid error (422) listing every field at fault.
func (v *validator) err() error {
	if v.bad != nil {
		return v.bad
	}
	if len(v.fields) == 0 {
		return nil
	}
	return domain.InvalidFields(v.fields...)
}

// requiredString checks a one-line string: not blank, at most maxRunes
// characters, no control characters at all.
func (v *validator) requiredString(field, s string, maxRunes int) {
	v.text(field, s, maxRunes, true, false)
}

// optionalString is requiredString that also accepts "".
func (v *validator) optionalString(field, s string, maxRunes int) {
	v.text(field, s, maxRunes, false, false)
}

// requiredText checks free text (a reason, a note): not blank, at most
// maxRunes characters, no control characters other than newline and tab.
func (v *validator) requiredText(field, s string, maxRunes int) {
	v.text(field, s, maxRunes, true, true)
}

// optionalText is requiredText that also accepts "".
func (v *validator) optionalText(field, s string, maxRunes int) {
	v.text(field, s, maxRunes, false, true)
}

func (v *validator) text(field, s string, maxRunes int, required, multiline bool) {
	switch {
	case strings.TrimSpace(s) == "":
		if required {
			v.add(field, "is required")
		} else if s != "" {
			v.add(field, "must not be only whitespace")
		}
	case !utf8.ValidString(s):
		v.add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(s) > maxRunes:
		v.add(field, "must be at most "+strconv.Itoa(maxRunes)+" characters")
	case hasControl(s, multiline):
		if multiline {
			v.add(field, "must not contain control characters other than newline and tab")
		} else {
			v.add(field, "must not contain control characters")
		}
	}
}

// hasControl reports whether s holds a control character (C0, DEL or C1);
// newline and tab are allowed when multiline.
func hasControl(s string, multiline bool) bool {
	for _, r := range s {
		if multiline && (r == '\n' || r == '\t') {
			continue
		}
		if unicode.IsControl(r) {
			return true
		}
	}
	return false
}

// enum checks that s is one of allowed; the message lists them, which are
// schema, not data.
func (v *validator) enum(field, s string, allowed ...string) {
	for _, a := range allowed {
		if s == a {
			return
		}
	}
	v.add(field, "must be one of: "+strings.Join(allowed, ", "))
}

// date parses a YYYY-MM-DD date, returning midnight UTC of it; zero time and
// a field error otherwise.
func (v *validator) date(field, s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || len(s) != len(time.DateOnly) {
		v.add(field, "must be a date as YYYY-MM-DD")
		return time.Time{}
	}
	return t
}

// timestamp parses an RFC 3339 time, returning it in UTC.
func (v *validator) timestamp(field, s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		v.add(field, "must be an RFC 3339 time, e.g. 2025-01-31T17:00:00Z")
		return time.Time{}
	}
	return t.UTC()
}

// email checks a bare address (no display name, at most 254 bytes).
func (v *validator) email(field, s string) {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s || len(s) > 254 {
		v.add(field, "must be an email address")
	}
}

// uuid parses a UUID in its canonical 36-character form.
func (v *validator) uuid(field, s string) uuid.UUID {
	id, ok := parseUUID(s)
	if !ok {
		v.add(field, "must be a UUID")
	}
	return id
}

// parseUUID accepts only the canonical 8-4-4-4-12 form (either case).
func parseUUID(s string) (uuid.UUID, bool) {
	if len(s) != 36 {
		return uuid.Nil, false
	}
	id, err := uuid.Parse(s)
	return id, err == nil
}

// parseUUIDParam returns the path parameter name as a UUID. A malformed one
// is a 400 (malformed_request) naming the parameter, not a 404: the
// request is wrong whatever exists.
func parseUUIDParam(c *gin.Context, name string) (uuid.UUID, error) {
	id, ok := parseUUID(c.Param(name))
	if !ok {
		return uuid.Nil, malformed(name+": must be a UUID", domain.FieldError{Field: name, Message: "must be a UUID"})
	}
	return id, nil
}
