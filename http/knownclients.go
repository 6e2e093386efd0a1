package http

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/referral-ledger/ledger/domain"
)

// clientSearchBody is POST /v1/clients/search's body: a POST, so that the
// name and date of birth are never in a URL (and so never in an access
// log line).
type clientSearchBody struct {
	Name        string `json:"name"`
	DateOfBirth string `json:"date_of_birth"`
}

type knownReferralBody struct {
	ID        string        `json:"id"`
	Reference string        `json:"reference"`
	Status    domain.Status `json:"status"`
	MadeAt    string        `json:"made_at"`
}

type knownClientBody struct {
	ClientID  string              `json:"client_id"`
	Referrals []knownReferralBody `json:"referrals"`
}

type knownClientsBody struct {
	Clients []knownClientBody `json:"clients"`
}

// searchClients finds the clients the caller's organisation already
// referred, by name and date of birth after normalising case, spaces and
// accents (R-REF-14), with each one's referrals the organisation made or
// received (ids, references, statuses and dates only). Advisers and org
// leads only; a locked case is left out for those its lock keeps out, as in
// every list (R-LOCK-2); another organisation's clients and erased ones are
// never found. The answer holds no client data, so, like the lists, it is
// not an access to the case and is not entered in the access log. Errors:
// 403, 422 naming the field, 503 (key store).
func (s *Server) searchClients(c *gin.Context) {
	var body clientSearchBody
	_, ctx, ok := s.read(c, "", &body)
	if !ok {
		return
	}
	actor := currentUser(c).Actor()
	found, err := s.Service.KnownClients(ctx, actor, domain.ClientSearch{Name: body.Name, DateOfBirth: body.DateOfBirth},
		s.KnownClients, s.cases())
	if err != nil {
		writeError(c, err)
		return
	}
	now := s.Service.Now()
	out := knownClientsBody{Clients: make([]knownClientBody, 0, len(found))}
	for _, client := range found {
		ids, err := s.Clients.ReferralsOf(client)
		if err != nil {
			writeError(c, err)
			return
		}
		refs, err := s.Referrals.ClientReferrals(ids, actor.OrganisationID, s.lockVisible(actor, now), now)
		if err != nil {
			writeError(c, err)
			return
		}
		k := knownClientBody{ClientID: client.String(), Referrals: make([]knownReferralBody, len(refs))}
		for i, r := range refs {
			k.Referrals[i] = knownReferralBody{ID: r.ID.String(), Reference: r.Reference.String(), Status: r.Status,
				MadeAt: r.MadeAt.UTC().Format(time.RFC3339)}
		}
		out.Clients = append(out.Clients, k)
	}
	c.JSON(http.StatusOK, out)
}
