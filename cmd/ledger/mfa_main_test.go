package main

import (
	"os"
	"testing"
)

// TestMain runs the command's tests with no role required to have a second
// factor (auth.mfa_required_roles = none), unless the environment already
// says otherwise: most tests sign in as the coordinator to build a network
// and are about something else. The second factor's own tests set the
// production default back with t.Setenv (issue 17). Set here, it reaches
// the binaries the tests start too.
func TestMain(m *testing.M) {
	if _, ok := os.LookupEnv(envMFARoles); !ok {
		_ = os.Setenv(envMFARoles, "none")
	}
	os.Exit(m.Run())
}

// envMFARoles sets auth.mfa_required_roles.
const envMFARoles = "LEDGER_AUTH_MFA_REQUIRED_ROLES"
