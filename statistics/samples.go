package statistics

// Samples is a histogram of non-negative whole numbers of working days:
// enough to take a median and to merge months and organisations, without
// keeping anything per referral. The zero value is empty.
type Samples struct {
	counts []int // counts[d] is how many samples are d
	n      int
}

// Add records one sample; a negative one counts as 0.
func (s *Samples) Add(days int) {
	if days < 0 {
		days = 0
	}
	if days >= len(s.counts) {
		grown := make([]int, days+1)
		copy(grown, s.counts)
		s.counts = grown
	}
	s.counts[days]++
	s.n++
}

// Merge adds every sample of o to s.
func (s *Samples) Merge(o Samples) {
	if len(o.counts) > len(s.counts) {
		grown := make([]int, len(o.counts))
		copy(grown, s.counts)
		s.counts = grown
	}
	for d, k := range o.counts {
		s.counts[d] += k
	}
	s.n += o.n
}

// Len returns how many samples there are.
func (s Samples) Len() int { return s.n }

// Median returns the median, the mean of the two middle samples when
// there is an even number of them (so it may end in .5), and false when
// there are none.
func (s Samples) Median() (float64, bool) {
	if s.n == 0 {
		return 0, false
	}
	lo, hi := s.nth((s.n-1)/2), s.nth(s.n/2)
	return float64(lo+hi) / 2, true
}

// nth returns the k-th smallest sample, counting from 0.
func (s Samples) nth(k int) int {
	seen := 0
	for d, c := range s.counts {
		seen += c
		if seen > k {
			return d
		}
	}
	return len(s.counts) - 1
}
