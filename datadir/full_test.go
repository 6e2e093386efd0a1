package datadir

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"testing"
)

type codeErr int

func (e codeErr) Error() string { return fmt.Sprintf("sqlite error (%d)", int(e)) }
func (e codeErr) Code() int     { return int(e) }

type stateErr string

func (e stateErr) Error() string    { return "pg error " + string(e) }
func (e stateErr) SQLState() string { return string(e) }

// TestStorageFull: R-OPS-4. Full storage is recognised however a store
// reports it and however deep it is wrapped; nothing else is.
func TestStorageFull(t *testing.T) {
	unavailable := errors.New("unavailable")
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"ENOSPC", &fs.PathError{Op: "write", Path: "keys.db-wal", Err: syscall.ENOSPC}, true},
		{"EDQUOT", fmt.Errorf("write: %w", syscall.EDQUOT), true},
		{"SQLiteFull", codeErr(13), true},
		{"SQLiteFullExtended", codeErr(13 | 1<<8), true},
		{"SQLiteFullWrappedTwice", fmt.Errorf("keystore: create: %w: %w", unavailable, codeErr(13)), true},
		{"PostgresDiskFull", fmt.Errorf("auth: %w", stateErr("53100")), true},
		{"SQLiteIOErr", codeErr(10), false},
		{"SQLiteBusy", fmt.Errorf("x: %w", codeErr(5)), false},
		{"PostgresOther", stateErr("40001"), false},
		{"Plain", errors.New("database or disk is full"), false},
		{"Nil", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := StorageFull(tc.err); got != tc.want {
				t.Errorf("StorageFull(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
