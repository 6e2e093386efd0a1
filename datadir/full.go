package datadir

import (
	"errors"
	"syscall"
)

// sqliteFull is SQLite's primary result code SQLITE_FULL: "insertion
// failed because database is full", which is what a full disk looks like
// from inside SQLite.
const sqliteFull = 13

// postgresDiskFull is PostgreSQL's SQLSTATE disk_full.
const postgresDiskFull = "53100"

// StorageFull reports whether err, anywhere in its chain, says the storage
// behind a store is full (R-OPS-4): ENOSPC or EDQUOT from the operating
// system, SQLITE_FULL (or one of its extended codes) from SQLite, or
// disk_full from PostgreSQL. It recognises the drivers' errors by their
// methods (Code() int, SQLState() string), so it needs neither driver.
func StorageFull(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return true
	}
	full := false
	walk(err, func(e error) bool {
		switch c := e.(type) {
		case interface{ Code() int }:
			full = c.Code()&0xff == sqliteFull
		case interface{ SQLState() string }:
			full = c.SQLState() == postgresDiskFull
		}
		return full
	})
	return full
}

// walk calls visit on err and every error it wraps, depth first, until
// visit returns true.
func walk(err error, visit func(error) bool) bool {
	if err == nil {
		return false
	}
	if visit(err) {
		return true
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return walk(u.Unwrap(), visit)
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if walk(e, visit) {
				return true
			}
		}
	}
	return false
}
