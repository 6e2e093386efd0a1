package domain_test

import (
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// TestWithdrawLockRequest_LOCK1_LOCK10: a lock request still awaiting a
// decision can be taken back by the team manager who made it, or another
// team manager of the organisation it belongs to; nobody else, never
// anyone of another organisation (who learns nothing of it), and not once
// it is decided. The case is then as if never asked about: free for a new
// request.
func TestWithdrawLockRequest_LOCK1_LOCK10(t *testing.T) {
	pending := given(by(ownerTM, lockRequested(false)))
	withdrawn := &domain.LockRequestWithdrawn{RequestID: lockRequestID, ClientID: clientID, Reason: "asked in error"}
	otherOwnerTM := actor("another owner team manager", receiverOrgID, domain.RoleTeamManager)
	t.Run("OK/requester", func(t *testing.T) {
		when(domain.DecideWithdrawLockRequest(pending.client(), ownerTM, lockRequestID, "asked in error")).then(t, withdrawn)
	})
	t.Run("OK/another team manager of the organisation", func(t *testing.T) {
		when(domain.DecideWithdrawLockRequest(pending.client(), otherOwnerTM, lockRequestID, "asked in error")).then(t, withdrawn)
	})
	t.Run("ErrServiceManager", func(t *testing.T) {
		when(domain.DecideWithdrawLockRequest(pending.client(), ownerSM, lockRequestID, "no")).thenError(t, domain.Forbidden)
	})
	t.Run("ErrAdviser", func(t *testing.T) {
		when(domain.DecideWithdrawLockRequest(pending.client(), receiverAdviser, lockRequestID, "no")).thenError(t, domain.Forbidden)
	})
	t.Run("ErrOtherOrganisation", func(t *testing.T) {
		when(domain.DecideWithdrawLockRequest(pending.client(), otherTM, lockRequestID, "no")).thenError(t, domain.NotFound)
	})
	t.Run("ErrHelpdesk", func(t *testing.T) {
		helpdesk := actor("owner helpdesk team manager", receiverOrgID, domain.RoleTeamManager, domain.RoleHelpdesk)
		when(domain.DecideWithdrawLockRequest(pending.client(), helpdesk, lockRequestID, "no")).thenError(t, domain.Forbidden)
	})
	t.Run("ErrDenied", func(t *testing.T) {
		h := given(by(ownerTM, lockRequested(false, domain.Party{UserID: otherOwnerTM.UserID})))
		when(domain.DecideWithdrawLockRequest(h.client(), otherOwnerTM, lockRequestID, "no")).thenError(t, domain.Forbidden)
	})
	t.Run("ErrNoReason", func(t *testing.T) {
		when(domain.DecideWithdrawLockRequest(pending.client(), ownerTM, lockRequestID, " ")).thenError(t, domain.Invalid, "reason")
	})
	t.Run("ErrOtherRequest", func(t *testing.T) {
		when(domain.DecideWithdrawLockRequest(pending.client(), ownerTM, unlockRequestID, "no")).thenError(t, domain.NotFound)
	})
	t.Run("ErrDecided", func(t *testing.T) {
		h := given(lockedBy(ownerTM, false)...)
		when(domain.DecideWithdrawLockRequest(h.client(), ownerTM, lockRequestID, "no")).thenError(t, domain.NotFound)
	})
	t.Run("ErrWithdrawnTwice", func(t *testing.T) {
		h := given(by(ownerTM, lockRequested(false)), by(ownerTM, withdrawn))
		when(domain.DecideWithdrawLockRequest(h.client(), ownerTM, lockRequestID, "again")).thenError(t, domain.NotFound)
	})
	t.Run("withdrawn leaves no lock, and a new request may be made", func(t *testing.T) {
		c := given(by(ownerTM, lockRequested(false)), by(ownerTM, withdrawn)).client()
		if c.Lock.Status != domain.LockNone || c.Lock.RequestID != [16]byte{} {
			t.Fatalf("lock after withdrawal = %+v, want none", c.Lock)
		}
		when(domain.DecideLock(c, ownerSM, lockRequestID, true, "", staffOf(receiverAdviser))).thenError(t, domain.NotFound)
		_, err := domain.DecideRequestLock(c, ownerTM, domain.RequestLock{RequestID: id("second"), ClientID: clientID,
			ResponsibleUserID: receiverAdviser.UserID, Responsible: staffOf(receiverAdviser), Reason: "asked again"})
		if err != nil {
			t.Fatalf("a new request after withdrawal: %v", err)
		}
	})
}

// TestWithdrawUnlockRequest_LOCK6_LOCK10: an unlock request still
// awaiting a decision can be taken back the same way; the lock stays in
// force, and the withdrawn request can no longer be decided.
func TestWithdrawUnlockRequest_LOCK6_LOCK10(t *testing.T) {
	asked := given(append(lockedBy(ownerTM, false), unlockAskedBy(ownerTM))...)
	withdrawn := &domain.LockRequestWithdrawn{RequestID: unlockRequestID, ClientID: clientID, Reason: "still needed"}
	t.Run("OK", func(t *testing.T) {
		when(domain.DecideWithdrawLockRequest(asked.client(), ownerTM, unlockRequestID, "still needed")).then(t, withdrawn)
	})
	t.Run("ErrLockRequestOfLockedCase", func(t *testing.T) {
		when(domain.DecideWithdrawLockRequest(asked.client(), ownerTM, lockRequestID, "no")).thenError(t, domain.NotFound)
	})
	t.Run("ErrServiceManager", func(t *testing.T) {
		when(domain.DecideWithdrawLockRequest(asked.client(), ownerSM, unlockRequestID, "no")).thenError(t, domain.Forbidden)
	})
	t.Run("lock stays in force", func(t *testing.T) {
		events := append(lockedBy(ownerTM, false), unlockAskedBy(ownerTM), by(ownerTM, withdrawn))
		l := given(events...).client().Lock
		if l.Status != domain.LockLocked || l.UnlockRequestID != [16]byte{} || l.RequestID != lockRequestID {
			t.Fatalf("lock after the unlock request's withdrawal = %+v, want locked with none pending", l)
		}
		when(domain.DecideUnlock(given(events...).client(), ownerSM, unlockRequestID, true, "")).thenError(t, domain.NotFound)
		if _, _, ok := l.AwaitsDecisionBy(ownerSM); ok {
			t.Fatal("the withdrawn unlock request still awaits a decision")
		}
	})
}
