package http

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/node"
)

// NewForNode builds the server `ledger serve` runs on a node: the node's
// parts, the configured options with the web interface on, and a metrics
// registry with the Go and process collectors and the password hashes in
// flight. workers may be nil. The benchmarks build their server with it
// too, so they measure what production serves.
func NewForNode(n *node.Node, log zerolog.Logger, workers Workers) (*Server, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, err
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, err
	}
	if err := reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "ledger_password_hashes_in_flight",
		Help: "Password hashes (argon2id) being computed now; at most auth.max_concurrent_password_hashes."},
		func() float64 { return float64(n.Hasher.InFlight()) })); err != nil {
		return nil, err
	}
	options := ConfigOptions(n.Config)
	options.WebInterface = true
	return New(Deps{
		Service: n.Service, Accounts: n.Accounts, Orgs: n.Orgs, Clients: n.Clients, Runner: n.Runner, Keys: n.ClientKeys,
		Locks: n.Locks, Idempotency: n.Idempotency, Calendar: n.Calendar, Timescales: n.Timescales, Referrals: n.Referrals,
		Statistics: n.Statistics, Disclosure: n.Disclosure, KnownClients: n.KnownClients,
		Logger: log, Registry: reg, Workers: workers, Options: options,
	})
}
