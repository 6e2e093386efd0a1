package logging

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		name       string
		format     string
		isTerminal bool
		wantJSON   bool
		wantColor  bool
	}{
		{name: "JSON", format: "json", isTerminal: true, wantJSON: true},
		{name: "AutoNotTerminal", format: "auto", wantJSON: true},
		{name: "EmptyIsAuto", format: "", wantJSON: true},
		{name: "AutoTerminal", format: "auto", isTerminal: true, wantColor: true},
		{name: "ConsoleNotTerminal", format: "console"},
		{name: "ConsoleTerminal", format: "console", isTerminal: true, wantColor: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			log, err := New(&buf, "info", tc.format, tc.isTerminal)
			if err != nil {
				t.Fatal(err)
			}
			log.Debug().Msg("hidden")
			log.Info().Str("referral", "R-1").Msg("acknowledged")
			out := buf.String()
			if strings.Contains(out, "hidden") {
				t.Errorf("debug line written at level info: %q", out)
			}
			if got := strings.Contains(out, "\x1b["); got != tc.wantColor {
				t.Errorf("colour escapes = %v, want %v: %q", got, tc.wantColor, out)
			}

			var line map[string]any
			isJSON := json.Unmarshal(buf.Bytes(), &line) == nil
			if isJSON != tc.wantJSON {
				t.Fatalf("JSON = %v, want %v: %q", isJSON, tc.wantJSON, out)
			}
			if !isJSON {
				if !strings.Contains(out, "acknowledged") || !strings.Contains(out, "R-1") {
					t.Errorf("console line lacks message or field: %q", out)
				}
				return
			}
			if line["level"] != "info" || line["message"] != "acknowledged" || line["referral"] != "R-1" {
				t.Errorf("line = %v", line)
			}
			ts, _ := line[TimeField].(string)
			when, err := time.Parse(time.RFC3339, ts)
			if err != nil || !strings.HasSuffix(ts, "Z") {
				t.Fatalf("time %q is not RFC 3339 in UTC: %v", ts, err)
			}
			if d := time.Since(when); d < 0 || d > time.Minute {
				t.Errorf("time %q is %v from now", ts, d)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	for _, tc := range []struct {
		name, level, format, want string
	}{
		{name: "ErrLevel", level: "verbose", format: "json", want: `unknown level "verbose"`},
		{name: "ErrEmptyLevel", level: "", format: "json", want: `unknown level ""`},
		{name: "ErrFormat", level: "info", format: "xml", want: `unknown format "xml"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(&bytes.Buffer{}, tc.level, tc.format, false)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestLevels(t *testing.T) {
	for _, level := range []string{"trace", "debug", "info", "warn", "error"} {
		t.Run(level, func(t *testing.T) {
			var buf bytes.Buffer
			log, err := New(&buf, level, "json", false)
			if err != nil {
				t.Fatal(err)
			}
			log.Error().Msg("boom")
			log.Trace().Msg("detail")
			if !strings.Contains(buf.String(), "boom") {
				t.Errorf("error line missing at level %s", level)
			}
			if got, want := strings.Contains(buf.String(), "detail"), level == "trace"; got != want {
				t.Errorf("trace line written = %v, want %v", got, want)
			}
		})
	}
}
