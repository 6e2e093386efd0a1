package http

import (
	"net/http"
	"strconv"
	"testing"
)

// TestPasswordChangeWithFieldsAtFaultCountsNoAttempt_AUTH5: a password
// change whose body has a value of the wrong type was refused with 422,
// but only after its current password had been checked and, when wrong,
// counted against the account (R-AUTH-5), so five such bodies locked the
// account out of a right change and of sign-in. A body with fields at
// fault is refused before anything is counted, as at sign-in. (The key
// the change does not take is named by the object holding it, the body,
// never by itself: R-PRIV-7.)
func TestPasswordChangeWithFieldsAtFaultCountsNoAttempt_AUTH5(t *testing.T) {
	n := newNetwork(t)
	path := "/v1/users/me/password"
	for i := range 5 {
		refusedWhole(t, n.testAPI, http.MethodPut, path, n.AdviserA.Token, map[string]any{
			"current_password": "Wr0ng-Guess#" + strconv.Itoa(i), "new_password": "Fresh-Heron#2027", "colour": 2027}, "body")
	}
	want(t, n.signInAttempt(t, "adviser.a", testUserPassword), http.StatusCreated)
	want(t, n.do(t, http.MethodPut, path, n.AdviserA.Token, map[string]string{
		"current_password": testUserPassword, "new_password": "Fresh-Heron#2027"}), http.StatusNoContent)
}

// TestWrongTypeInAListEntryNotAlsoMissing_LOCK1_LOCK11: an allow or deny
// entry whose user id was sent as a number was named twice in the 422: its
// user_id as not a string, and the entry itself as naming neither a user
// nor a team, though it named a user. An entry's value of the wrong type is
// now named alone, as a member of the body's top level is; an entry that
// breaks a rule of its own is still named.
func TestWrongTypeInAListEntryNotAlsoMissing_LOCK1_LOCK11(t *testing.T) {
	n := newLockNet(t)
	path := "/v1/clients/" + n.Client + "/lock-requests"
	refusedWhole(t, n.testAPI, http.MethodPost, path, n.TeamManager.Token, map[string]any{
		"responsible_user_id": n.AdviserB.ID, "reason": "a related member of staff",
		"allow": []any{map[string]any{"user_id": 5}, map[string]any{"team": "duty"}},
		"deny":  []any{map[string]any{"team": 7}}}, "allow[0].user_id", "deny[0].team")
	// An entry naming nothing is still refused as such, beside a type
	// error elsewhere.
	refusedWhole(t, n.testAPI, http.MethodPost, path, n.TeamManager.Token, map[string]any{
		"responsible_user_id": n.AdviserB.ID, "reason": "a related member of staff",
		"allow": []any{map[string]any{}}, "hide_notification": "yes"}, "allow[0]", "hide_notification")
}
