package http

import (
	"net/http"
	"strings"
	"testing"
)

// TestWebMessagesShowTheCaseReferenceOfTheNotices_LOCK8_UI1: an email
// notice of information passed on about a locked case names the case only
// by a short reference, "C-" and the first eight hex digits of the client
// id, and links to the Messages page (R-LOCK-8, R-NOTE-2). That page named
// each case by its referrals' references alone, so whoever had several
// locked cases could not tell which one a notice meant. Each case on it
// now shows the reference its notices give.
func TestWebMessagesShowTheCaseReferenceOfTheNotices_LOCK8_UI1(t *testing.T) {
	n := newLockNet(t, withWebPages())
	n.lock(t, n.Client, nil)
	_, other := n.newClient(t, "Client Other")
	n.lock(t, other, nil)
	want(t, n.sendMessage(t, n.HelpdeskB.Token, n.Client, "Seen near the school."), http.StatusAccepted)
	want(t, n.sendMessage(t, n.HelpdeskB.Token, other, "Moved house last week."), http.StatusAccepted)
	n.flushReads(t)
	page := n.webPage(t, "/messages", n.AdviserB.Token)
	if page.Status != http.StatusOK {
		t.Fatalf("the Messages page: %d", page.Status)
	}
	p := string(page.Body)
	for _, c := range []struct{ client, text string }{{n.Client, "Seen near the school."}, {other, "Moved house last week."}} {
		ref := "C-" + strings.ToUpper(c.client[:8])
		card := p[strings.Index(p, `id="case-`+c.client+`"`):]
		if end := strings.Index(card, "</section>"); end >= 0 {
			card = card[:end]
		}
		if !strings.Contains(card, ref) || !strings.Contains(card, c.text) {
			t.Errorf("the Messages page's card of a case does not show its reference %s beside its messages:\n%s", ref, card)
		}
	}
}
