package config

import (
	"fmt"
	"slices"
	"strings"
)

// EnvTestPrefix starts environment variables read by the test suites only;
// UnknownEnv leaves them alone.
const EnvTestPrefix = EnvPrefix + "TEST_"

// UnknownVar is an environment variable that starts with LEDGER_ but names
// no setting: most likely a misspelt one, which Load would otherwise ignore.
type UnknownVar struct {
	Name    string // the variable as set, e.g. "LEDGER_HTTP_ADRR"
	Nearest string // the known variable most like it, e.g. "LEDGER_HTTP_ADDR"
}

// String reads "environment variable LEDGER_HTTP_ADRR names no setting;
// did you mean LEDGER_HTTP_ADDR?". It never includes the value, which may
// be secret.
func (u UnknownVar) String() string {
	return fmt.Sprintf("environment variable %s names no setting; did you mean %s?", u.Name, u.Nearest)
}

// UnknownEnv returns, sorted by name, every variable of environ (in the
// "NAME=value" form of os.Environ) that starts with LEDGER_ and is neither a
// setting's variable nor LEDGER_CONFIG, each with the known name nearest to
// it. Variables starting LEDGER_TEST_ belong to the test suites and are
// skipped.
func UnknownEnv(environ []string) []UnknownVar {
	known := []string{EnvConfigFile}
	for _, l := range leaves() {
		known = append(known, l.Env)
	}
	var out []UnknownVar
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, EnvPrefix) || strings.HasPrefix(name, EnvTestPrefix) || slices.Contains(known, name) {
			continue
		}
		out = append(out, UnknownVar{Name: name, Nearest: nearest(name, known)})
	}
	slices.SortFunc(out, func(a, b UnknownVar) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// nearest returns the candidate with the smallest edit distance to name; of
// equals, the first.
func nearest(name string, candidates []string) string {
	best, bestDist := "", -1
	for _, c := range candidates {
		if d := editDistance(name, c); bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the optimal-string-alignment distance between a and b:
// insertions, deletions, substitutions and swaps of two neighbours each
// cost one, so "ADRR" is one from "ADDR" and "ADRD" one from "ADDR".
func editDistance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
