package domain

import (
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Text limits, in Unicode code points. Free text is bounded so that the
// ledger records information rather than becoming a case file (R-LEDGER-6).
const (
	MaxShortText = 200  // names, usernames, titles
	MaxLongText  = 4000 // reasons, notes, comments, feedback
)

// fieldErrors collects validation failures so a request hears about all of
// them at once.
type fieldErrors []FieldError

func (f *fieldErrors) add(field, message string) {
	*f = append(*f, FieldError{Field: field, Message: message})
}

// err returns nil when nothing was collected, else an Invalid *Error.
func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return InvalidFields(f...)
}

// text checks a free-text or short-text field. Messages never quote the value.
func (f *fieldErrors) text(field, value string, required bool, max int) {
	if !utf8.ValidString(value) {
		f.add(field, "must be valid UTF-8")
		return
	}
	if strings.TrimSpace(value) == "" {
		if required {
			f.add(field, "is required")
		}
		return
	}
	if n := utf8.RuneCountInString(value); n > max {
		f.add(field, "must be at most "+strconv.Itoa(max)+" characters")
		return
	}
	multiline := max > MaxShortText
	for _, r := range value {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t' || r == '\r')) {
			f.add(field, "must not contain control characters")
			return
		}
	}
}

// email checks an optional (or required) e-mail address.
func (f *fieldErrors) email(field, value string, required bool) {
	if value == "" {
		if required {
			f.add(field, "is required")
		}
		return
	}
	a, err := mail.ParseAddress(value)
	if err != nil || a.Address != value || len(value) > 254 {
		f.add(field, "must be a plain e-mail address such as name@example.org")
	}
}

// date checks an optional YYYY-MM-DD date and returns it.
func (f *fieldErrors) date(field, value string) (time.Time, bool) {
	if value == "" {
		return time.Time{}, false
	}
	d, err := time.Parse(DateLayout, value)
	if err != nil {
		f.add(field, "must be a date in the form YYYY-MM-DD")
		return time.Time{}, false
	}
	return d, true
}

// DateLayout is the layout of dates in events and the API.
const DateLayout = "2006-01-02"
