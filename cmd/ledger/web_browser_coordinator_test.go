package main

// The coordinator's pages in a real browser (R-UI-1, R-UI-2, R-VIEW-3,
// R-PRIV-2/5/6): every page and state checked by axe-core and at 320 px,
// once with JavaScript on and the decisive paths once with it off.

import (
	"encoding/csv"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// coordinatorWorld is a network where one referral was made two weeks ago
// and never acknowledged (overdue now), and another was closed.
type coordinatorWorld struct {
	*webNetwork
	late, lateRef   string // the overdue referral
	closed, client  string // the closed referral and its client
	erase, eraseRef string // a referral whose client will ask to be erased
}

func newCoordinatorWorld(t *testing.T) coordinatorWorld {
	t.Helper()
	n, clk := newWebNetworkAt(t, -14*24*time.Hour)
	ann := n.signIn(t, "ann", annPassword)
	w := coordinatorWorld{webNetwork: n}
	w.late, _ = n.referralFor(t, ann, "Olive Overdue")
	w.lateRef = n.must(t, 200, "GET", "/v1/referrals/"+w.late, ann, nil)["reference"].(string)
	clk.set(0)
	ann = n.signIn(t, "ann", annPassword)
	ben := n.signIn(t, "ben", benPassword)
	w.closed, w.client = n.referralFor(t, ann, "Carla Closed")
	n.must(t, 200, "POST", "/v1/referrals/"+w.closed+"/acknowledgement", ben, map[string]any{})
	n.must(t, 200, "POST", "/v1/referrals/"+w.closed+"/closure", ben, map[string]any{"outcome": "negative", "comment": "moved away"})
	w.erase, _ = n.referralFor(t, ann, "Ezra Erase")
	w.eraseRef = n.must(t, 200, "GET", "/v1/referrals/"+w.erase, ann, nil)["reference"].(string)
	n.admin = n.signIn(t, "admin", adminPassword)
	return w
}

// TestWebBrowserCoordinator: the coordinator finds the overdue referral
// and downloads the CSV, whose content is checked; registers an
// organisation (a mistake first) and looks through the users; an adviser
// asks for a client's erasure from the referral page (a mistake first) and
// the coordinator refuses it with a reason after the confirmation step;
// subject access and retention. No URL holds client data.
func TestWebBrowserCoordinator(t *testing.T) {
	w := newCoordinatorWorld(t)
	base := w.base
	c := newChrome(t, false)

	c.signIn(base, "admin", adminPassword)
	c.visit(base + "/overdue")
	c.wantText("h1", "Overdue referrals")
	c.wantText("main", w.lateRef, "Advice Centre", "Housing Trust", "Acknowledge", "working days")
	c.check("coordinator-overdue")
	days := w.must(t, 200, "GET", "/v1/overdue", w.admin, nil)["referrals"].([]any)[0].(map[string]any)["working_days_overdue"].(float64)
	c.wantText("main", strconv.Itoa(int(days))+" working days")

	// The CSV, as the download link fetches it.
	got := eval[[]string](c, `(async () => {
		const a = document.querySelector('a[href^="/overdue.csv"]');
		const r = await fetch(a.href);
		return [String(r.status), r.headers.get("Content-Disposition"), r.headers.get("Content-Type"), await r.text()];
	})()`, chromedp.EvalAwaitPromise)
	if got[0] != "200" || !strings.HasPrefix(got[1], `attachment; filename="overdue-referrals-`) || !strings.HasPrefix(got[2], "text/csv") {
		t.Fatalf("the CSV download: %q", got[:3])
	}
	rows, err := csv.NewReader(strings.NewReader(got[3])).ReadAll()
	if err != nil || len(rows) != 2 || rows[0][0] != "reference" || rows[1][0] != w.lateRef || rows[1][1] != w.late ||
		rows[1][6] != "acknowledge" || rows[1][8] != strconv.Itoa(int(days)) {
		t.Fatalf("the CSV: %v %q", err, got[3])
	}
	if strings.Contains(got[3], "Olive") || strings.Contains(got[3], "rent arrears") {
		t.Fatalf("the CSV carries client data: %q", got[3])
	}
	// Filtered to the close stage: nothing.
	c.run(chromedp.SetValue(chromedp.CSS("#stage"), "close"))
	c.submit(`form[action="/overdue"] button`)
	c.wantText("main", "No referral is overdue with these filters")
	c.check("coordinator-overdue-filtered")

	// Organisations: register one, a mistake first.
	c.visit(base + "/organisations")
	c.wantText("main", "Housing Trust", "b@housing.example")
	c.check("coordinator-organisations")
	c.submit(`a[href="/organisations/new"]`)
	c.run(chromedp.SendKeys(chromedp.CSS("#admin-email"), "f@food.example"))
	c.submit(`form[action="/organisations/new"] button`)
	c.wantText(".error-summary", "There is a problem")
	c.check("coordinator-organisation-new-error")
	c.run(chromedp.SendKeys(chromedp.CSS("#org-name"), "Food Bank"),
		chromedp.SendKeys(chromedp.CSS("#services"), "Parcels: three days of food"))
	c.submit(`form[action="/organisations/new"] button`)
	c.wantText(".banner", "Organisation registered")
	c.wantText("main", "Food Bank", "f@food.example", "Parcels")
	c.check("coordinator-organisation")
	c.visit(base + "/users")
	c.wantText("main", "Ann Adviser", "Cleo Lead", "Organisation lead")
	c.run(chromedp.SetValue(chromedp.CSS("#role"), "org_lead"))
	c.submit(`form[action="/users"] button`)
	if m := c.text("main"); !strings.Contains(m, "Cleo Lead") || strings.Contains(m, "Ann Adviser") {
		t.Fatalf("the users filtered by role:\n%s", m)
	}
	c.check("coordinator-users")
	c.signOut()

	// The adviser passes the client's request on, from the referral.
	c.signIn(base, "ann", annPassword)
	c.visit(base + "/referrals/" + w.erase)
	c.submit(`a[href*="/erasure-request?referral="]`)
	c.wantText("h1", "Ask for a client")
	c.check("erasure-ask")
	c.submit(`form[action$="/erasure-request"] button`)
	c.wantText(".error-summary", "There is a problem")
	c.check("erasure-ask-error")
	c.run(chromedp.SendKeys(chromedp.CSS("#erasure-reason"), "Asked by phone on Monday."))
	c.submit(`form[action$="/erasure-request"] button`)
	c.wantText(".banner", "passed to the coordinator")
	c.wantText("h1", w.eraseRef)
	c.signOut()

	// The coordinator refuses it, with a reason, after confirming.
	c.signIn(base, "admin", adminPassword)
	c.visit(base + "/erasure-requests")
	c.wantText("main", "Advice Centre", "Ann Adviser", w.eraseRef)
	c.check("erasure-requests")
	c.submit(`a[href^="/erasure-requests/"]`)
	c.wantText("main", "Waiting for a decision")
	c.check("erasure-request")
	c.run(chromedp.Click(chromedp.CSS("#decision-refuse")))
	c.submit(`form[action^="/erasure-requests/"] button`)
	c.wantText(".error-summary", "Enter the reason for refusing")
	c.check("erasure-request-error")
	c.run(chromedp.SendKeys(chromedp.CSS("#decision-reason"), "Legal hold until the tribunal ends."))
	c.submit(`form[action^="/erasure-requests/"] button`)
	c.wantText("h1", "Are you sure you want to refuse")
	c.check("erasure-confirm")
	c.submit(`form[action^="/erasure-requests/"] button`)
	c.wantText(".banner", "Erasure request refused")
	c.wantText("main", "Refused", "The erasure was refused")
	c.check("erasure-outcome")
	c.visit(base + "/erasure-requests")
	c.wantText("main", "No erasure request is waiting")
	c.check("erasure-requests-empty")

	// Subject access and retention.
	c.visit(base + "/subject-access")
	c.check("subject-access-find")
	c.run(chromedp.SendKeys(chromedp.CSS("#client"), w.client))
	c.submit(`form[action="/subject-access"] button`)
	c.wantText("main", "Carla Closed", "referral.closed", "Download as JSON")
	c.check("subject-access")
	c.visit(base + "/retention")
	c.wantText("main", w.client, "6 years")
	c.check("retention")
	c.visit(base + "/organisations/" + w.orgB)
	c.check("organisation-page")

	noClientDataIn(t, c.requested(), "Olive Overdue", "Carla Closed", "Ezra Erase", "1980", "rent arrears",
		"Asked by phone", "Legal hold")
}

// TestWebBrowserCoordinatorWithoutJavaScript: with JavaScript off, an org
// lead finds the overdue list (none of theirs), the adviser asks for an
// erasure and the coordinator carries it out through the confirmation
// step, and the referral then shows the client erased (R-UI-1). (axe needs
// JavaScript: TestWebBrowserCoordinator checks these pages with it.)
func TestWebBrowserCoordinatorWithoutJavaScript(t *testing.T) {
	w := newCoordinatorWorld(t)
	base := w.base
	c := newChrome(t, true)

	c.signIn(base, "cleo", "Plover#Shore19")
	c.visit(base + "/overdue")
	c.wantText("main", "Referrals to or from your organisation", "No referral is overdue")
	c.signOut()

	c.signIn(base, "admin", adminPassword)
	c.visit(base + "/overdue")
	c.wantText("main", w.lateRef)
	c.run(chromedp.SetValue(chromedp.CSS("#order"), "organisation"))
	c.submit(`form[action="/overdue"] button`)
	c.wantText("main", w.lateRef)
	c.signOut()

	c.signIn(base, "ann", annPassword)
	c.visit(base + "/referrals/" + w.erase)
	c.submit(`a[href*="/erasure-request?referral="]`)
	c.run(chromedp.SendKeys(chromedp.CSS("#erasure-reason"), "Asked in writing."))
	c.submit(`form[action$="/erasure-request"] button`)
	c.wantText(".banner", "passed to the coordinator")
	c.signOut()

	c.signIn(base, "admin", adminPassword)
	c.visit(base + "/erasure-requests")
	c.submit(`a[href^="/erasure-requests/"]`)
	c.run(chromedp.Click(chromedp.CSS("#decision")))
	c.submit(`form[action^="/erasure-requests/"] button`)
	c.wantText("h1", "Are you sure you want to erase")
	c.submit(`form[action^="/erasure-requests/"] button`)
	c.wantText(".banner", "Erasure carried out")
	c.wantText("main", "The erasure was carried out")
	c.visit(base + "/referrals/" + w.erase)
	c.wantText("main", "have been erased")
	if strings.Contains(c.text("main"), "Ezra Erase") {
		t.Fatal("the erased client's name is still shown")
	}
}
