package http

import (
	"context"
	"net/http"
	"testing"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/referral-ledger/ledger/client"
)

// TestGeneratedClientLifecycle_Issue16 drives a whole referral's life
// through the generated Go client (package client, issue 16 point 3)
// against the real router: the coordinator registers two organisations and
// their advisers, each adviser changes the password someone else set, one
// refers a client to the other, which acknowledges (with the ETag as
// If-Match), adds a note and closes it; the referrer reads the outcome.
func TestGeneratedClientLifecycle_Issue16(t *testing.T) {
	api := newTestAPI(t)
	ctx := context.Background()
	anon := newGeneratedClient(t, api.URL, "")

	signIn := func(username, password string) *client.Session {
		t.Helper()
		res, err := anon.CreateSessionWithResponse(ctx, client.SessionRequest{Username: username, Password: password})
		if err != nil || res.JSON201 == nil {
			t.Fatalf("signing in %s: %v %d %s", username, err, res.StatusCode(), res.Body)
		}
		return res.JSON201
	}
	admin := newGeneratedClient(t, api.URL, signIn("admin", testAdminPassword).Token)

	organisation := func(name string) openapi_types.UUID {
		t.Helper()
		res, err := admin.RegisterOrganisationWithResponse(ctx, nil, client.OrganisationRegistration{
			Name: name, AdminEmail: openapi_types.Email("admin@" + name + ".example")})
		if err != nil || res.JSON201 == nil {
			t.Fatalf("registering %s: %v %d %s", name, err, res.StatusCode(), res.Body)
		}
		if res.HTTPResponse.Header.Get("Location") == "" {
			t.Error("no Location")
		}
		return res.JSON201.Id
	}
	from, to := organisation("advice"), organisation("housing")

	adviser := func(org openapi_types.UUID, username string) *client.ClientWithResponses {
		t.Helper()
		res, err := admin.AddUserWithResponse(ctx, org, nil, client.NewUser{Username: username, DisplayName: "Adviser " + username,
			Email: openapi_types.Email(username + "@example.org"), Roles: []client.Role{client.RoleAdviser}, Password: testInitialPassword})
		if err != nil || res.JSON201 == nil {
			t.Fatalf("adding %s: %v %d %s", username, err, res.StatusCode(), res.Body)
		}
		first := signIn(username, testInitialPassword)
		if !first.PasswordChangeDue {
			t.Fatalf("%s: no password change due at first sign-in", username)
		}
		c := newGeneratedClient(t, api.URL, first.Token)
		pw, err := c.ChangePasswordWithResponse(ctx, client.PasswordChange{CurrentPassword: testInitialPassword, NewPassword: testUserPassword})
		if err != nil || pw.StatusCode() != http.StatusNoContent {
			t.Fatalf("%s changing the password: %v %d %s", username, err, pw.StatusCode(), pw.Body)
		}
		return newGeneratedClient(t, api.URL, signIn(username, testUserPassword).Token)
	}
	referrer, receiver := adviser(from, "ann.adviser"), adviser(to, "ben.adviser")

	key := "lifecycle-1"
	made, err := referrer.MakeReferralWithResponse(ctx, &client.MakeReferralParams{IdempotencyKey: &key}, client.NewReferral{
		ToOrganisationId: to, Reason: "Rent arrears; needs advice before the court date", PrivacyNoticeGiven: true,
		Client:  client.ClientDetails{Name: ptr("Sam Example")},
		Consent: &client.Consent{Method: client.Verbal, Confirmed: true}})
	if err != nil || made.JSON201 == nil {
		t.Fatalf("making the referral: %v %d %s", err, made.StatusCode(), made.Body)
	}
	id := made.JSON201.Id
	if made.JSON201.Status != client.ReferralStatusMade {
		t.Fatalf("status %s", made.JSON201.Status)
	}

	read, err := receiver.GetReferralWithResponse(ctx, id, nil)
	if err != nil || read.JSON200 == nil {
		t.Fatalf("reading: %v %d %s", err, read.StatusCode(), read.Body)
	}
	etag := read.HTTPResponse.Header.Get("ETag")
	ack, err := receiver.AcknowledgeWithResponse(ctx, id, &client.AcknowledgeParams{IfMatch: &etag}, client.Acknowledgement{})
	if err != nil || ack.JSON200 == nil || ack.JSON200.Status != client.ReferralStatusAcknowledged {
		t.Fatalf("acknowledging: %v %d %s", err, ack.StatusCode(), ack.Body)
	}
	// The ETag read before the acknowledgement no longer matches.
	stale, err := receiver.AddNoteWithResponse(ctx, id, &client.AddNoteParams{IfMatch: &etag}, client.NewNote{Text: "Stale."})
	if err != nil || stale.StatusCode() != http.StatusPreconditionFailed || stale.ApplicationproblemJSON412 == nil {
		t.Fatalf("a note on a stale ETag: %v %d %s", err, stale.StatusCode(), stale.Body)
	}
	note, err := receiver.AddNoteWithResponse(ctx, id, nil, client.NewNote{Text: "Appointment booked for Tuesday"})
	if err != nil || note.JSON201 == nil {
		t.Fatalf("adding a note: %v %d %s", err, note.StatusCode(), note.Body)
	}
	closed, err := receiver.CloseReferralWithResponse(ctx, id, nil, client.Closure{Outcome: client.ClosureOutcomePositive,
		Comment: ptr("Arrears plan agreed with the landlord")})
	if err != nil || closed.JSON200 == nil || closed.JSON200.Status != client.ReferralStatusClosed {
		t.Fatalf("closing: %v %d %s", err, closed.StatusCode(), closed.Body)
	}

	seen, err := referrer.GetReferralWithResponse(ctx, id, nil)
	if err != nil || seen.JSON200 == nil {
		t.Fatalf("the referrer reading: %v %d %s", err, seen.StatusCode(), seen.Body)
	}
	if r := seen.JSON200; r.Status != client.ReferralStatusClosed || r.Outcome == nil || string(*r.Outcome) != "positive" {
		t.Errorf("the referrer sees %+v", r)
	}
	list, err := referrer.OutboxWithResponse(ctx, nil)
	if err != nil || list.JSON200 == nil {
		t.Fatalf("the outbox: %v %d %s", err, list.StatusCode(), list.Body)
	}
	// A retry of the first request with its key makes nothing new.
	again, err := referrer.MakeReferralWithResponse(ctx, &client.MakeReferralParams{IdempotencyKey: &key}, client.NewReferral{
		ToOrganisationId: to, Reason: "Rent arrears; needs advice before the court date", PrivacyNoticeGiven: true,
		Client:  client.ClientDetails{Name: ptr("Sam Example")},
		Consent: &client.Consent{Method: client.Verbal, Confirmed: true}})
	if err != nil || again.JSON201 == nil || again.JSON201.Id != id || again.HTTPResponse.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("the retry: %v %d %s", err, again.StatusCode(), again.Body)
	}
	out, err := referrer.DeleteSessionWithResponse(ctx)
	if err != nil || out.StatusCode() != http.StatusNoContent {
		t.Fatalf("signing out: %v %d %s", err, out.StatusCode(), out.Body)
	}
}

// newGeneratedClient is the generated client for base, sending token as
// the bearer token when there is one.
func newGeneratedClient(tb testing.TB, base, token string) *client.ClientWithResponses {
	tb.Helper()
	c, err := client.NewClientWithResponses(base, client.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return nil
	}))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func ptr[T any](v T) *T { return &v }
