// Package logging builds the ledger's zerolog logger.
//
// zerolog writes structured JSON with no allocations on the hot path and has
// a human-readable console writer for development; the rest of the tree takes
// a zerolog.Logger (or a *zerolog.Logger from a context) and never configures
// one itself.
package logging

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/term"
)

// TimeFormat is how timestamps are written: RFC 3339 in UTC with
// milliseconds, so lines from one second still sort.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// TimeField names the timestamp field of each log line.
const TimeField = "time"

// New returns a logger writing to w at level and above.
//
// level is one of trace, debug, info, warn or error. format is "json", "console", or
// "auto" (or empty): console when isTerminal, JSON otherwise. The caller
// decides isTerminal, usually with IsTerminal(os.Stderr), so tests need no
// terminal. An unknown level or format is an error.
//
// Timestamps are UTC whatever the machine's time zone. New changes none of
// zerolog's global settings.
func New(w io.Writer, level, format string, isTerminal bool) (zerolog.Logger, error) {
	lvl, err := parseLevel(level)
	if err != nil {
		return zerolog.Nop(), err
	}
	switch format {
	case "json":
	case "console":
		w = consoleWriter(w, isTerminal)
	case "auto", "":
		if isTerminal {
			w = consoleWriter(w, true)
		}
	default:
		return zerolog.Nop(), fmt.Errorf("logging: unknown format %q: want auto, json or console", format)
	}
	return zerolog.New(w).Level(lvl).Hook(utcTimestamp{}), nil
}

// IsTerminal reports whether f is a terminal, for New's isTerminal.
func IsTerminal(f *os.File) bool {
	return term.IsTerminal(int(f.Fd()))
}

func parseLevel(level string) (zerolog.Level, error) {
	switch level {
	case "trace":
		return zerolog.TraceLevel, nil
	case "debug":
		return zerolog.DebugLevel, nil
	case "info":
		return zerolog.InfoLevel, nil
	case "warn":
		return zerolog.WarnLevel, nil
	case "error":
		return zerolog.ErrorLevel, nil
	}
	return zerolog.NoLevel, fmt.Errorf("logging: unknown level %q: want trace, debug, info, warn or error", level)
}

func consoleWriter(w io.Writer, color bool) io.Writer {
	return zerolog.ConsoleWriter{
		Out:          w,
		NoColor:      !color,
		TimeFormat:   TimeFormat,
		TimeLocation: time.UTC,
	}
}

// utcTimestamp stamps each event in UTC. zerolog's own Timestamp() uses the
// global zerolog.TimestampFunc (local time), which New must not change.
type utcTimestamp struct{}

func (utcTimestamp) Run(e *zerolog.Event, _ zerolog.Level, _ string) {
	e.Str(TimeField, time.Now().UTC().Format(TimeFormat))
}
