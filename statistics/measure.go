// Package statistics holds the anonymised statistics of the referral
// network (R-STAT-1..4): the row model, statistical disclosure control
// (R-STAT-3) and rendering as JSON and CSV (R-STAT-4).
//
// It knows organisations by id and name, months, counts and small integers
// of working days, nothing else: whatever feeds it (projections.Statistics)
// has no client data to give (R-STAT-2). It uses only the standard library.
//
// A Table is the raw, exact data of a period: one Cell of counts and
// samples per organisation and month. Publish applies a Rule to it and
// returns a Report, which is what may leave the system.
package statistics

// Measure is one count in a row of statistics. The measures are columns,
// in the order Measures lists them; JSON and CSV name them by String.
//
// Made counts referrals the organisation made (as referrer); every other
// referral measure describes referrals the organisation received (as
// receiver) and how it dealt with them. ErasureRequests counts requests the
// organisation passed on, and the lock measures the requests to lock a
// case its managers made, by what became of them (R-LOCK-7). Each referral
// counts in the month it was made, whenever it was acknowledged or closed;
// an erasure or lock request counts in the month it was made. Overdue, the
// lock statuses and the referral statuses (declined by reason, forwarded,
// withdrawn; closed, by outcome) are as of the time of the report: a
// referral declined and then reopened counts as reopened, not declined.
//
// LockedAtMonthEnd is a stock, not a count of things that happened in the
// month (Stock): the cases whose lock, owned by the organisation, was in
// force at the month's last instant (R-LOCK-7). A row or total over
// several months shows it at the end of the last of them, never a sum.
//
// New measures are appended before measureCount; a new exact relation
// between measures is listed in identities.
type Measure int

// The measures.
const (
	Made                        Measure = iota // referrals made, as referrer
	Received                                   // referrals received
	Urgent                                     // received that were made urgent, even if later declined as urgent
	UrgencyDeclined                            // received urgent, then declined as urgent (R-REF-7)
	OutcomePositive                            // received and closed as taken forward
	OutcomeNegative                            // received and closed as not taken forward
	AcknowledgedWithinTimescale                // acknowledged by the acknowledgement deadline
	AcknowledgedLate                           // acknowledged after it
	ClosedWithinTimescale                      // closed by the closing deadline (an agreed date replaces it)
	ClosedLate                                 // closed after it
	Overdue                                    // open and past its current deadline when the report is made
	ErasureRequests                            // client erasure requests the organisation passed on
	LockRequests                               // requests to lock a client's case
	LockRequestsPending                        // of those, still awaiting a decision
	LockedCases                                // of those, approved: the case was locked
	LockedCasesInForce                         // of those, still locked
	DeclinedNotEligible                        // received and declined: not eligible (R-REF-9)
	DeclinedNoCapacity                         // received and declined: no capacity
	DeclinedCannotContact                      // received and declined: cannot contact the client
	DeclinedDuplicate                          // received and declined: a duplicate
	DeclinedWrongService                       // received and declined: the wrong service
	DeclinedOther                              // received and declined: another reason
	Forwarded                                  // received and passed on to another organisation (R-REF-10)
	Withdrawn                                  // received, then withdrawn by the referrer (R-REF-11)
	Reopened                                   // received and reopened, once or more (R-REF-12)
	LockedAtMonthEnd                           // cases whose lock the organisation owns in force at the month's end (a stock)
	measureCount
)

var measureNames = [measureCount]string{
	Made:                        "made",
	Received:                    "received",
	Urgent:                      "urgent",
	UrgencyDeclined:             "urgency_declined",
	OutcomePositive:             "outcome_positive",
	OutcomeNegative:             "outcome_negative",
	AcknowledgedWithinTimescale: "acknowledged_within_timescale",
	AcknowledgedLate:            "acknowledged_late",
	ClosedWithinTimescale:       "closed_within_timescale",
	ClosedLate:                  "closed_late",
	Overdue:                     "overdue",
	ErasureRequests:             "erasure_requests",
	LockRequests:                "lock_requests",
	LockRequestsPending:         "lock_requests_pending",
	LockedCases:                 "locked_cases",
	LockedCasesInForce:          "locked_cases_in_force",
	DeclinedNotEligible:         "declined_not_eligible",
	DeclinedNoCapacity:          "declined_no_capacity",
	DeclinedCannotContact:       "declined_cannot_contact",
	DeclinedDuplicate:           "declined_duplicate",
	DeclinedWrongService:        "declined_wrong_service",
	DeclinedOther:               "declined_other",
	Forwarded:                   "forwarded",
	Withdrawn:                   "withdrawn",
	Reopened:                    "reopened",
	LockedAtMonthEnd:            "locked_at_month_end",
}

// Measures lists every measure in column order.
func Measures() []Measure {
	out := make([]Measure, measureCount)
	for i := range out {
		out[i] = Measure(i)
	}
	return out
}

// String returns the measure's snake_case column name, e.g. "made".
func (m Measure) String() string {
	if m < 0 || m >= measureCount {
		return "unknown"
	}
	return measureNames[m]
}

// Stock reports whether m is a stock: a number of things as they stood at
// the end of each month, not of things that happened in it. A stock is
// not added up over months: over several months (a row not grouped by
// month, and the totals) it is its value at the end of the last month,
// and disclosure control binds it by the sums over organisations only.
// Over organisations it adds up like any count.
func (m Measure) Stock() bool { return m == LockedAtMonthEnd }

// identities lists the exact relations between measures of one cell: in
// each, the measures' sum on one side equals the sum on the other (here:
// every closed referral has exactly one outcome and was closed either
// within its timescale or late). Disclosure control treats each as a group
// from which one suppressed count could be worked out, like a total.
func identities() [][]Measure {
	return [][]Measure{
		{OutcomePositive, OutcomeNegative, ClosedWithinTimescale, ClosedLate},
	}
}

// networkIdentities lists relations that hold only for cells over every
// organisation: each referral is made by one organisation and received by
// one, so over the whole network referrals made equal referrals received.
func networkIdentities() [][]Measure {
	return [][]Measure{{Made, Received}}
}

// Median is a median number of working days in a row of statistics.
type Median int

// The medians. A referral acknowledged (closed) the day it was made took
// 0 working days; one acknowledged the next working day took 1.
const (
	DaysToAcknowledge Median = iota // from the day made to the day acknowledged
	DaysToClose                     // from the day made to the day closed
	medianCount
)

var medianNames = [medianCount]string{
	DaysToAcknowledge: "median_working_days_to_acknowledge",
	DaysToClose:       "median_working_days_to_close",
}

// Medians lists every median in column order, after the measures.
func Medians() []Median {
	return []Median{DaysToAcknowledge, DaysToClose}
}

// String returns the median's snake_case column name.
func (m Median) String() string {
	if m < 0 || m >= medianCount {
		return "unknown"
	}
	return medianNames[m]
}

// Counts holds one value per Measure.
type Counts [measureCount]int

// Cell is the raw data of one organisation and month, or of an aggregate
// of them: exact counts, and the samples the medians are taken from.
type Cell struct {
	Counts  Counts
	Samples [medianCount]Samples
}

// Add adds o's counts and samples to c.
func (c *Cell) Add(o Cell) {
	for i, n := range o.Counts {
		c.Counts[i] += n
	}
	for i := range c.Samples {
		c.Samples[i].Merge(o.Samples[i])
	}
}
