package http

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestOpenAPIAnswersDescribeTheirFields: the JSON answer of a successful
// operation is described field by field, so that the document (and the
// client generated from it) says what a caller gets: an object schema
// with properties, and every property the server always sends required.
// POST /v1/clients/{id}/serious-case-review-completion was declared as
// any object, and Accepted (202 of a message), Deadlines and ClientRecord
// required none of the fields the server always sends. The document
// itself is served whole, so GET /v1/openapi.json is not described.
func TestOpenAPIAnswersDescribeTheirFields(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatal(err)
	}
	paths, _ := doc["paths"].(map[string]any)
	for path, item := range paths {
		if path == "/v1/openapi.json" {
			continue
		}
		for method, raw := range item.(map[string]any) {
			if method == "parameters" {
				continue
			}
			responses, _ := raw.(map[string]any)["responses"].(map[string]any)
			for code, r := range responses {
				if !strings.HasPrefix(code, "2") {
					continue
				}
				content, _ := resolve(t, doc, r.(map[string]any))["content"].(map[string]any)
				media, ok := content["application/json"].(map[string]any)
				if !ok {
					continue
				}
				schema := resolve(t, doc, media["schema"].(map[string]any))
				if props, _ := schema["properties"].(map[string]any); len(props) == 0 {
					t.Errorf("%s %s answers %s with a JSON object whose fields are not described", strings.ToUpper(method), path, code)
				}
			}
		}
	}
	// The server always sends these fields (structs without omitempty).
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	for name, fields := range map[string][]string{
		"Accepted":     {"status"},
		"Deadlines":    {"acknowledge_by", "close_by"},
		"ClientRecord": {"client_id", "erased", "name", "date_of_birth", "phone", "email", "address"},
	} {
		required := map[string]bool{}
		list, _ := schemas[name].(map[string]any)["required"].([]any)
		for _, f := range list {
			required[f.(string)] = true
		}
		for _, f := range fields {
			if !required[f] {
				t.Errorf("%s does not require %s, which every answer holds", name, f)
			}
		}
	}
}
