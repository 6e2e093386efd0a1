package config

import (
	"strings"
	"testing"
)

// TestMFARequiredRoles_Issue17: the network roles by default; a list of
// roles, or none, may be set; anything else is refused naming the key.
func TestMFARequiredRoles_Issue17(t *testing.T) {
	c := Default()
	if got := strings.Join(c.Auth.MFARequiredRoles, ","); got != "coordinator,auditor,system_support,emergency_duty" {
		t.Fatalf("default mfa_required_roles = %q", got)
	}
	c.Auth.MFARequiredRoles = []string{}
	if err := c.Validate(); err != nil {
		t.Fatalf("an empty list is refused: %v", err)
	}
	c.Auth.MFARequiredRoles = []string{"adviser", "org_lead"}
	if err := c.Validate(); err != nil {
		t.Fatalf("valid roles refused: %v", err)
	}
	c.Auth.MFARequiredRoles = []string{"none"}
	if err := c.Validate(); err != nil || len(c.Auth.MFARoles()) != 0 {
		t.Fatalf("none: %v, roles %v", err, c.Auth.MFARoles())
	}
	c.Auth.MFARequiredRoles = []string{"none", "auditor"}
	if err := c.Validate(); err == nil {
		t.Fatal("none among roles accepted")
	}
	c.Auth.MFARequiredRoles = []string{"wizard"}
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "auth.mfa_required_roles") {
		t.Fatalf("an unknown role: %v; want an error naming auth.mfa_required_roles", err)
	}
}
