package auth

import (
	_ "embed"
	"strings"
	"sync"
)

// commonPasswordList holds the 10,000 most common passwords, one a line, most
// common first.
//
// Source: SecLists by Daniel Miessler, Jason Haddix and contributors,
// Passwords/Common-Credentials/10k-most-common.txt at commit
// 4f84b3c29b5f2192cc82ccdeaf655f0c5f0ab547
// (https://github.com/danielmiessler/SecLists), MIT licence. It is embedded
// rather than fetched so that every node refuses exactly the same passwords,
// with no network access and no file to deploy (R-AUTH-2).
//
//go:embed common-passwords.txt
var commonPasswordList string

// commonPasswords is the embedded list as a set of lower-cased entries, built
// on first use; it is never written after that, so it is not mutable state.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	lines := strings.Split(commonPasswordList, "\n")
	set := make(map[string]struct{}, len(lines))
	for _, line := range lines {
		line = strings.TrimRight(line, "\r")
		if line == "" {
			continue
		}
		set[strings.ToLower(line)] = struct{}{}
	}
	return set
})

// IsCommonPassword reports whether password, or its core once leading and
// trailing digits and symbols are stripped, is on the embedded list of common
// and breached passwords. The match ignores case.
//
// Stripping the ends catches the predictable decorations that composition
// rules push people towards ("Password1!", "Summer2024#") without refusing a
// password merely because a common word appears somewhere inside it.
func IsCommonPassword(password string) bool {
	set := commonPasswords()
	lower := strings.ToLower(password)
	if _, ok := set[lower]; ok {
		return true
	}
	core := strings.TrimFunc(lower, func(r rune) bool { return !isLetter(r) })
	if core == "" || core == lower {
		return false
	}
	_, ok := set[core]
	return ok
}

// commonPasswordCount returns the number of distinct entries on the embedded
// list; the tests use it to prove the list was embedded whole.
func commonPasswordCount() int { return len(commonPasswords()) }
