package client_test

import (
	"context"
	"fmt"
	"log"
	"net/http"

	"github.com/referral-ledger/ledger/client"
)

// Signing in and reading one's inbox. The node's address and the account
// are the integrator's; the token goes in every later request.
func Example() {
	ctx := context.Background()
	base := "https://ledger.example.org"
	anon, err := client.NewClientWithResponses(base)
	if err != nil {
		log.Fatal(err)
	}
	session, err := anon.CreateSessionWithResponse(ctx, client.SessionRequest{Username: "ann.adviser", Password: "…"})
	if err != nil {
		log.Fatal(err)
	}
	if session.JSON201 == nil {
		log.Fatalf("signing in: %d %s", session.StatusCode(), session.Body)
	}
	token := session.JSON201.Token
	c, err := client.NewClientWithResponses(base, client.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+token)
		return nil
	}))
	if err != nil {
		log.Fatal(err)
	}
	inbox, err := c.InboxWithResponse(ctx, nil)
	if err != nil || inbox.JSON200 == nil {
		log.Fatalf("the inbox: %v", err)
	}
	for _, r := range inbox.JSON200.Referrals {
		fmt.Println(r.Reference, r.Status)
	}
}
