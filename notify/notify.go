// Package notify sends the ledger's email notices (R-NOTE-1..3): a new
// referral to the receiver's administrative contact, acknowledgement and
// closure to the referrer, a daily overdue digest to each organisation and
// the coordinators, and a reminder to org leads when intake has been off
// for a configured number of days (R-ORG-2).
//
// A Notifier derives notices from the event store through its own
// subscription, decoding with the public codec: it never decrypts, so no
// client data can reach a notice, a log line or its database (R-NOTE-2,
// R-PRIV-7). Each notice has a deterministic id and is written to an outbox
// in the same SQLite transaction that advances the notifier's checkpoint,
// so a restart neither loses nor re-enqueues a notice; a delivery loop
// sends due notices, marks them sent and retries failures with exponential
// backoff (R-NOTE-3: at least once, and a restart repeats at most the one
// notice in flight).
//
// Several nodes deriving notices from one shared log (nodes on KurrentDB
// sharing PostgreSQL) each derive every notice, but send only while they
// hold the Turn (notify/postgres: an advisory lock), so each notice goes
// out once; a node taking the turn over skips the notices the previous
// holder recorded as sent (R-OPS-2).
package notify

import (
	"context"
	"strings"

	"github.com/rs/zerolog"
)

// Kind names what a notice is about. Kinds are stable strings: they are
// stored in the outbox and appear in logs.
type Kind string

// The notice kinds (R-NOTE-1, R-ORG-2).
const (
	KindNewReferral       Kind = "new_referral"
	KindAcknowledged      Kind = "referral_acknowledged"
	KindClosed            Kind = "referral_closed"
	KindDeclined          Kind = "referral_declined"  // to the referrer (R-REF-9)
	KindForwarded         Kind = "referral_forwarded" // to the referrer (R-REF-10)
	KindWithdrawn         Kind = "referral_withdrawn" // to the receiver (R-REF-11)
	KindOverdueDigest     Kind = "overdue_digest"
	KindIntakeOffReminder Kind = "intake_off_reminder"
	KindLockedCaseMessage Kind = "locked_case_message"
	// KindLockedCaseSubjectAccess tells a locked case's responsible person
	// that the coordinator exported the client's data (R-PRIV-6, R-LOCK-9).
	KindLockedCaseSubjectAccess Kind = "locked_case_subject_access"
	// KindSecondFactorReset tells a user that their second factor was
	// reset (issue 17), so a reset they did not ask for is noticed.
	KindSecondFactorReset Kind = "second_factor_reset"
	// KindPasswordSet tells a user that someone else (their organisation's
	// lead, the coordinator, an operator) set them a one-time password
	// (R-AUTH-6), so a change they did not ask for is noticed. The
	// password is never in it.
	KindPasswordSet Kind = "password_set"
	// KindReopened tells the referrer that the receiver took up again a
	// referral it had closed or declined (R-REF-12): one declined before
	// acknowledgement is acknowledged by reopening it (R-REF-8).
	KindReopened Kind = "referral_reopened"
	// KindUrgencyDeclined tells the referrer that the receiver reviewed
	// their urgent referral and does not take it on as urgent, so it
	// follows the normal timescales (R-REF-7); the feedback stays in the
	// ledger.
	KindUrgencyDeclined Kind = "referral_urgency_declined"
)

// Message is one email notice ready to send. It carries a reference and a
// link, never client data (R-NOTE-2).
type Message struct {
	// ID is the notice's deterministic id: the same notice always gets the
	// same id, which also becomes its Message-ID, so a resend after a crash
	// can be recognised by the recipient's mail system.
	ID        string
	Kind      Kind
	Reference string // e.g. "R-1A2B3C4D" or "overdue 2026-03-02"
	To        string // a staff mailbox
	Subject   string
	Body      string // plain text
	Link      string // the main link of the body
}

// Sender delivers a message. Send returns nil only once the message has
// been handed over for delivery; any error means it may be retried.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// LogSender writes notices to the log instead of sending them, for a node
// without an SMTP server. It logs the notice's id, kind, reference, link
// and the recipient's domain only: the full address and the body stay out
// of the log, which keeps log lines minimal (R-PRIV-7).
type LogSender struct {
	Log zerolog.Logger
}

// Send implements Sender; it never fails.
func (s LogSender) Send(_ context.Context, m Message) error {
	s.Log.Info().Str("notice_id", m.ID).Str("kind", string(m.Kind)).Str("reference", m.Reference).
		Str("to_domain", domainOf(m.To)).Str("link", m.Link).
		Msg("email notice logged, not sent: smtp.host is not set")
	return nil
}

// domainOf returns the part of an address after the last @, or "".
func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.TrimSuffix(addr[i+1:], ">")
	}
	return ""
}
