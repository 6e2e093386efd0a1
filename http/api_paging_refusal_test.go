package http

import (
	"net/http"
	"testing"
)

// TestRefusedCursorRecordsNoRead_LOCK9: a list refused for a next that no
// page of it gave (400) was refused only after the case had been read, so
// a client's messages asked for with a bad cursor left a read in the
// case's access log (R-LOCK-9) of messages nobody was shown: a refusal
// that wrote. The cursor is checked with the other parameters, before
// anything is read: 400 naming next, and the ledger as it was. A cursor
// that another list gave is refused the same way.
func TestRefusedCursorRecordsNoRead_LOCK9(t *testing.T) {
	n := newLockNet(t)
	n.lock(t, n.Client, nil)
	want(t, n.sendMessage(t, n.HelpdeskB.Token, n.Client, "Called about the case."), http.StatusAccepted)
	directory := want(t, n.do(t, http.MethodGet, "/v1/directory?limit=1", n.AdviserB.Token, nil), http.StatusOK).str("next")
	if directory == "" {
		t.Fatal("the directory gave no next cursor with limit=1")
	}
	path := "/v1/clients/" + n.Client + "/messages"
	for _, next := range []string{"not-a-cursor", directory} {
		before := n.head(t)
		p := n.do(t, http.MethodGet, path+"?next="+next, n.AdviserB.Token, nil).problem(t, http.StatusBadRequest)
		if !p.hasField("next") {
			t.Errorf("next=%s: the problem does not name next: %+v", next, p)
		}
		if after := n.head(t); after != before {
			t.Errorf("next=%s: a refused list wrote to the ledger (head %v, then %v)", next, before, after)
		}
	}
	// The list itself still reads, and its read is recorded.
	before := n.head(t)
	want(t, n.do(t, http.MethodGet, path, n.AdviserB.Token, nil), http.StatusOK)
	if after := n.head(t); after == before {
		t.Error("reading the messages of a locked case recorded nothing")
	}
}

// TestRefusedBundleRecordsNoRead_LOCK9_AUD3: a case bundle asked for with
// a trusted_size larger than the tree (400) was refused only after the
// case's history had been read, so the access log (R-LOCK-9) showed a read
// of a bundle nobody was given. trusted_size is checked against the tree
// before the case is read: the same 400 naming trusted_size, and the
// ledger as it was.
func TestRefusedBundleRecordsNoRead_LOCK9_AUD3(t *testing.T) {
	n := newLockNet(t)
	n.lock(t, n.Client, nil)
	before := n.head(t)
	p := n.do(t, http.MethodGet, "/v1/referrals/"+n.Referral+"/bundle?trusted_size=1000000000", n.AdviserB.Token, nil).
		problem(t, http.StatusBadRequest)
	if !p.hasField("trusted_size") {
		t.Errorf("the problem does not name trusted_size: %+v", p)
	}
	if after := n.head(t); after != before {
		t.Errorf("a refused bundle wrote to the ledger (head %v, then %v)", before, after)
	}
}

// TestCursorOfAnotherClientsListRefused_LOCK8: the cursor of a page of one
// client's messages was taken by the same list of another client, which
// then answered from an arbitrary place in it (a cursor is the place of
// the last item given), as if it were its own. A cursor belongs to the list
// that gave it, the client's included: another client's is refused with
// 400 naming next, like a cursor of another list, and the one the list
// gave still pages it.
func TestCursorOfAnotherClientsListRefused_LOCK8(t *testing.T) {
	n := newLockNet(t)
	_, other := n.newClient(t, "Client Other")
	for _, client := range []string{n.Client, other} {
		for _, text := range []string{"First call.", "Second call."} {
			want(t, n.sendMessage(t, n.HelpdeskB.Token, client, text), http.StatusAccepted)
		}
	}
	page := func(client, query string) *response {
		return n.do(t, http.MethodGet, "/v1/clients/"+client+"/messages"+query, n.AdviserB.Token, nil)
	}
	next := want(t, page(n.Client, "?limit=1"), http.StatusOK).str("next")
	if next == "" {
		t.Fatal("no next cursor with limit=1 over two messages")
	}
	p := page(other, "?limit=1&next="+next).problem(t, http.StatusBadRequest)
	if !p.hasField("next") {
		t.Errorf("the problem does not name next: %+v", p)
	}
	second := want(t, page(n.Client, "?limit=1&next="+next), http.StatusOK)
	if msgs, _ := second.get("messages").([]any); len(msgs) != 1 {
		t.Errorf("the list's own cursor: %s", second.Body)
	}
}

// TestCursorOfAnotherOrganisationsUsersRefused: the cursor of a page of
// one organisation's users was taken by the users list of another, which
// answered from the place of a username of the first, as if it were its
// own. It is refused with 400 naming next, like a cursor of another list,
// and the list that gave it still pages with it.
func TestCursorOfAnotherOrganisationsUsersRefused(t *testing.T) {
	n := newNetwork(t)
	users := func(org, query string) *response {
		return n.do(t, http.MethodGet, "/v1/organisations/"+org+"/users"+query, n.Admin.Token, nil)
	}
	next := want(t, users(n.OrgB, "?limit=1"), http.StatusOK).str("next")
	if next == "" {
		t.Fatal("no next cursor with limit=1")
	}
	p := users(n.OrgA, "?limit=1&next="+next).problem(t, http.StatusBadRequest)
	if !p.hasField("next") {
		t.Errorf("the problem does not name next: %+v", p)
	}
	second := want(t, users(n.OrgB, "?limit=1&next="+next), http.StatusOK)
	if list, _ := second.get("users").([]any); len(list) != 1 {
		t.Errorf("the list's own cursor: %s", second.Body)
	}
}
