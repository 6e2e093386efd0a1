package http

import (
	"net/http"
	"testing"
)

// TestKnownClientsTypedApostropheAndHyphen_REF14: a client referred as
// "Siobhán O'Neil-Smith" is found again when the adviser's phone or word
// processor types the name's apostrophe as ’ and its hyphen as ‐ or –,
// and referred as "O’Neil" is found typed with a keyboard's '.
func TestKnownClientsTypedApostropheAndHyphen_REF14(t *testing.T) {
	n := newNetwork(t)
	body := validReferral(n.OrgB, "Siobhán O'Neil-Smith")
	body["client"].(map[string]any)["date_of_birth"] = "1988-07-14"
	first := want(t, n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, body), http.StatusCreated)
	for _, name := range []string{"Siobhan O’Neil-Smith", "SIOBHÁN O'NEIL‐SMITH", "siobhan o’neil–smith", "Siobhan Oʼneil-Smith"} {
		got := n.searchClients(t, n.AdviserA.Token, name, "1988-07-14")
		if len(got.Clients) != 1 || got.Clients[0].ClientID != first.str("client_id") {
			t.Errorf("searching %q finds %+v, want the client %s", name, got, first.str("client_id"))
		}
	}
	body = validReferral(n.OrgB, "Dónal O’Brien")
	body["client"].(map[string]any)["date_of_birth"] = "1990-01-02"
	second := want(t, n.do(t, http.MethodPost, "/v1/referrals", n.AdviserA.Token, body), http.StatusCreated)
	if got := n.searchClients(t, n.AdviserA.Token, "donal o'brien", "1990-01-02"); len(got.Clients) != 1 || got.Clients[0].ClientID != second.str("client_id") {
		t.Errorf("a client referred as O’Brien, searched as o'brien: %+v", got)
	}
	if got := n.searchClients(t, n.AdviserA.Token, "Donal OBrien", "1990-01-02"); len(got.Clients) != 0 {
		t.Errorf("a name without its apostrophe finds %+v, want nothing", got)
	}
}
