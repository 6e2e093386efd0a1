package ledger

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// Stream name prefixes. Stream names carry ids only, never client data; a
// username stream carries a hash of the name, not the name.
const (
	ReferralPrefix     = "referral-"
	OrganisationPrefix = "organisation-"
	UsernamePrefix     = "username-"
	OrgNamePrefix      = "orgname-"
	NetworkPrefix      = "network-"
)

// NetworkRolesStream is the one network-wide stream that orders removals
// of the coordinator role across organisations (R-AUTH-7).
const NetworkRolesStream = NetworkPrefix + "roles"

// ReferralStream is the stream of one referral's events.
func ReferralStream(id uuid.UUID) string { return ReferralPrefix + id.String() }

// OrganisationStream is the stream of one organisation's events, its users'
// included.
func OrganisationStream(id uuid.UUID) string { return OrganisationPrefix + id.String() }

// UsernameStream is the stream that reserves one username network-wide.
func UsernameStream(username string) string {
	sum := sha256.Sum256([]byte(domain.NormaliseUsername(username)))
	return UsernamePrefix + hex.EncodeToString(sum[:])
}

// OrganisationNameStream is the stream that reserves one organisation name
// network-wide, as NormaliseOrganisationName gives it (R-ORG-1).
func OrganisationNameStream(name string) string {
	sum := sha256.Sum256([]byte(domain.NormaliseOrganisationName(name)))
	return OrgNamePrefix + hex.EncodeToString(sum[:])
}

// ReferralIDFromStream returns the referral id of a referral stream.
func ReferralIDFromStream(stream string) (uuid.UUID, bool) {
	rest, ok := strings.CutPrefix(stream, ReferralPrefix)
	if !ok {
		return uuid.Nil, false
	}
	id, err := uuid.Parse(rest)
	return id, err == nil
}
