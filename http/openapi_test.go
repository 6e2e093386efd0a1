package http

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

func TestCheckOpenAPIRoutes(t *testing.T) {
	doc := []byte(`{"openapi":"3.0.3","paths":{
		"/v1/things/{id}": {"get": {"responses": {}}, "delete": {"responses": {}}, "parameters": []},
		"/v1/things": {"post": {"responses": {}}}
	}}`)
	noop := func(*gin.Context) {}
	tests := []struct {
		name  string
		route func(r *gin.Engine)
		want  []string // substrings of the error; none means no error
	}{
		{"InStep", func(r *gin.Engine) {
			r.GET("/v1/things/:id", noop)
			r.DELETE("/v1/things/:id", noop)
			r.POST("/v1/things", noop)
		}, nil},
		{"RoutedNotDocumented", func(r *gin.Engine) {
			r.GET("/v1/things/:id", noop)
			r.DELETE("/v1/things/:id", noop)
			r.POST("/v1/things", noop)
			r.PUT("/v1/things/:id", noop)
			r.GET("/v1/other/*rest", noop)
		}, []string{"routed but not documented: GET /v1/other/{rest}", "routed but not documented: PUT /v1/things/{id}"}},
		{"DocumentedNotRouted", func(r *gin.Engine) {
			r.GET("/v1/things/:id", noop)
		}, []string{"documented but not routed: DELETE /v1/things/{id}", "documented but not routed: POST /v1/things"}},
		{"ParameterNamesMatter", func(r *gin.Engine) {
			r.GET("/v1/things/:thing_id", noop)
			r.DELETE("/v1/things/:id", noop)
			r.POST("/v1/things", noop)
		}, []string{"routed but not documented: GET /v1/things/{thing_id}", "documented but not routed: GET /v1/things/{id}"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gin.SetMode(gin.TestMode)
			r := gin.New()
			tt.route(r)
			err := checkOpenAPIRoutes(doc, r.Routes())
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
	t.Run("NotJSON", func(t *testing.T) {
		if err := checkOpenAPIRoutes([]byte("{"), nil); err == nil {
			t.Fatal("no error")
		}
	})
}

// TestOpenAPIDocument checks the document's shape: it parses, names its
// version, every operation has an id and responses, every error response
// is a problem, every $ref resolves and every path parameter is declared.
func TestOpenAPIDocument(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["openapi"] != "3.0.3" {
		t.Errorf("openapi = %v", doc["openapi"])
	}
	paths, _ := doc["paths"].(map[string]any)
	if len(paths) == 0 {
		t.Fatal("no paths")
	}
	ids := map[string]bool{}
	param := regexp.MustCompile(`\{([a-z_]+)\}`)
	for path, item := range paths {
		item := item.(map[string]any)
		for method, raw := range item {
			if method == "parameters" {
				continue
			}
			t.Run(strings.ToUpper(method)+" "+path, func(t *testing.T) {
				op := raw.(map[string]any)
				id, _ := op["operationId"].(string)
				if id == "" || ids[id] {
					t.Errorf("operationId %q missing or repeated", id)
				}
				ids[id] = true
				responses, _ := op["responses"].(map[string]any)
				if len(responses) == 0 {
					t.Fatal("no responses")
				}
				for code, r := range responses {
					if code >= "400" && path != "/readyz" && !refersTo(r, "#/components/responses/Problem"+code) {
						t.Errorf("response %s is not the shared problem response", code)
					}
				}
				declared := map[string]bool{}
				for _, p := range append(asList(item["parameters"]), asList(op["parameters"])...) {
					p = resolve(t, doc, p)
					if p["in"] == "path" {
						declared[p["name"].(string)] = true
					}
				}
				for _, m := range param.FindAllStringSubmatch(path, -1) {
					if !declared[m[1]] {
						t.Errorf("path parameter %s not declared", m[1])
					}
				}
			})
		}
	}
	t.Run("RefsResolve", func(t *testing.T) {
		walkRefs(doc, func(ref string) {
			if lookup(doc, ref) == nil {
				t.Errorf("unresolved $ref %s", ref)
			}
		})
	})
}

func TestServeOpenAPI(t *testing.T) {
	r, _, _ := testEngine(t)
	r.GET("/v1/openapi.json", serveOpenAPI)
	rec := sendRequest(t, r, http.MethodGet, "/v1/openapi.json", "")
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json" || !json.Valid(rec.Body.Bytes()) {
		t.Fatalf("%d %s", rec.Code, rec.Header())
	}
}

func refersTo(v any, ref string) bool {
	m, _ := v.(map[string]any)
	return m["$ref"] == ref
}

func asList(v any) []map[string]any {
	l, _ := v.([]any)
	out := make([]map[string]any, 0, len(l))
	for _, e := range l {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func resolve(tb testing.TB, doc map[string]any, v map[string]any) map[string]any {
	tb.Helper()
	ref, ok := v["$ref"].(string)
	if !ok {
		return v
	}
	m, _ := lookup(doc, ref).(map[string]any)
	if m == nil {
		tb.Fatalf("unresolved %s", ref)
	}
	return m
}

// lookup follows a local JSON pointer such as #/components/schemas/Problem.
func lookup(doc map[string]any, ref string) any {
	if !strings.HasPrefix(ref, "#/") {
		return nil
	}
	var cur any = doc
	for _, part := range strings.Split(ref[2:], "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")]
	}
	return cur
}

func walkRefs(v any, f func(string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if s, ok := e.(string); ok && k == "$ref" {
				f(s)
			}
			walkRefs(e, f)
		}
	case []any:
		for _, e := range v {
			walkRefs(e, f)
		}
	}
}
