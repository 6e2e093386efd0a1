package http

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"
)

// openAPIDocument is the API's OpenAPI 3.0.3 description. It is written by
// hand; checkOpenAPIRoutes keeps it and the router in step, and every
// answer in the tests is validated against it (internal/openapicheck,
// installed by the test harnesses), so it cannot drift from what the
// server sends. make openapi-lint lints it; client/ is generated from it.
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPIDocument returns the document GET /v1/openapi.json serves.
func OpenAPIDocument() []byte { return append([]byte(nil), openAPIDocument...) }

// serveOpenAPI answers GET /v1/openapi.json.
func serveOpenAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/json", openAPIDocument)
}

// checkOpenAPIRoutes reports, in one error, every route that the document
// does not describe and every operation the document describes that is not
// routed. Gin's ":id" and "*path" parameters are compared as "{id}" and
// "{path}".
func checkOpenAPIRoutes(doc []byte, routes gin.RoutesInfo) error {
	var d struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return fmt.Errorf("openapi: %w", err)
	}
	documented := make(map[string]bool)
	for path, item := range d.Paths {
		for _, m := range []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"} {
			if _, ok := item[m]; ok {
				documented[strings.ToUpper(m)+" "+path] = true
			}
		}
	}
	routed := make(map[string]bool)
	for _, r := range routes {
		routed[r.Method+" "+openAPIPath(r.Path)] = true
	}
	var problems []string
	for op := range routed {
		if !documented[op] {
			problems = append(problems, "routed but not documented: "+op)
		}
	}
	for op := range documented {
		if !routed[op] {
			problems = append(problems, "documented but not routed: "+op)
		}
	}
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems)
	return errors.New("openapi: " + strings.Join(problems, "; "))
}

// openAPIPath turns a Gin path template into an OpenAPI one.
func openAPIPath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if len(s) > 1 && (s[0] == ':' || s[0] == '*') {
			segs[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(segs, "/")
}
