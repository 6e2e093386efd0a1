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

// names reports whether an error was collected for field.
func (f fieldErrors) names(field string) bool {
	for _, e := range f {
		if e.Field == field {
			return true
		}
	}
	return false
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
		if invisible(r, multiline) {
			f.add(field, "must not contain invisible formatting or text-direction characters")
			return
		}
	}
}

// invisible reports whether r is a character a text must not hide in it:
// anywhere, the controls that override or isolate the direction of text
// (U+202A–U+202E, U+2066–U+2069), which make what is shown differ from
// what is stored; in a single line (a name) also the other invisible
// formatting characters (zero-width space, soft hyphen, byte-order mark,
// direction marks…) and line or paragraph separators, which make a name
// that looks like another, or like none, compare apart. The zero-width
// joiner and non-joiner, which spell words of some scripts, are kept.
func invisible(r rune, multiline bool) bool {
	if r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069' {
		return true
	}
	if multiline || r == '\u200C' || r == '\u200D' {
		return false
	}
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r)
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
	if err != nil || a.Address != value || len(value) > 254 || !mailDomain(value[strings.LastIndexByte(value, '@')+1:]) {
		f.add(field, "must be a plain e-mail address such as name@example.org")
	}
}

// mailDomain reports whether d is a host name mail can be sent to: labels
// of letters, digits and hyphens, none starting or ending with a hyphen
// (an address at an IP literal such as [192.0.2.1] is not one).
func mailDomain(d string) bool {
	for _, label := range strings.Split(d, ".") {
		if label == "" || utf8.RuneCountInString(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' {
				return false
			}
		}
	}
	return true
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
