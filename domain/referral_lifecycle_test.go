package domain_test

import (
	"strings"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/domain"
)

// Referral streams ending each way, and the decisions on them.

func declinedRef() []domain.Event {
	return append(madeRef(false), by(receiverAdviser,
		&domain.ReferralDeclined{ClientID: clientID, ReasonCode: domain.DeclineNoCapacity, Comment: "Full"}))
}

func forwardedRef() []domain.Event {
	return append(ackedRef(), by(receiverAdviser,
		&domain.ReferralForwarded{ClientID: clientID, ForwardedTo: id("next"), ToOrganisationID: thirdOrgID, Comment: "Better placed"}))
}

func withdrawnRef() []domain.Event {
	return append(madeRef(false), by(referrerAdviser, &domain.ReferralWithdrawn{ClientID: clientID, Reason: "Moved"}))
}

// endedRefs are the referrals no action but reopening applies to.
var endedRefs = map[string]func() []domain.Event{
	"Closed": closedRef, "Declined": declinedRef, "Forwarded": forwardedRef, "Withdrawn": withdrawnRef,
}

// receiverOutsiders are actors who do not work the receiver's cases (an
// org lead does: Actor.Caseworker).
var receiverOutsiders = map[string]domain.Actor{
	"ReferrerAdviser": referrerAdviser, "ReceiverAuditor": receiverAuditor,
	"ReceiverHelpdesk": receiverHelpdesk, "ThirdAdviser": thirdAdviser, "Coordinator": coordinator,
}

func thirdOrg(extra ...domain.Event) domain.Organisation {
	return given(append([]domain.Event{registered(thirdOrgID, "Third Advice"), userAdded(thirdAdviser)}, extra...)...).organisation()
}

func forwardCmd() domain.ForwardReferral {
	return domain.ForwardReferral{NewReferralID: id("next"), ToOrganisationID: thirdOrgID, Comment: "Better placed",
		Consent: &domain.Consent{Method: domain.ConsentVerbal, Confirmed: true}}
}

// TestDecline_REF9: the receiver's caseworkers decline an open referral
// (made or acknowledged) with a reason code and a comment; nobody else may;
// declining a closed (or otherwise ended) referral is a Conflict (409).
func TestDecline_REF9(t *testing.T) {
	for name, h := range map[string][]domain.Event{"Made": madeRef(false), "Acknowledged": ackedRef()} {
		t.Run(name, func(t *testing.T) {
			for _, code := range domain.DeclineReasonCodes() {
				when(domain.DecideDecline(given(h...).referral(), receiverColleague, code, "We cannot help")).
					then(t, &domain.ReferralDeclined{ClientID: clientID, ReasonCode: code, Comment: "We cannot help"})
			}
		})
	}
	for name, a := range receiverOutsiders {
		t.Run("ErrForbidden"+name, func(t *testing.T) {
			when(domain.DecideDecline(given(madeRef(false)...).referral(), a, domain.DeclineOther, "x")).thenError(t, domain.Forbidden)
		})
	}
	t.Run("ErrNotFound", func(t *testing.T) {
		when(domain.DecideDecline(domain.Referral{}, receiverAdviser, domain.DeclineOther, "x")).thenError(t, domain.NotFound)
	})
	for name, h := range endedRefs {
		t.Run("ErrConflict"+name, func(t *testing.T) {
			when(domain.DecideDecline(given(h()...).referral(), receiverAdviser, domain.DeclineOther, "x")).thenError(t, domain.Conflict)
		})
	}
	t.Run("ErrConflictClosedSaysClosed", func(t *testing.T) {
		when(domain.DecideDecline(given(closedRef()...).referral(), receiverAdviser, domain.DeclineOther, "x")).
			thenErrorSays(t, domain.Conflict, "closed")
	})
	t.Run("ErrInvalidReasonCodeAndComment", func(t *testing.T) {
		when(domain.DecideDecline(given(madeRef(false)...).referral(), receiverAdviser, "busy", "")).
			thenError(t, domain.Invalid, "reason_code", "comment")
	})
	t.Run("ErasedDeclinesWithoutComment", func(t *testing.T) {
		r := given(madeRef(false)...).referral()
		r.Erased = true
		when(domain.DecideDecline(r, receiverAdviser, domain.DeclineCannotContact, "")).
			then(t, &domain.ReferralDeclined{ClientID: clientID, ReasonCode: domain.DeclineCannotContact})
		when(domain.DecideDecline(r, receiverAdviser, domain.DeclineCannotContact, "text")).thenError(t, domain.Conflict)
	})
}

// TestForward_REF10: the receiver's caseworkers pass an open referral on to
// an organisation accepting referrals, with consent or a safeguarding
// override exactly as for making one (R-REF-2); the new referral names the
// same client, carries the original's client data and reason, links back,
// and starts afresh.
func TestForward_REF10(t *testing.T) {
	original := given(ackedRef()...).referral()
	m := made(true)
	wantMade := func(c domain.ForwardReferral) *domain.ReferralMade {
		return &domain.ReferralMade{ReferralID: c.NewReferralID, FromOrganisationID: receiverOrgID, ToOrganisationID: thirdOrgID,
			ClientID: clientID, Urgent: true, Client: m.Client, Reason: m.Reason, Consent: c.Consent,
			SafeguardingOverride: c.SafeguardingOverride, SharedWithoutConsent: c.SafeguardingOverride != nil,
			PrivacyNoticeGiven: true, ForwardedFrom: referralID, ForwardComment: c.Comment}
	}
	t.Run("WithConsent", func(t *testing.T) {
		c := forwardCmd()
		when(domain.DecideForward(original, receiverColleague, thirdOrg(), c, now)).then(t,
			&domain.ReferralForwarded{ClientID: clientID, ForwardedTo: c.NewReferralID, ToOrganisationID: thirdOrgID, Comment: c.Comment},
			wantMade(c))
	})
	t.Run("WithSafeguardingOverride_REF2", func(t *testing.T) {
		c := forwardCmd()
		c.Consent, c.SafeguardingOverride = nil, &domain.SafeguardingOverride{Reason: "Risk of significant harm"}
		when(domain.DecideForward(given(madeRef(true)...).referral(), receiverAdviser, thirdOrg(), c, now)).then(t,
			&domain.ReferralForwarded{ClientID: clientID, ForwardedTo: c.NewReferralID, ToOrganisationID: thirdOrgID, Comment: c.Comment},
			wantMade(c))
	})
	t.Run("UrgencyDeclinedIsNotUrgent", func(t *testing.T) {
		r := given(append(ackedRef(), by(receiverAdviser, &domain.ReferralUrgencyDeclined{Feedback: "no"}))...).referral()
		evs, err := domain.DecideForward(r, receiverAdviser, thirdOrg(), forwardCmd(), now)
		if err != nil || evs[1].(*domain.ReferralMade).Urgent {
			t.Fatalf("forwarded a no-longer-urgent referral as urgent: %v %v", evs, err)
		}
	})
	consentCases := map[string]struct {
		consent  *domain.Consent
		override *domain.SafeguardingOverride
		fields   []string
	}{
		"ErrNoConsent":           {fields: []string{"consent"}},
		"ErrConsentNotConfirmed": {consent: &domain.Consent{Method: domain.ConsentWritten}, fields: []string{"consent.confirmed"}},
		"ErrConsentMethod":       {consent: &domain.Consent{Method: "email", Confirmed: true}, fields: []string{"consent.method"}},
		"ErrBoth": {consent: &domain.Consent{Method: domain.ConsentWritten, Confirmed: true},
			override: &domain.SafeguardingOverride{Reason: "r"}, fields: []string{"safeguarding_override"}},
		"ErrOverrideWithoutReason": {override: &domain.SafeguardingOverride{}, fields: []string{"safeguarding_override.reason"}},
	}
	for name, cc := range consentCases {
		t.Run(name+"_REF2", func(t *testing.T) {
			c := forwardCmd()
			c.Consent, c.SafeguardingOverride = cc.consent, cc.override
			when(domain.DecideForward(original, receiverAdviser, thirdOrg(), c, now)).thenError(t, domain.Invalid, cc.fields...)
		})
	}
	t.Run("ErrIntakeOffNamesIt_REF4", func(t *testing.T) {
		off := thirdOrg(&domain.OrganisationIntakeSwitchedOff{Reason: "Staff shortage"})
		o := when(domain.DecideForward(original, receiverAdviser, off, forwardCmd(), now))
		o.thenError(t, domain.Invalid, "to_organisation_id")
		if msg := domain.ErrorFields(o.err)[0].Message; msg != "Third Advice is not accepting referrals: its intake is switched off" {
			t.Errorf("message %q", msg)
		}
	})
	t.Run("ErrOwnOrganisation", func(t *testing.T) {
		c := forwardCmd()
		c.ToOrganisationID = receiverOrgID
		when(domain.DecideForward(original, receiverAdviser, given(receiverOrg()...).organisation(), c, now)).
			thenError(t, domain.Invalid, "to_organisation_id")
	})
	t.Run("ErrUnknownOrganisationAndNoComment", func(t *testing.T) {
		c := forwardCmd()
		c.Comment = ""
		when(domain.DecideForward(original, receiverAdviser, domain.Organisation{}, c, now)).
			thenError(t, domain.Invalid, "to_organisation_id", "comment")
	})
	for name, a := range receiverOutsiders {
		t.Run("ErrForbidden"+name, func(t *testing.T) {
			when(domain.DecideForward(original, a, thirdOrg(), forwardCmd(), now)).thenError(t, domain.Forbidden)
		})
	}
	for name, h := range endedRefs {
		t.Run("ErrConflict"+name, func(t *testing.T) {
			when(domain.DecideForward(given(h()...).referral(), receiverAdviser, thirdOrg(), forwardCmd(), now)).thenError(t, domain.Conflict)
		})
	}
	t.Run("ErrConflictErased", func(t *testing.T) {
		r := original
		r.Erased = true
		when(domain.DecideForward(r, receiverAdviser, thirdOrg(), forwardCmd(), now)).thenError(t, domain.Conflict)
	})
}

// TestWithdraw_REF11: the referrer's caseworkers withdraw an open referral
// with a reason; the receiver may not; an ended referral is a Conflict.
func TestWithdraw_REF11(t *testing.T) {
	for name, h := range map[string][]domain.Event{"Made": madeRef(false), "Acknowledged": ackedRef()} {
		t.Run(name, func(t *testing.T) {
			when(domain.DecideWithdraw(given(h...).referral(), referrerAdviser, "Client moved away")).
				then(t, &domain.ReferralWithdrawn{ClientID: clientID, Reason: "Client moved away"})
		})
	}
	for name, a := range map[string]domain.Actor{"ReceiverAdviser": receiverAdviser, "ReceiverLead": receiverLead,
		"ThirdAdviser": thirdAdviser, "Coordinator": coordinator} {
		t.Run("ErrForbidden"+name, func(t *testing.T) {
			when(domain.DecideWithdraw(given(madeRef(false)...).referral(), a, "x")).thenError(t, domain.Forbidden)
		})
	}
	for name, h := range endedRefs {
		t.Run("ErrConflict"+name, func(t *testing.T) {
			when(domain.DecideWithdraw(given(h()...).referral(), referrerAdviser, "x")).thenError(t, domain.Conflict)
		})
	}
	t.Run("ErrNotFound", func(t *testing.T) {
		when(domain.DecideWithdraw(domain.Referral{}, referrerAdviser, "x")).thenError(t, domain.NotFound)
	})
	t.Run("ErrInvalidNoReason", func(t *testing.T) {
		when(domain.DecideWithdraw(given(madeRef(false)...).referral(), referrerAdviser, " ")).thenError(t, domain.Invalid, "reason")
	})
}

// TestReopen_REF12: the receiver's caseworkers reopen a referral they closed
// or declined, within the period (counted in days from the London day it
// ended, that last day included), with a reason; after the period it is a
// Conflict naming the period; other statuses are a Conflict.
func TestReopen_REF12(t *testing.T) {
	// closedRef and declinedRef end on 9 June 2025 (London).
	for name, h := range map[string][]domain.Event{"Closed": closedRef(), "Declined": declinedRef()} {
		t.Run(name, func(t *testing.T) {
			r := given(h...).referral()
			when(domain.DecideReopen(r, receiverColleague, "Client came back", 30, now)).
				then(t, &domain.ReferralReopened{ClientID: clientID, Reason: "Client came back"})
			lastDay := time.Date(2025, time.July, 9, 22, 30, 0, 0, time.UTC) // 23:30 on 9 July in London
			when(domain.DecideReopen(r, receiverColleague, "Client came back", 30, lastDay)).
				then(t, &domain.ReferralReopened{ClientID: clientID, Reason: "Client came back"})
			when(domain.DecideReopen(r, receiverColleague, "Client came back", 30, lastDay.Add(time.Hour))).
				thenErrorSays(t, domain.Conflict, "within 30 days")
			when(domain.DecideReopen(r, receiverColleague, "Client came back", 7, now.AddDate(0, 0, 8))).
				thenErrorSays(t, domain.Conflict, "that period ended on 2025-06-16")
		})
	}
	for _, name := range []string{"Forwarded", "Withdrawn"} {
		t.Run("ErrConflict"+name, func(t *testing.T) {
			when(domain.DecideReopen(given(endedRefs[name]()...).referral(), receiverAdviser, "x", 30, now)).thenError(t, domain.Conflict)
		})
	}
	for name, h := range map[string][]domain.Event{"Made": madeRef(false), "Acknowledged": ackedRef()} {
		t.Run("ErrConflictOpen"+name, func(t *testing.T) {
			when(domain.DecideReopen(given(h...).referral(), receiverAdviser, "x", 30, now)).thenError(t, domain.Conflict)
		})
	}
	for name, a := range receiverOutsiders {
		t.Run("ErrForbidden"+name, func(t *testing.T) {
			when(domain.DecideReopen(given(closedRef()...).referral(), a, "x", 30, now)).thenError(t, domain.Forbidden)
		})
	}
	t.Run("ErrInvalidNoReason", func(t *testing.T) {
		when(domain.DecideReopen(given(closedRef()...).referral(), receiverAdviser, "", 30, now)).thenError(t, domain.Invalid, "reason")
	})
	t.Run("ErrConflictErased", func(t *testing.T) {
		r := given(closedRef()...).referral()
		r.Erased = true
		when(domain.DecideReopen(r, receiverAdviser, "x", 30, now)).thenError(t, domain.Conflict)
	})
	t.Run("ReopenedActsAgain", func(t *testing.T) {
		r := given(append(closedRef(), by(receiverAdviser, &domain.ReferralReopened{ClientID: clientID, Reason: "back"}))...).referral()
		when(domain.DecideClose(r, receiverAdviser, domain.OutcomePositive, "Seen")).
			then(t, &domain.ReferralClosed{ClientID: clientID, Outcome: domain.OutcomePositive, Comment: "Seen"})
	})
}

// TestEndedRefusesEveryAction_REF9_REF10_REF11: nothing more is done to a
// declined, forwarded or withdrawn referral (as to a closed one).
func TestEndedRefusesEveryAction_REF9_REF10_REF11(t *testing.T) {
	for name, h := range endedRefs {
		r := given(h()...).referral()
		for _, action := range receiverActions {
			t.Run(name+action.name, func(t *testing.T) {
				when(action.decide(r, receiverAdviser)).thenError(t, domain.Conflict)
			})
		}
		t.Run(name+"AddNote", func(t *testing.T) {
			when(domain.DecideAddNote(r, referrerAdviser, domain.AddNote{Text: "x"}, now)).thenError(t, domain.Conflict)
		})
	}
}

// TestEndedRefusalSaysWhetherItCanBeReopened_REF12: an action refused on a
// closed or declined referral says its receiver may reopen it, as they may
// (R-REF-12); on a forwarded or withdrawn one, that nothing more can be
// done, as nothing can.
func TestEndedRefusalSaysWhetherItCanBeReopened_REF12(t *testing.T) {
	for name, h := range endedRefs {
		r := given(h()...).referral()
		t.Run(name, func(t *testing.T) {
			o := when(domain.DecideClose(r, receiverAdviser, domain.OutcomePositive, "Seen"))
			o.thenError(t, domain.Conflict)
			reopenable := !r.Status.Final()
			if says := strings.Contains(domain.ErrorMessage(o.err), "reopen"); says != reopenable {
				t.Errorf("%s: refusal %q; speaks of reopening: %v, want %v", name, domain.ErrorMessage(o.err), says, reopenable)
			}
		})
	}
}
