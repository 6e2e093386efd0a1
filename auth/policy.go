package auth

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/referral-ledger/ledger/domain"
)

// PasswordPolicy names the rules a new password must meet (R-AUTH-2). The
// zero value behaves as PolicyNetwork, the default.
type PasswordPolicy string

// The password policies.
const (
	// PolicyNetwork is the networks' own policy and the default: at least 8
	// characters including a digit, an upper-case letter, a lower-case letter
	// and another character, changed every six months.
	PolicyNetwork PasswordPolicy = "network"
	// PolicyModern follows NIST SP 800-63B and the NCSC: at least 12
	// characters, no composition rules and no scheduled change, because those
	// rules push people to predictable passwords.
	PolicyModern PasswordPolicy = "modern"
)

// Length limits in Unicode code points, shared by both policies.
const (
	// MaxPasswordLength is the longest password accepted. It is far above the
	// 64 characters NIST asks verifiers to accept, so passphrases are taken
	// whole, while bounding the work an attacker can make the server do.
	MaxPasswordLength = 256
	// networkMinLength and modernMinLength are the policies' minimum lengths.
	networkMinLength = 8
	modernMinLength  = 12
	// minContainedUsername is the shortest username that a password may not
	// contain; shorter ones (e.g. "al") are only refused as the whole password,
	// or too many good passwords would be refused by accident.
	minContainedUsername = 3
	// networkChangeMonths is how old a password may get under PolicyNetwork
	// before its owner is prompted to change it.
	networkChangeMonths = 6
)

// ParsePolicy returns the policy named s, ignoring case and surrounding
// spaces; an empty s means the default, PolicyNetwork. Any other name fails
// with domain.Invalid.
func ParsePolicy(s string) (PasswordPolicy, error) {
	switch p := PasswordPolicy(strings.ToLower(strings.TrimSpace(s))); p {
	case "":
		return PolicyNetwork, nil
	case PolicyNetwork, PolicyModern:
		return p, nil
	default:
		return "", domain.Errorf(domain.Invalid, "unknown password policy %q: want %q or %q", s, PolicyNetwork, PolicyModern)
	}
}

// String returns the policy's name, "network" for the zero value.
func (p PasswordPolicy) String() string { return string(p.effective()) }

// effective maps the zero value to the default policy.
func (p PasswordPolicy) effective() PasswordPolicy {
	if p == "" {
		return PolicyNetwork
	}
	return p
}

// MinLength returns the fewest Unicode code points a password may have under
// p.
func (p PasswordPolicy) MinLength() int {
	if p.effective() == PolicyModern {
		return modernMinLength
	}
	return networkMinLength
}

// Check reports whether password may be set for the user called username
// under p. context names what else the password must not be built on: the
// user's display name and organisation name (the service's own name is
// always checked). It returns nil, or a *domain.Error with code Invalid and
// one FieldError for the field "password" saying precisely what is wrong.
// The message never repeats the password. An unknown policy is a
// programming error and yields an unclassified (internal) error.
func (p PasswordPolicy) Check(username, password string, context ...string) error {
	return p.CheckField("password", username, password, context...)
}

// CheckField is Check with the name of the form field to blame, for forms
// whose password field is not called "password" (e.g. "new_password").
func (p PasswordPolicy) CheckField(field, username, password string, context ...string) error {
	p = p.effective()
	if p != PolicyNetwork && p != PolicyModern {
		return fmt.Errorf("auth: unknown password policy %q", string(p))
	}
	if msg := p.problem(username, password, context); msg != "" {
		return domain.InvalidFields(domain.FieldError{Field: field, Message: msg})
	}
	return nil
}

// problem returns why password is refused, or "" if it is acceptable. The
// checks run from the cheapest and most basic to the list look-up, so the
// message names the first thing the user has to fix. Every rule looks at
// the password as it is hashed, normalised (NormalisePassword), so a
// look-alike such as full-width "Ｐａｓｓｗｏｒｄ１！", which is hashed as
// "Password1!" and signs in as it, is judged as that password too.
func (p PasswordPolicy) problem(username, password string, context []string) string {
	// Bound the work before looking at every character: a code point is at
	// most 4 bytes, so anything longer is too long whatever it contains.
	if len(password) > 4*MaxPasswordLength {
		return fmt.Sprintf("must be at most %d characters long", MaxPasswordLength)
	}
	if !utf8.ValidString(password) {
		return "contains bytes that are not valid UTF-8 text"
	}
	password = NormalisePassword(password)
	username = NormalisePassword(username)
	context = normaliseAll(context)
	for _, r := range password {
		if unicode.IsControl(r) {
			return "must not contain control characters such as tabs or line breaks"
		}
	}
	n := utf8.RuneCountInString(password)
	if n > MaxPasswordLength {
		return fmt.Sprintf("must be at most %d characters long", MaxPasswordLength)
	}
	if minLen := p.MinLength(); n < minLen {
		return fmt.Sprintf("must be at least %d characters long", minLen)
	}
	if p == PolicyNetwork {
		if missing := missingClasses(password); len(missing) > 0 {
			return "must contain at least " + joinAnd(missing)
		}
	}
	if containsUsername(username, password) {
		return "must not be or contain the username"
	}
	if IsCommonPassword(password) {
		return "is too common: it is on a list of frequently used or breached passwords, so choose another"
	}
	if Predictable(password) {
		return "is too easy to guess: it repeats a few characters or runs along the alphabet, the digits or the keyboard, so choose another"
	}
	if basedOnContext(password, contextWords(username, context)) {
		return "is too easy to guess: it is the username, the user's name, the organisation's name or this service's name with little added, so choose another"
	}
	return ""
}

// normaliseAll returns ss normalised as passwords are, so a password is
// compared with its context words in one form.
func normaliseAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = NormalisePassword(s)
	}
	return out
}

// missingClasses lists the character classes PolicyNetwork requires that
// password lacks, in a fixed order.
func missingClasses(password string) []string {
	var digit, upper, lower, other bool
	for _, r := range password {
		switch {
		case unicode.IsDigit(r):
			digit = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case isLetter(r):
			// A letter without case (e.g. CJK) is neither upper nor lower
			// case and is no "other character" in the networks' sense either.
		default:
			other = true
		}
	}
	var missing []string
	if !digit {
		missing = append(missing, "one digit")
	}
	if !upper {
		missing = append(missing, "one upper-case letter")
	}
	if !lower {
		missing = append(missing, "one lower-case letter")
	}
	if !other {
		missing = append(missing, "one other character such as # * @ $ or a space")
	}
	return missing
}

// containsUsername reports whether password is username or, for usernames of
// at least minContainedUsername code points, contains it, ignoring case and
// look-alike substitutions ("Adm1n").
func containsUsername(username, password string) bool {
	u := strings.ToLower(strings.TrimSpace(username))
	if u == "" {
		return false
	}
	lower := strings.ToLower(password)
	for _, pw := range append([]string{lower}, undoSubstitutions(lower)...) {
		if pw == u || utf8.RuneCountInString(u) >= minContainedUsername && strings.Contains(pw, u) {
			return true
		}
	}
	return false
}

// ChangeDue reports whether a password set at changedAt should be changed at
// now. Under PolicyNetwork it is due once it is older than six calendar
// months (a password set on 31 August is due after the last day of February);
// under PolicyModern it never is, as NIST advises against scheduled changes.
// An unknown policy is treated as PolicyNetwork, so a bad setting errs on the
// side of prompting.
func (p PasswordPolicy) ChangeDue(changedAt, now time.Time) bool {
	if p.effective() == PolicyModern {
		return false
	}
	return now.After(addMonths(changedAt, networkChangeMonths))
}

// addMonths adds n calendar months to t, clamping the day to the end of the
// target month instead of overflowing into the next one as time.AddDate does.
func addMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, t.Location())
	last := first.AddDate(0, 1, -1).Day()
	if d > last {
		d = last
	}
	hh, mm, ss := t.Clock()
	return time.Date(first.Year(), first.Month(), d, hh, mm, ss, t.Nanosecond(), t.Location())
}

// joinAnd joins items as English prose: "a", "a and b", "a, b and c".
func joinAnd(items []string) string {
	if len(items) == 1 {
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// isLetter reports whether r is a letter of any script.
func isLetter(r rune) bool { return unicode.IsLetter(r) }
