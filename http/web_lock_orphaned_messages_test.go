package http

import (
	"net/http"
	"strings"
	"testing"
)

// TestWebMessagesOfALockWhoseResponsiblePersonLeft_LOCK8_UI1: information
// passed on about a locked case reaches its responsible person on the
// Messages page. Once their account is closed it reaches nobody there,
// though the managers are told to have someone the lock lets in read it
// (R-LOCK-8): the page then shows that case's messages to the people the
// lock lets in, as GET /v1/clients/{id}/messages does (R-UI-1, R-UI-2),
// and to nobody else; while the responsible person is there, only they
// see them.
func TestWebMessagesOfALockWhoseResponsiblePersonLeft_LOCK8_UI1(t *testing.T) {
	n := newLockNet(t, withWebPages())
	n.lock(t, n.Client, map[string]any{"allow": []map[string]any{{"user_id": n.DutyMember.ID}}})
	want(t, n.sendMessage(t, n.HelpdeskB.Token, n.Client, "Child is at risk tonight."), http.StatusAccepted)
	n.flushReads(t)
	if p := n.webPage(t, "/messages", n.AdviserB.Token); !strings.Contains(string(p.Body), "Child is at risk tonight.") {
		t.Fatalf("the responsible person's Messages page lacks the message:\n%s", p.Body)
	}
	if p := n.webPage(t, "/messages", n.DutyMember.Token); strings.Contains(string(p.Body), "Child is at risk tonight.") {
		t.Fatalf("someone allowed sees the messages while the responsible person is there:\n%s", p.Body)
	}
	want(t, n.do(t, http.MethodDelete, "/v1/organisations/"+n.OrgB+"/users/"+n.AdviserB.ID, n.LeadB.Token, nil), http.StatusNoContent)
	want(t, n.do(t, http.MethodGet, "/v1/clients/"+n.Client+"/messages", n.DutyMember.Token, nil), http.StatusOK)
	p := n.webPage(t, "/messages", n.DutyMember.Token)
	if p.Status != http.StatusOK || !strings.Contains(string(p.Body), "Child is at risk tonight.") {
		t.Fatalf("someone the lock lets in cannot read the messages of a case whose responsible person left: %d\n%s", p.Status, p.Body)
	}
	if strings.Contains(string(p.Body), "/clients/"+n.Client+"/temporary-access") {
		t.Errorf("the page offers temporary access to someone who is not responsible for the case")
	}
	if p := n.webPage(t, "/messages", n.LeadB.Token); strings.Contains(string(p.Body), "Child is at risk tonight.") {
		t.Errorf("the page shows the messages to someone the lock keeps out:\n%s", p.Body)
	}
}

// TestWebMessagesOfALockThatRefusesItsResponsiblePerson_LOCK2_LOCK12: a
// responsible person later moved into a team the lock's deny list names
// is refused the case (R-LOCK-2), and the hidden lock tells them nothing
// of it (R-LOCK-12): their Messages page still answers, without that
// case's messages, as GET /v1/clients/{id}/messages answers them 404,
// and goes on listing the information passed on about another case
// locked to them.
func TestWebMessagesOfALockThatRefusesItsResponsiblePerson_LOCK2_LOCK12(t *testing.T) {
	n := newLockNet(t, withWebPages())
	n.lock(t, n.Client, map[string]any{"hide_notification": true, "deny": []map[string]any{{"team": "family"}}})
	_, other := n.newClient(t, "Client Other")
	n.lock(t, other, nil)
	want(t, n.sendMessage(t, n.HelpdeskB.Token, n.Client, "Seen near the school."), http.StatusAccepted)
	want(t, n.sendMessage(t, n.HelpdeskB.Token, other, "Moved house last week."), http.StatusAccepted)
	n.flushReads(t)
	want(t, n.do(t, http.MethodPatch, "/v1/organisations/"+n.OrgB+"/users/"+n.AdviserB.ID, n.LeadB.Token,
		map[string]any{"team": "family"}), http.StatusOK)
	n.do(t, http.MethodGet, "/v1/clients/"+n.Client+"/messages", n.AdviserB.Token, nil).problem(t, http.StatusNotFound)

	p := n.webPage(t, "/messages", n.AdviserB.Token)
	if p.Status != http.StatusOK {
		t.Fatalf("the Messages page of a responsible person one lock now refuses: %d\n%s", p.Status, p.Body)
	}
	if strings.Contains(string(p.Body), "Seen near the school.") || strings.Contains(string(p.Body), n.Client) {
		t.Errorf("the page shows the case of a lock that refuses them:\n%s", p.Body)
	}
	if !strings.Contains(string(p.Body), "Moved house last week.") {
		t.Errorf("the page lost the messages of the other case locked to them:\n%s", p.Body)
	}
}

// TestWebMessagesOfALockWhoseResponsiblePersonItRefuses_LOCK8_LOCK2: a
// responsible person the lock now refuses (moved into a team its deny
// list names) cannot read the case (R-LOCK-2), so the information passed
// on about it goes, as when their account is closed, to the managers of
// the lock, who are told to have someone the lock lets in read it
// (R-LOCK-8): the Messages page then shows that case's messages to the
// people the lock lets in, saying why, and still not to the refused
// responsible person nor to anyone the lock keeps out.
func TestWebMessagesOfALockWhoseResponsiblePersonItRefuses_LOCK8_LOCK2(t *testing.T) {
	n := newLockNet(t, withWebPages())
	n.lock(t, n.Client, map[string]any{"allow": []map[string]any{{"user_id": n.DutyMember.ID}},
		"deny": []map[string]any{{"team": "family"}}})
	want(t, n.sendMessage(t, n.HelpdeskB.Token, n.Client, "Child is at risk tonight."), http.StatusAccepted)
	n.flushReads(t)
	want(t, n.do(t, http.MethodPatch, "/v1/organisations/"+n.OrgB+"/users/"+n.AdviserB.ID, n.LeadB.Token,
		map[string]any{"team": "family"}), http.StatusOK)
	p := n.webPage(t, "/messages", n.DutyMember.Token)
	if p.Status != http.StatusOK || !strings.Contains(string(p.Body), "Child is at risk tonight.") {
		t.Fatalf("someone the lock lets in cannot read the messages of a case whose responsible person it refuses: %d\n%s", p.Status, p.Body)
	}
	if !strings.Contains(string(p.Body), "can no longer read") {
		t.Errorf("the page does not say why the messages are shown:\n%s", p.Body)
	}
	for _, u := range []testUser{n.AdviserB, n.LeadB} {
		if p := n.webPage(t, "/messages", u.Token); strings.Contains(string(p.Body), "Child is at risk tonight.") {
			t.Errorf("the page shows the messages to %s, whom the lock keeps out:\n%s", u.Username, p.Body)
		}
	}
}
