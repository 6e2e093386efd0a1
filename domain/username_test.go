package domain_test

import (
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestReserveUsername_AUTH1 covers R-AUTH-1: a username is unique across the
// network; a retried reservation for the same user records nothing.
func TestReserveUsername_AUTH1(t *testing.T) {
	reservedForAdviser := []domain.Event{
		&domain.UsernameReserved{UserID: receiverAdviser.UserID, OrganisationID: receiverOrgID},
	}
	tests := []struct {
		name  string
		state []domain.Event
		actor domain.Actor
		want  []domain.Event
		code  domain.Code
	}{
		{name: "OK", actor: receiverAdviser,
			want: []domain.Event{&domain.UsernameReserved{UserID: receiverAdviser.UserID, OrganisationID: receiverOrgID}}},
		{name: "OKRetrySameUserRecordsNothing", state: reservedForAdviser, actor: receiverAdviser},
		{name: "ErrTakenInAnotherOrganisation", state: reservedForAdviser, actor: referrerAdviser, code: domain.Conflict},
		{name: "ErrTakenInSameOrganisation", state: reservedForAdviser, actor: receiverColleague, code: domain.Conflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := when(domain.DecideReserveUsername(given(tt.state...).username(), tt.actor.UserID, tt.actor.OrganisationID))
			if tt.code != "" {
				got.thenError(t, tt.code, "username")
				return
			}
			got.then(t, tt.want...)
		})
	}

	t.Run("FirstReservationWins", func(t *testing.T) {
		u := given(append(reservedForAdviser,
			&domain.UsernameReserved{UserID: referrerAdviser.UserID, OrganisationID: referrerOrgID})...).username()
		want := domain.Username{Reserved: true, UserID: receiverAdviser.UserID, OrganisationID: receiverOrgID}
		if u != want {
			t.Fatalf("got %+v, want %+v", u, want)
		}
	})
}

// TestReleaseUsername_AUTH1: a reservation whose account was never
// recorded is given up by the user it was for, and the name can then be
// reserved again; a release for anyone else, or of a name not reserved,
// records nothing and changes nothing.
func TestReleaseUsername_AUTH1(t *testing.T) {
	reservedForAdviser := []domain.Event{
		&domain.UsernameReserved{UserID: receiverAdviser.UserID, OrganisationID: receiverOrgID},
	}
	when(domain.DecideReleaseUsername(given(reservedForAdviser...).username(), receiverAdviser.UserID)).
		then(t, &domain.UsernameReleased{UserID: receiverAdviser.UserID})
	when(domain.DecideReleaseUsername(given(reservedForAdviser...).username(), referrerAdviser.UserID)).then(t)
	when(domain.DecideReleaseUsername(given().username(), receiverAdviser.UserID)).then(t)

	released := append(reservedForAdviser, &domain.UsernameReleased{UserID: receiverAdviser.UserID})
	if u := given(released...).username(); u.Reserved {
		t.Fatalf("released name still reserved: %+v", u)
	}
	when(domain.DecideReserveUsername(given(released...).username(), referrerAdviser.UserID, referrerOrgID)).
		then(t, &domain.UsernameReserved{UserID: referrerAdviser.UserID, OrganisationID: referrerOrgID})
	again := append(released, &domain.UsernameReserved{UserID: referrerAdviser.UserID, OrganisationID: referrerOrgID},
		&domain.UsernameReleased{UserID: receiverAdviser.UserID})
	want := domain.Username{Reserved: true, UserID: referrerAdviser.UserID, OrganisationID: referrerOrgID}
	if u := given(again...).username(); u != want {
		t.Fatalf("a stale release undid another user's reservation: got %+v, want %+v", u, want)
	}
}

// TestNormaliseUsername_AUTH1 covers R-AUTH-1: usernames are unique whatever
// their case, so they are compared case-folded and trimmed.
func TestNormaliseUsername_AUTH1(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"Lower", "alice", "alice"},
		{"Upper", "ALICE", "alice"},
		{"Mixed", "Alice.Smith@Org", "alice.smith@org"},
		{"Trimmed", "  bob_1 \t", "bob_1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := domain.NormaliseUsername(tt.in); got != tt.want {
				t.Fatalf("NormaliseUsername(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	t.Run("AddUserRecordsNormalised", func(t *testing.T) {
		events, err := domain.DecideAddUser(given(receiverOrg()...).organisation(), receiverLead, domain.AddUser{
			UserID: id("user carol"), Username: "Carol.Jones", DisplayName: "Carol", Email: "carol@example.org",
			Roles: []domain.Role{domain.RoleAdviser}})
		if err != nil {
			t.Fatal(err)
		}
		if got := events[0].(*domain.OrganisationUserAdded).Username; got != "carol.jones" {
			t.Fatalf("username recorded as %q, want carol.jones", got)
		}
	})
}

// TestValidateUsername_AUTH1 covers R-AUTH-1's username form: 3 to 64
// characters of letters, digits and . _ - @.
func TestValidateUsername_AUTH1(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		ok       bool
	}{
		{"OKShortest", "abc", true},
		{"OKLongest", strings.Repeat("a", 64), true},
		{"OKPunctuation", "Alice.Smith_1-x@org", true},
		{"ErrTooShort", "ab", false},
		{"ErrEmpty", "", false},
		{"ErrTooLong", strings.Repeat("a", 65), false},
		{"ErrSpace", "alice smith", false},
		{"ErrSymbol", "alice!", false},
		{"ErrNonASCII", "élodie", false},
		{"ErrControl", "alice\n", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fe := domain.ValidateUsername("login", tt.in)
			if tt.ok {
				if fe != nil {
					t.Fatalf("ValidateUsername(%q) = %+v, want ok", tt.in, *fe)
				}
				return
			}
			if fe == nil {
				t.Fatalf("ValidateUsername(%q) accepted it", tt.in)
			}
			if fe.Field != "login" || fe.Message == "" {
				t.Fatalf("field error %+v: want field \"login\" and a message", *fe)
			}
		})
	}
}
