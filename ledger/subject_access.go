package ledger

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
)

// ClientReferrals lists a client's referrals, by id only.
type ClientReferrals interface {
	// ReferralsOf answers an error, never no referral, when the read
	// models cannot be read.
	ReferralsOf(client uuid.UUID) ([]uuid.UUID, error)
}

// SubjectAccessExport is everything the ledger holds about a client
// (R-PRIV-6): each referral's full history decrypted, the client's own
// stream (erasure requests, locks and earlier exports), then the messages
// passed on about them, and their access log: who read their data, when,
// under which grant and why.
type SubjectAccessExport struct {
	ExportID   uuid.UUID
	ClientID   uuid.UUID
	ExportedAt time.Time
	Erased     bool
	Referrals  []History
	Client     []HistoryEntry
	// AccessLog is every read of the client's data recorded before the
	// export, oldest first, the reasons given decrypted (shown erased
	// once the client is). The export's own reads, recorded as it is
	// made, are not in it: the next export and the access log show them.
	AccessLog []AccessEntry
}

// SubjectAccessGrant is the ground recorded in a client's access log for
// each read a subject access export makes (R-PRIV-6).
const SubjectAccessGrant = "subject_access"

// errLockRefusesExport refuses a subject access export of a locked case
// to a coordinator who is also helpdesk staff, whom a lock never lets in,
// and to one the lock's deny list names, which wins over everything
// (R-LOCK-2). Another coordinator answers. A lock that hides its
// notification refuses them as for a client that does not exist
// (R-LOCK-12).
var errLockRefusesExport = domain.Errorf(domain.Forbidden,
	"this locked case is closed to you: another coordinator must answer this subject access request")

// SubjectAccess exports everything held about a client for the
// coordinator, and records the export as an event on the client's stream
// before reading, so no export goes unrecorded. The export holds the
// client's access log as recorded before it, the reasons given opened
// with the client's key. While the client's case is
// locked a reason must be given: each read is logged as a locked read with
// it (R-LOCK-9), and the responsible person is told of the export by the
// notifier, which sees the export recorded on the locked client's stream.
// The export holds everything a read of the case would, so while the case
// is locked a coordinator who is also helpdesk staff, or whom its deny
// list names, is refused it.
// Errors: Forbidden (not the coordinator, or helpdesk staff or denied on a
// locked case), NotFound
// (no referral names the client, or a hidden lock refuses them), Invalid (reason: missing on a locked case, or too long).
func (s *Service) SubjectAccess(ctx context.Context, actor domain.Actor, client uuid.UUID, reason string, referrals ClientReferrals) (SubjectAccessExport, error) {
	if !actor.Has(domain.RoleCoordinator) {
		return SubjectAccessExport{}, domain.Errorf(domain.Forbidden, "only the coordinator answers subject access requests")
	}
	ids, err := referralsOf(referrals, client)
	if err != nil {
		return SubjectAccessExport{}, err
	}
	if len(ids) == 0 {
		return SubjectAccessExport{}, domain.Errorf(domain.NotFound, "no such client")
	}
	out := SubjectAccessExport{ExportID: s.newID(ctx), ClientID: client, ExportedAt: s.Now()}
	c, _, err := execute(ctx, s, actor, ClientStream(client), domain.EvolveClient,
		func(c domain.ClientRecord) ([]domain.Event, error) {
			if err := subjectAccessRefusal(actor, c, reason); err != nil {
				return nil, err
			}
			return []domain.Event{&domain.ClientSubjectAccessExported{ExportID: out.ExportID}}, nil
		})
	if err != nil {
		return SubjectAccessExport{}, err
	}
	// The access log as it stood when the export was recorded, before
	// the export's own reads below are added to it.
	if out.AccessLog, err = s.accessEntries(ctx, client, c); err != nil {
		return SubjectAccessExport{}, err
	}
	// The lock as it stood when the export was recorded, just before.
	locked := c.Lock.Status == domain.LockLocked
	for _, id := range ids {
		// A subject access request is answered whatever locks say; every
		// read is still logged (R-LOCK-9).
		h, current, err := s.referralHistory(ctx, id, HistoryPoint{})
		if err != nil {
			return SubjectAccessExport{}, err
		}
		if err := s.recordAccessBecause(ctx, actor, client, current.ID, SubjectAccessGrant, locked, reason); err != nil {
			return SubjectAccessExport{}, err
		}
		out.Erased = out.Erased || h.State.Erased
		out.Referrals = append(out.Referrals, h)
	}
	stored, err := s.readStream(ctx, ClientStream(client))
	if err != nil {
		return SubjectAccessExport{}, err
	}
	// Messages passed on about the client are held about them too.
	messages, err := s.readStream(ctx, MessagesStream(client))
	if err != nil {
		return SubjectAccessExport{}, err
	}
	for _, ev := range append(stored, messages...) {
		d, err := s.codec.Decode(ctx, ev)
		if err != nil {
			return SubjectAccessExport{}, err
		}
		if _, ok := d.Event.(*domain.ClientErased); ok {
			out.Erased = true
		}
		out.Client = append(out.Client, HistoryEntry{Stored: ev, Decoded: d})
	}
	return out, nil
}

// readStream reads a whole stream.
func (s *Service) readStream(ctx context.Context, stream string) ([]eventstore.RecordedEvent, error) {
	evs, err := s.store.ReadStream(ctx, stream, 0, 0)
	if err != nil {
		return nil, storeError(err)
	}
	return evs, nil
}

// CheckSubjectAccess answers whether SubjectAccess would export, with its
// errors, but exports nothing and records nothing: no export on the
// client's stream, no read in the access log, so nobody is told of one.
// It answers a HEAD of the export, which asks about the export without
// receiving it (R-PRIV-6).
func (s *Service) CheckSubjectAccess(ctx context.Context, actor domain.Actor, client uuid.UUID, reason string, referrals ClientReferrals) error {
	if !actor.Has(domain.RoleCoordinator) {
		return domain.Errorf(domain.Forbidden, "only the coordinator answers subject access requests")
	}
	ids, err := referralsOf(referrals, client)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return domain.Errorf(domain.NotFound, "no such client")
	}
	c, err := s.clientRecord(ctx, client)
	if err != nil {
		return err
	}
	return subjectAccessRefusal(actor, c, reason)
}

// subjectAccessRefusal is why the client c's case refuses actor a subject
// access export with reason, or nil.
func subjectAccessRefusal(actor domain.Actor, c domain.ClientRecord, reason string) error {
	if c.Lock.Status == domain.LockLocked && c.Lock.Refuses(actor) {
		if c.Lock.HideNotification {
			// A hidden lock tells them nothing (R-LOCK-12).
			return errNoClient
		}
		return errLockRefusesExport
	}
	return domain.CheckLockedReadReason(reason, c.Lock.Status == domain.LockLocked)
}
