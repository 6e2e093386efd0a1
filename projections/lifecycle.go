package projections

import (
	"time"

	"github.com/google/uuid"
)

// Summary returns one referral as the lists show it, and false for an id
// the read model does not hold. It applies no access rule: the caller
// decides who may see it (the forward chain of R-REF-10 shows each link
// only to those who may see that referral). Errors: ErrUnreadable.
func (p *Referrals) Summary(id uuid.UUID, now time.Time) (ReferralSummary, bool, error) {
	e, err := p.get(id)
	if err != nil || e == nil {
		return ReferralSummary{}, false, err
	}
	return p.summary(e, now), true, nil
}
