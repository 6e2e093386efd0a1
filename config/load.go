package config

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/viper"
)

// FileName is the configuration file Load looks for in its directory when no
// path is given.
const FileName = "ledger.yaml"

// LoadOptions says where Load finds its sources. The zero value reads
// ./ledger.yaml if it exists and the process environment.
type LoadOptions struct {
	// ConfigFile is the path given with --config. It wins over
	// LEDGER_CONFIG; a path given either way must exist.
	ConfigFile string
	// Dir is searched for ledger.yaml when no path is given; empty means the
	// working directory.
	Dir string
	// LookupEnv reads an environment variable; nil means os.LookupEnv.
	LookupEnv func(name string) (string, bool)
}

// Load builds the configuration from, lowest precedence first: Default(),
// the configuration file, and LEDGER_* environment variables. An environment
// variable set to the empty string counts as unset. Lists are comma-separated
// in the environment; durations are written like 30m or 1h30m.
//
// The result is validated. If anything is wrong — an unreadable file, an
// unknown key in it, a value of the wrong type, a value Validate refuses —
// Load returns an *Error listing every problem, each naming its key.
func Load(opts LoadOptions) (Config, error) {
	lookup := opts.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	v := viper.New()
	var problems []Problem

	path, err := configFile(opts, lookup)
	if err != nil {
		return Config{}, err
	}
	if path != "" {
		v.SetConfigFile(path)
		v.SetConfigType("yaml") // whatever the extension: ledger.yml, ledger.conf
		if err := v.ReadInConfig(); err != nil {
			return Config{}, fmt.Errorf("config: reading %s: %w", path, err)
		}
		problems = append(problems, unknownKeys(v, path)...)
	}

	all := leaves()
	for _, l := range all {
		if val, ok := lookup(l.Env); ok && val != "" {
			v.Set(l.Name, val)
		}
	}

	cfg := Default()
	cfg.HTTP.PublicURL = "" // derived from http.addr below unless set
	root := reflect.ValueOf(&cfg).Elem()
	for _, l := range all {
		raw := v.Get(l.Name)
		if raw == nil {
			continue
		}
		if err := decode(root.FieldByIndex(l.index), raw); err != nil {
			msg := err.Error()
			if !l.Secret {
				msg += fmt.Sprintf(" (got %s)", describe(raw))
			}
			problems = append(problems, Problem{Key: l.Name, Env: l.Env, Message: msg})
		}
	}
	cfg.HTTP.PublicURL = strings.TrimRight(cfg.HTTP.PublicURL, "/")
	if cfg.HTTP.PublicURL == "" {
		// An address without a host (":8080", every interface) names
		// none for a link: links then go to localhost, as the server
		// says to open it, rather than to "http://:8080", which no mail
		// reader can follow.
		addr := cfg.HTTP.Addr
		if strings.HasPrefix(addr, ":") {
			addr = "localhost" + addr
		}
		cfg.HTTP.PublicURL = "http://" + addr
	}

	problems = append(problems, cfg.problems()...)
	if len(problems) > 0 {
		return Config{}, &Error{Problems: problems}
	}
	return cfg, nil
}

// configFile returns the file to read, or "" if there is none. A path given
// explicitly must exist; the default ledger.yaml is optional.
func configFile(opts LoadOptions, lookup func(string) (string, bool)) (string, error) {
	path, origin := opts.ConfigFile, "--config"
	if path == "" {
		if p, ok := lookup(EnvConfigFile); ok && p != "" {
			path, origin = p, EnvConfigFile
		}
	}
	if path != "" {
		if _, err := os.Stat(path); err != nil {
			return "", fmt.Errorf("config: file given by %s: %w", origin, err)
		}
		return path, nil
	}
	path = filepath.Join(opts.Dir, FileName)
	switch _, err := os.Stat(path); {
	case err == nil:
		return path, nil
	case errors.Is(err, os.ErrNotExist):
		return "", nil
	default:
		return "", fmt.Errorf("config: %w", err)
	}
}

// unknownKeys reports every key of the file that is not a setting, so that a
// typo is an error rather than a silently ignored line.
func unknownKeys(v *viper.Viper, path string) []Problem {
	known := map[string]bool{}
	for _, l := range leaves() {
		known[l.Name] = true
	}
	secs := sections()
	var out []Problem
	keys := v.AllKeys()
	slices.Sort(keys)
	for _, k := range keys {
		switch {
		case known[k]:
		case secs[k]:
			if v.Get(k) != nil { // "http:" with no settings under it is fine
				out = append(out, Problem{Key: k, Message: fmt.Sprintf("is a section in %s: put settings under it, not a value", path)})
			}
		default:
			out = append(out, Problem{Key: k, Message: fmt.Sprintf("unknown key in %s (the README's Configuration table lists the keys)", path)})
		}
	}
	return out
}

// decode stores raw, a value from the file (typed by YAML) or the environment
// (always a string), into dst. Its error says what was expected, without the
// value, which may be secret.
func decode(dst reflect.Value, raw any) error {
	if dst.Type() == durationType {
		s, ok := raw.(string)
		if !ok {
			return errors.New("must be a duration with a unit, like 30m or 1h30m")
		}
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return errors.New("must be a duration with a unit, like 30m or 1h30m")
		}
		dst.SetInt(int64(d))
		return nil
	}
	switch dst.Kind() {
	case reflect.String:
		switch r := raw.(type) {
		case string:
			dst.SetString(r)
		case int, int64, float64, bool:
			dst.SetString(fmt.Sprint(r)) // YAML made a number of "8080"
		default:
			return errors.New("must be a single value, not a list or section")
		}
	case reflect.Int, reflect.Int64:
		n, ok := toInt(raw)
		if !ok {
			return errors.New("must be a whole number")
		}
		if dst.OverflowInt(n) {
			return errors.New("is too large")
		}
		dst.SetInt(n)
	case reflect.Bool:
		b, ok := toBool(raw)
		if !ok {
			return errors.New("must be true or false")
		}
		dst.SetBool(b)
	case reflect.Slice:
		list, ok := toStrings(raw)
		if !ok {
			return errors.New("must be a list of strings (comma-separated in the environment)")
		}
		dst.Set(reflect.ValueOf(list))
	default:
		panic("config: no decoder for " + dst.Type().String())
	}
	return nil
}

func toInt(raw any) (int64, bool) {
	switch r := raw.(type) {
	case int:
		return int64(r), true
	case int64:
		return r, true
	case uint64:
		return int64(r), r <= math.MaxInt64
	case float64:
		return int64(r), r == math.Trunc(r) && math.Abs(r) < 1<<53
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(r), 10, 64)
		return n, err == nil
	}
	return 0, false
}

func toBool(raw any) (bool, bool) {
	switch r := raw.(type) {
	case bool:
		return r, true
	case string:
		b, err := strconv.ParseBool(strings.TrimSpace(r))
		return b, err == nil
	}
	return false, false
}

func toStrings(raw any) ([]string, bool) {
	var parts []string
	switch r := raw.(type) {
	case string:
		parts = strings.Split(r, ",")
	case []string:
		parts = r
	case []any:
		for _, e := range r {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			parts = append(parts, s)
		}
	default:
		return nil, false
	}
	out := []string{}
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out, true
}

// describe quotes a raw value for a message.
func describe(raw any) string {
	if s, ok := raw.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%v", raw)
}
