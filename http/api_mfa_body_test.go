package http

import (
	"net/http"
	"testing"
)

// TestStartTOTPChecksItsBody_Issue16_Issue17: POST /v1/users/me/mfa/totp
// takes no body or the empty JSON object the document describes. A body
// that is not JSON is 400, an unknown field 422 naming the body that
// holds it (never the key, R-PRIV-7), another
// content type 415, each a problem document, as for every other JSON body
// (issue 16: the server refuses what the document calls invalid); nothing
// is started by a refused request, so the next, right one is answered as
// the first.
func TestStartTOTPChecksItsBody_Issue16_Issue17(t *testing.T) {
	a := newTestAPI(t)
	u := a.addUser(t, a.Admin.OrgID, "enrol.me", "adviser")
	path := "/v1/users/me/mfa/totp"
	a.do(t, http.MethodPost, path, u.Token, jsonText(`{"code": `)).problem(t, http.StatusBadRequest)
	a.do(t, http.MethodPost, path, u.Token, jsonText(`["totp"]`)).problem(t, http.StatusBadRequest)
	a.do(t, http.MethodPost, path, u.Token, map[string]any{"method": "sms"}).invalid(t, "body")
	a.do(t, http.MethodPost, path, u.Token, rawBody{contentType: "text/plain", data: []byte("{}")}).problem(t, http.StatusUnsupportedMediaType)
	want(t, a.do(t, http.MethodPost, path, u.Token, nil), http.StatusCreated)
	want(t, a.do(t, http.MethodPost, path, u.Token, map[string]any{}), http.StatusCreated)
}
