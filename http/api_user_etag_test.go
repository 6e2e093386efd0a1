package http

import (
	"net/http"
	"testing"
)

// TestAccountAnswersCarryTheOrganisationETag_LEDGER2_ORG3: an account is
// part of its organisation's stream, and If-Match on its writes names the
// organisation's revision; the answers to adding and editing one carried
// no ETag, so a lead editing two accounts in turn had to read the
// organisation again between them. They now carry the organisation's
// revision, which the next conditional write takes, as a replay does.
func TestAccountAnswersCarryTheOrganisationETag_LEDGER2_ORG3(t *testing.T) {
	n := newNetwork(t)
	org := "/v1/organisations/" + n.OrgA
	body := map[string]any{"username": "etag.a", "display_name": "Etag", "email": "etag@example.org",
		"roles": []string{"adviser"}, "password": testInitialPassword}
	added := want(t, n.do(t, http.MethodPost, org+"/users", n.LeadA.Token, body, "Idempotency-Key", "etag-user"), http.StatusCreated)
	etag := added.Header.Get("ETag")
	if read := want(t, n.do(t, http.MethodGet, org, n.LeadA.Token, nil), http.StatusOK).Header.Get("ETag"); etag == "" || etag != read {
		t.Fatalf("adding an account: ETag %q, the organisation's %q", etag, read)
	}
	replayed := want(t, n.do(t, http.MethodPost, org+"/users", n.LeadA.Token, body, "Idempotency-Key", "etag-user"), http.StatusCreated)
	if got := replayed.Header.Get("ETag"); got != etag {
		t.Errorf("the replay's ETag %q, the first answer's %q", got, etag)
	}

	edited := want(t, n.do(t, http.MethodPatch, org+"/users/"+added.str("id"), n.LeadA.Token,
		map[string]any{"team": "duty"}, "If-Match", etag), http.StatusOK)
	next := edited.Header.Get("ETag")
	if read := want(t, n.do(t, http.MethodGet, org, n.LeadA.Token, nil), http.StatusOK).Header.Get("ETag"); next == "" || next == etag || next != read {
		t.Fatalf("editing an account: ETag %q (before %q), the organisation's %q", next, etag, read)
	}
	want(t, n.do(t, http.MethodPatch, org+"/users/"+n.AdviserA.ID, n.LeadA.Token,
		map[string]any{"team": "duty"}, "If-Match", next), http.StatusOK)
	n.do(t, http.MethodPatch, org+"/users/"+n.AdviserA.ID, n.LeadA.Token,
		map[string]any{"team": "desk"}, "If-Match", etag).problem(t, http.StatusPreconditionFailed)
}
