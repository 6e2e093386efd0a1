package openapicheck

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const testDoc = `{
  "openapi": "3.0.3",
  "info": {"title": "t", "version": "1"},
  "paths": {
    "/v1/things": {
      "post": {
        "operationId": "makeThing",
        "requestBody": {"required": true, "content": {"application/json": {"schema": {
          "type": "object", "required": ["name"], "additionalProperties": false,
          "properties": {"name": {"type": "string", "maxLength": 5}}}}}},
        "responses": {
          "201": {"description": "made",
            "headers": {"Location": {"schema": {"type": "string"}}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
          "422": {"description": "invalid",
            "content": {"application/problem+json": {"schema": {"type": "object"}}}}
        }
      }
    }
  },
  "components": {"schemas": {"Thing": {"type": "object", "required": ["id", "revision"],
    "properties": {"id": {"type": "string"}, "revision": {"type": "integer", "minimum": 0},
      "consent": {"type": "object", "nullable": true, "allOf": [{"$ref": "#/components/schemas/Consent"}]}}},
    "Consent": {"type": "object", "required": ["method"], "properties": {"method": {"type": "string"}}}}}
}`

// answer is a handler that answers status with body and headers.
func answer(status int, contentType, body string, headers ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	})
}

// TestChecker_Issue16 shows what the checker lets through and what it
// reports, with the operation, the status and the reason.
func TestChecker_Issue16(t *testing.T) {
	tests := []struct {
		name        string
		method      string
		path        string
		reqBody     string
		handler     http.Handler
		wantFailure []string // substrings of the one failure; none for no failure
	}{
		{"Documented", "POST", "/v1/things", `{"name":"a"}`,
			answer(201, "application/json", `{"id":"x","revision":0,"consent":null}`, "Location", "/v1/things/x"), nil},
		{"UndocumentedStatus", "POST", "/v1/things", `{"name":"a"}`,
			answer(409, "application/problem+json", `{}`), []string{"POST /v1/things (makeThing) answered 409", "status is not supported"}},
		{"BodyNotItsSchema", "POST", "/v1/things", `{"name":"a"}`,
			answer(201, "application/json", `{"id":"x","revision":-1}`), []string{"answered 201", "revision"}},
		{"HeaderNotDeclared", "POST", "/v1/things", `{"name":"a"}`,
			answer(201, "application/json", `{"id":"x","revision":1}`, "Location", "/x", "ETag", `"1"`),
			[]string{"answered 201 with header ETag, which the response does not declare"}},
		{"InvalidRequestRefused", "POST", "/v1/things", `{"name":"much too long"}`,
			answer(422, "application/problem+json", `{}`), nil},
		{"InvalidRequestAccepted", "POST", "/v1/things", `{"name":"much too long"}`,
			answer(201, "application/json", `{"id":"x","revision":1}`, "Location", "/x"),
			[]string{"the server accepted (201) a request the document calls invalid", "name"}},
		{"UndocumentedPath", "GET", "/v1/other", "", answer(200, "application/json", `{}`),
			[]string{"GET /v1/other answered 200 but the path or method is not documented"}},
		{"UnknownPathNotFound", "GET", "/v1/other", "", answer(404, "application/problem+json", `{}`), nil},
		{"NotTheAPI", "GET", "/static/app.css", "", answer(200, "text/css", `body{}`), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := New([]byte(testDoc))
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.reqBody))
			if tt.reqBody != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			c.Handler(tt.handler).ServeHTTP(httptest.NewRecorder(), req)
			failures := c.Failures()
			if len(tt.wantFailure) == 0 {
				if len(failures) != 0 {
					t.Fatalf("failures %q", failures)
				}
				return
			}
			if len(failures) != 1 {
				t.Fatalf("failures %q, want one", failures)
			}
			for _, w := range tt.wantFailure {
				if !strings.Contains(failures[0], w) {
					t.Errorf("failure %q lacks %q", failures[0], w)
				}
			}
		})
	}
	t.Run("NotValidOpenAPI", func(t *testing.T) {
		if _, err := New([]byte(`{"openapi":"3.0.3","paths":{"/x":{"get":{}}}}`)); err == nil {
			t.Fatal("no error")
		}
	})
}
