package auth

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// commonPasswordsGz holds the 104,000 most common passwords of Mark
// Burnett's "10 million passwords" data set, one a line, most common first,
// gzip-compressed: lines 1–100,000 are SecLists'
// Passwords/Common-Credentials/10-million-password-list-top-100000.txt at
// commit 4f84b3c29b5f2192cc82ccdeaf655f0c5f0ab547
// (https://github.com/danielmiessler/SecLists, MIT licence), the rest
// continue from the same data set's top-1,000,000 list. Source, checksum
// and licence are in common-passwords.NOTICE beside it. It is embedded
// rather than fetched so that every node refuses exactly the same
// passwords, with no network access and no file to deploy (R-AUTH-2).
//
//go:embed common-passwords.txt.gz
var commonPasswordsGz []byte

// commonPasswords is the embedded list as a set of lower-cased entries,
// decompressed and built once, on first use (about 100,000 entries, a few
// megabytes); it is never written after that, so it is not mutable state.
var commonPasswords = sync.OnceValue(loadCommonPasswords)

// loadCommonPasswords decompresses the embedded list into a set.
func loadCommonPasswords() map[string]struct{} {
	zr, err := gzip.NewReader(bytes.NewReader(commonPasswordsGz))
	if err != nil {
		panic("auth: the embedded common-password list is not gzip: " + err.Error())
	}
	set := make(map[string]struct{}, 104_000)
	lines := bufio.NewScanner(zr)
	for lines.Scan() {
		if line := strings.TrimRight(lines.Text(), "\r"); line != "" {
			set[strings.ToLower(line)] = struct{}{}
		}
	}
	if err := lines.Err(); err != nil {
		panic("auth: the embedded common-password list is corrupt: " + err.Error())
	}
	return set
}

// productWords name the service: a password built on them is among the
// first an attacker tries (R-AUTH-2, NIST SP 800-63B 3.1.1.2).
var productWords = []string{"referral", "ledger"}

// maxDecoration bounds how many characters of decoration at each end are
// tried off one by one, so the work per password stays small whatever its
// length; the whole decoration is always tried too.
const maxDecoration = 8

// minCore is the shortest stripped core that is looked up: shorter cores
// ("ab") would refuse good passwords by accident.
const minCore = 3

// IsCommonPassword reports whether password is on the embedded list of
// common and breached passwords once seen through the usual disguises
// (R-AUTH-2): case; the substitutions @→a, 0→o, 1→i or l, 3→e, $ and 5→s,
// 7→t, 4→a; digits and symbols added at either end ("P@ssword1",
// "Abc12345!", "2024Summer#"); and Unicode look-alikes that normalise to
// the same text, as the password is hashed (full-width "Ｐａｓｓｗｏｒｄ１").
//
// It is also looked up without the spaces, hyphens, dots and underscores
// put between its parts ("Pass Word 1!", "pass-word-1234"), and, when it
// is one string said over and over ("Password1!Password1!"), as that
// string. Only the ends are stripped, so a common word somewhere inside a
// longer password or passphrase does not make it common.
func IsCommonPassword(password string) bool {
	set := commonPasswords()
	for _, form := range lookupForms(NormalisePassword(password)) {
		for _, v := range variants(form) {
			if _, ok := set[v]; ok {
				return true
			}
		}
	}
	return false
}

// lookupForms returns password and the forms of it that are no stronger:
// without its separators, and the string it repeats, if it is one
// repeated (of at least minCore characters; shorter ones are refused as
// predictable, see Predictable).
func lookupForms(password string) []string {
	forms := []string{password}
	if bare := withoutSeparators(password); bare != password && bare != "" {
		forms = append(forms, bare)
	}
	for _, f := range forms {
		if unit := repeatedUnit(strings.ToLower(f)); utf8.RuneCountInString(unit) >= minCore {
			forms = append(forms, unit)
		}
	}
	return forms
}

// withoutSeparators returns s without the spaces, hyphens, dots and
// underscores people put between the words of a password.
func withoutSeparators(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || strings.ContainsRune("-_.", r) {
			return -1
		}
		return r
	}, s)
}

// repeatedUnit returns the shortest string that s is two or more copies
// of ("abc" for "abcabcabc"), or "" if s is no repetition.
func repeatedUnit(s string) string {
	r := []rune(s)
	n := len(r)
	for l := 1; l <= n/2; l++ {
		if n%l == 0 && string(r[l:]) == string(r[:n-l]) {
			return string(r[:l])
		}
	}
	return ""
}

// maxPredictableUnit is the longest string whose repetition is refused
// whatever it is ("aaaaaaaaaaaa", "Ab1!Ab1!Ab1!").
const maxPredictableUnit = 4

// sequences are runs of characters and keys people type as passwords;
// each is read round and round, and backwards too.
var sequences = []string{"abcdefghijklmnopqrstuvwxyz", "0123456789", "qwertyuiopasdfghjklzxcvbnm", "qazwsxedcrfvtgbyhnujmikolp"}

// Predictable reports whether password, seen as it is hashed, ignoring
// case and separators, is a string of at most maxPredictableUnit
// characters repeated ("aaaaaaaaaaaaa", "Ab1!Ab1!Ab1!") or a run along
// the alphabet, the digits or the keyboard ("abcdefghijklm",
// "9876543210987", "qwertyuiopasdf"): NIST SP 800-63B counts such
// repetitive and sequential passwords among the expected ones to refuse,
// however long (R-AUTH-2).
func Predictable(password string) bool {
	s := withoutSeparators(strings.ToLower(NormalisePassword(password)))
	if s == "" {
		return false
	}
	if unit := repeatedUnit(s); unit != "" && utf8.RuneCountInString(unit) <= maxPredictableUnit {
		return true
	}
	for _, seq := range sequences {
		round := strings.Repeat(seq, len(s)/len(seq)+2)
		if strings.Contains(round, s) || strings.Contains(reverse(round), s) {
			return true
		}
	}
	return false
}

// reverse returns s backwards, byte by byte (its callers' strings are
// ASCII).
func reverse(s string) string {
	b := []byte(s)
	slices.Reverse(b)
	return string(b)
}

// variants returns the forms of password that are looked up: lower-cased,
// then with decorations stripped from the ends (each cut keeps at least
// minCore characters), each with and without the substitutions undone.
func variants(password string) []string {
	lower := []rune(strings.ToLower(password))
	n := len(lower)
	lead := 0
	for lead < n && !unicode.IsLetter(lower[lead]) {
		lead++
	}
	trail := 0
	for trail < n-lead && !unicode.IsLetter(lower[n-1-trail]) {
		trail++
	}
	out := make([]string, 0, 3*(maxDecoration+2)*(maxDecoration+2))
	for _, i := range cuts(lead) {
		for _, j := range cuts(trail) {
			if i+j > n || (i+j > 0 && n-i-j < minCore) {
				continue
			}
			core := string(lower[i : n-j])
			out = append(out, core)
			out = append(out, undoSubstitutions(core)...)
		}
	}
	return out
}

// cuts lists how many characters of an end decoration of length k to cut:
// 0..min(k, maxDecoration), and k itself.
func cuts(k int) []int {
	out := make([]int, 0, maxDecoration+2)
	for i := 0; i <= k && i <= maxDecoration; i++ {
		out = append(out, i)
	}
	if k > maxDecoration {
		out = append(out, k)
	}
	return out
}

// substitutions are the look-alike characters people put for letters.
// '1' stands for i or l, so it is undone both ways.
var substitutions = map[rune]rune{'@': 'a', '4': 'a', '0': 'o', '3': 'e', '$': 's', '5': 's', '7': 't'}

// undoSubstitutions returns s with look-alikes turned back into letters,
// once reading 1 as i and once as l; nothing when s has none.
func undoSubstitutions(s string) []string {
	if !strings.ContainsAny(s, "@40135$7") {
		return nil
	}
	undo := func(one rune) string {
		return strings.Map(func(r rune) rune {
			if r == '1' {
				return one
			}
			if l, ok := substitutions[r]; ok {
				return l
			}
			return r
		}, s)
	}
	i, l := undo('i'), undo('l')
	if i == l {
		return []string{i}
	}
	return []string{i, l}
}

// contextWords returns the words a password must not be built on: the
// username, the user's display name and organisation name, whole and word
// by word (words of at least minCore letters), and the product's name.
func contextWords(username string, context []string) []string {
	words := append([]string{}, productWords...)
	for _, s := range append([]string{username}, context...) {
		s = strings.ToLower(s)
		if whole := lettersAndDigits(s); len(whole) >= minCore {
			words = append(words, whole)
		}
		for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			if len([]rune(w)) >= minCore {
				words = append(words, w)
			}
		}
	}
	return words
}

// minOwnLetters is how many letters a password must have besides a
// context word for the word not to count as its basis.
const minOwnLetters = 4

// basedOnContext reports whether password is, seen through case and
// substitutions, a context word with little more than digits and symbols
// around it ("Referral2026!", "Alpha-Advice1", "adviser.a1!") or with a
// common password ("Admin#Password"): removing the word leaves fewer than
// minOwnLetters letters, or a common password. A passphrase that merely
// mentions one of the words is not refused.
func basedOnContext(password string, words []string) bool {
	lower := strings.ToLower(password)
	forms := append([]string{lower}, undoSubstitutions(lower)...)
	for _, w := range words {
		for _, f := range forms {
			compact := lettersAndDigits(f)
			if !strings.Contains(compact, w) {
				continue
			}
			rest := strings.ReplaceAll(compact, w, "")
			letters := 0
			for _, r := range rest {
				if unicode.IsLetter(r) {
					letters++
				}
			}
			if letters < minOwnLetters || IsCommonPassword(rest) {
				return true
			}
		}
	}
	return false
}

// lettersAndDigits returns s without its spaces and symbols.
func lettersAndDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return -1
	}, s)
}

// commonPasswordCount returns the number of distinct entries on the embedded
// list; the tests use it to prove the list was embedded whole.
func commonPasswordCount() int { return len(commonPasswords()) }
