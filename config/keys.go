package config

import (
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Key describes one setting: its name in ledger.yaml, its environment
// variable, its default and what it means. Keys lists them all; the README's
// configuration table is generated from it.
type Key struct {
	Name    string // dotted ledger.yaml key, e.g. "http.addr"
	Env     string // environment variable, e.g. "LEDGER_HTTP_ADDR"
	Default string // the default, written as it would be in ledger.yaml
	Help    string // what the setting means
	Secret  bool   // the value is never echoed in messages
}

// EnvPrefix starts the name of every environment variable read by Load.
const EnvPrefix = "LEDGER_"

// EnvConfigFile names the environment variable giving the path of the
// configuration file; the --config flag wins over it.
const EnvConfigFile = EnvPrefix + "CONFIG"

// Keys returns every setting of Config in declaration order.
func Keys() []Key {
	fs := leaves()
	keys := make([]Key, len(fs))
	for i, f := range fs {
		keys[i] = f.Key
	}
	return keys
}

// leaf is a setting together with where it lives in Config.
type leaf struct {
	Key
	index []int // for reflect.Value.FieldByIndex on a Config
}

var durationType = reflect.TypeFor[time.Duration]()

// leaves walks Config by reflection so that the struct is the one list of
// settings: adding a field with yaml and help tags is all a new setting needs.
func leaves() []leaf {
	def := reflect.ValueOf(Default())
	var out []leaf
	var walk func(t reflect.Type, prefix string, index []int)
	walk = func(t reflect.Type, prefix string, index []int) {
		for i := range t.NumField() {
			sf := t.Field(i)
			name := prefix + sf.Tag.Get("yaml")
			idx := append(append([]int(nil), index...), i)
			if sf.Type.Kind() == reflect.Struct {
				walk(sf.Type, name+".", idx)
				continue
			}
			out = append(out, leaf{
				Key: Key{
					Name:    name,
					Env:     envName(name),
					Default: formatValue(def.FieldByIndex(idx)),
					Help:    sf.Tag.Get("help"),
					Secret:  sf.Tag.Get("secret") == "true",
				},
				index: idx,
			})
		}
	}
	walk(def.Type(), "", nil)
	return out
}

// sections returns the names of the nested sections of Config, like "http".
func sections() map[string]bool {
	out := map[string]bool{}
	for _, l := range leaves() {
		if i := strings.LastIndexByte(l.Name, '.'); i >= 0 {
			out[l.Name[:i]] = true
		}
	}
	return out
}

// envName maps a dotted key to its environment variable.
func envName(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// formatValue writes v the way a user would write it in ledger.yaml.
func formatValue(v reflect.Value) string {
	if v.Type() == durationType {
		return formatDuration(time.Duration(v.Int()))
	}
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Int, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Slice:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = v.Index(i).String()
		}
		return strings.Join(parts, ",")
	}
	panic("config: no format for " + v.Type().String())
}

// formatDuration drops the zero units time.Duration.String adds ("30m", not
// "30m0s").
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
