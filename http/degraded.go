package http

import (
	"slices"
	"sync"
)

// degradation is what a server started in a degraded mode serves without:
// each entry names the reason, for /readyz.
type degradation struct {
	mu      sync.Mutex
	reasons []string
}

// SetDegraded records that the node serves without something it should
// have, e.g. some clients' data keys (ledger serve --allow-missing-keys).
// /readyz then answers 200 with status "degraded" and the reasons: the
// operator chose to serve everything else, so the node stays in the load
// balancer, and monitoring that alerts on any status but "ready" sees it.
func (s *Server) SetDegraded(reason string) {
	s.degraded.mu.Lock()
	defer s.degraded.mu.Unlock()
	s.degraded.reasons = append(s.degraded.reasons, reason)
}

// Degraded returns the reasons given to SetDegraded.
func (s *Server) Degraded() []string {
	s.degraded.mu.Lock()
	defer s.degraded.mu.Unlock()
	return slices.Clone(s.degraded.reasons)
}
