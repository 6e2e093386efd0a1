package http

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/internal/openapicheck"
)

// TestOpenAPIDocumentComplete_Issue16 checks what issue 16 asks of every
// operation: the document is valid OpenAPI by kin-openapi, examples
// included; every operation has a description; every request body has an
// example.
func TestOpenAPIDocumentComplete_Issue16(t *testing.T) {
	if _, err := openapicheck.New(openAPIDocument); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatal(err)
	}
	for path, item := range doc.Paths {
		for method, raw := range item {
			if method == "parameters" {
				continue
			}
			var op struct {
				Description string `json:"description"`
				RequestBody *struct {
					Content map[string]struct {
						Example  json.RawMessage `json:"example"`
						Examples json.RawMessage `json:"examples"`
					} `json:"content"`
				} `json:"requestBody"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatal(err)
			}
			name := strings.ToUpper(method) + " " + path
			if strings.TrimSpace(op.Description) == "" {
				t.Errorf("%s has no description", name)
			}
			if op.RequestBody != nil {
				for ct, c := range op.RequestBody.Content {
					if c.Example == nil && c.Examples == nil {
						t.Errorf("%s: the %s request body has no example", name, ct)
					}
				}
			}
		}
	}
}
