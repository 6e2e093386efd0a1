package main

import (
	"os"
	"testing"

	"github.com/referral-ledger/ledger/auth"
	ledgernode "github.com/referral-ledger/ledger/node"
)

// TestMain runs the command's tests with no role required to have a second
// factor (auth.mfa_required_roles = none), unless the environment already
// says otherwise: most tests sign in as the coordinator to build a network
// and are about something else. The second factor's own tests set the
// production default back with t.Setenv (issue 17). Set here, it reaches
// the binaries the tests start too.
//
// The servers the tests run in this process hash passwords with the
// cheapest argon2id parameters (testNodeOptions): with the production ones
// (19 MiB, two passes) hashing was two thirds of the package's CPU. The
// servers started as child processes (child, TestLedgerChild) keep the
// production hasher, and package auth tests its parameters.
func TestMain(m *testing.M) {
	if _, ok := os.LookupEnv(envMFARoles); !ok {
		_ = os.Setenv(envMFARoles, "none")
	}
	if _, isChild := os.LookupEnv("LEDGER_TEST_CHILD_ARGS"); !isChild {
		testNodeOptions = []ledgernode.Option{ledgernode.WithHasher(auth.Hasher{Memory: 64, Time: 1})}
		nodeOptions = testNodeOptions
	}
	os.Exit(m.Run())
}

// testNodeOptions are the options every in-process server of the tests is
// built with; a test adding its own (a clock) appends to them with
// withNodeOptions.
var testNodeOptions []ledgernode.Option

// withNodeOptions builds the servers t starts with opts besides
// testNodeOptions, until t ends.
func withNodeOptions(t *testing.T, opts ...ledgernode.Option) {
	nodeOptions = append(append([]ledgernode.Option(nil), testNodeOptions...), opts...)
	t.Cleanup(func() { nodeOptions = testNodeOptions }) // after the node stops: cleanups run last first
}

// envMFARoles sets auth.mfa_required_roles.
const envMFARoles = "LEDGER_AUTH_MFA_REQUIRED_ROLES"
