package main

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// knownForm is the make-a-referral form for the client Zoë Ångström, with
// the name and date of birth as given.
func knownForm(to, key, name, dob string) url.Values {
	f := validReferralForm(to, key)
	f.Set("client-name", name)
	f.Set("client-dob", dob)
	return f
}

// newFormKey opens the make-a-referral page and returns its form key.
func (b *browser) newFormKey() string {
	b.t.Helper()
	p := b.get("/make-a-referral")
	wantStatus(b.t, p, http.StatusOK, "Make a referral")
	return formKeyField.FindStringSubmatch(p.body)[1]
}

// clientOf returns the client id of the referral a page path names.
func (n *webNetwork) clientOf(t *testing.T, referralPath string) string {
	t.Helper()
	return n.must(t, 200, "GET", "/v1/referrals/"+strings.TrimPrefix(referralPath, "/referrals/"), n.admin, nil)["client_id"].(string)
}

// TestWebKnownClient_REF14: making a referral for a client the adviser's
// organisation already referred, with the name typed in another case,
// spacing and without accents, asks first whether it is the same person,
// listing the earlier referrals by reference, status and date only; "yes"
// refers them again under the same client id, "no" makes a new client.
// The receiving organisation, which never referred the client, is not
// asked. Everything is plain HTML forms (no JavaScript).
func TestWebKnownClient_REF14(t *testing.T) {
	n := newWebNetwork(t)
	ann := n.browser(t)
	ann.signIn("ann", annPassword, "/incoming")

	first := ann.post("/make-a-referral", knownForm(n.orgB, ann.newFormKey(), "Zoë Ångström", "5 11 1975"))
	if first.status != http.StatusSeeOther || !strings.HasPrefix(first.location, "/referrals/") {
		t.Fatalf("first referral: %d %q\n%s", first.status, first.location, first.body)
	}
	client := n.clientOf(t, first.location)
	ref := regexp.MustCompile(`<h1 class="heading-l">([0-9A-Z]{4}-[0-9A-Z]{4})</h1>`).FindStringSubmatch(ann.get(first.location).body)[1]

	form := knownForm(n.orgB, ann.newFormKey(), "  zoe   ANGSTROM ", "1975-11-05")
	ask := ann.post("/make-a-referral", form)
	wantStatus(t, ask, http.StatusOK, "<title>This client may already be known to your organisation",
		`value="`+client+`"`, ref+", New, made ", "No, someone else: make a new client record")
	if !strings.Contains(ask.body, `<form method="post" action="/make-a-referral"`) || strings.Contains(ask.body, "onclick") {
		t.Fatal("the question is not a plain form")
	}

	t.Run("unanswered, the question is asked again with an error", func(t *testing.T) {
		f := cloneForm(form)
		f.Set("known-client-asked", "yes")
		wantStatus(t, ann.post("/make-a-referral", f), http.StatusUnprocessableEntity,
			"<title>Error: This client may already be known", `href="#known-client"`, `id="known-client-error"`)
	})

	t.Run("back to the form to change the details", func(t *testing.T) {
		f := cloneForm(form)
		f.Set("known-client-asked", "yes")
		f.Set("change", "details")
		p := ann.post("/make-a-referral", f)
		wantStatus(t, p, http.StatusOK, "<title>Make a referral", `value="  zoe   ANGSTROM "`, "Rent arrears; a notice to quit.")
		if strings.Contains(p.body, `name="known-client"`) {
			t.Fatal("the form kept a choice the user did not make")
		}
	})

	t.Run("a validation error keeps the choice", func(t *testing.T) {
		f := cloneForm(form)
		f.Set("known-client-asked", "yes")
		f.Set("known-client", client)
		f.Del("reason")
		wantStatus(t, ann.post("/make-a-referral", f), http.StatusUnprocessableEntity,
			`href="#reason"`, `name="known-client" value="`+client+`"`, "You are referring again a client already known")
	})

	again := cloneForm(form)
	again.Set("known-client-asked", "yes")
	again.Set("known-client", client)
	made := ann.post("/make-a-referral", again)
	if made.status != http.StatusSeeOther || !strings.HasPrefix(made.location, "/referrals/") || made.location == first.location {
		t.Fatalf("referring again: %d %q\n%s", made.status, made.location, made.body)
	}
	if got := n.clientOf(t, made.location); got != client {
		t.Fatalf("referred again under client %s, want %s", got, client)
	}
	wantStatus(t, ann.get(made.location), http.StatusOK, "Referral made.")

	t.Run("someone else makes a new client", func(t *testing.T) {
		f := knownForm(n.orgB, ann.newFormKey(), "Zoe Angstrom", "5/11/1975")
		wantStatus(t, ann.post("/make-a-referral", f), http.StatusOK, "This client may already be known")
		f.Set("known-client-asked", "yes")
		f.Set("known-client", "new")
		p := ann.post("/make-a-referral", f)
		if p.status != http.StatusSeeOther {
			t.Fatalf("someone else: %d\n%s", p.status, p.body)
		}
		if got := n.clientOf(t, p.location); got == client {
			t.Fatal("someone else was referred under the known client")
		}
	})

	t.Run("an organisation that never referred the client is not asked", func(t *testing.T) {
		ben := n.browser(t)
		ben.signIn("ben", benPassword, "/incoming")
		p := ben.post("/make-a-referral", knownForm(n.orgA, ben.newFormKey(), "Zoë Ångström", "1975-11-05"))
		if p.status != http.StatusSeeOther {
			t.Fatalf("ben's referral: %d\n%s", p.status, p.body)
		}
		if got := n.clientOf(t, p.location); got == client {
			t.Fatal("another organisation's referral joined the known client")
		}
	})
}

func cloneForm(f url.Values) url.Values {
	out := url.Values{}
	for k, v := range f {
		out[k] = append([]string(nil), v...)
	}
	return out
}
