package http

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"

	ledgermetrics "github.com/referral-ledger/ledger/metrics"
	"github.com/referral-ledger/ledger/node"
)

// NewForNode builds the server `ledger serve` runs on a node: the node's
// parts, the configured options with the web interface on, and a metrics
// registry with the Go and process collectors and the ledger's own
// metrics (package metrics). workers may be nil. The benchmarks build their server with it
// too, so they measure what production serves.
func NewForNode(n *node.Node, log zerolog.Logger, workers Workers) (*Server, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, err
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, err
	}
	if err := ledgermetrics.Register(reg, metricSources(n)); err != nil {
		return nil, err
	}
	options := ConfigOptions(n.Config)
	options.WebInterface = true
	return New(Deps{
		Service: n.Service, Accounts: n.Accounts, Orgs: n.Orgs, Clients: n.Clients, Runner: n.Runner, Keys: n.ClientKeys,
		Locks: n.Locks, Idempotency: n.Idempotency, Calendar: n.Calendar, Timescales: n.Timescales, Referrals: n.Referrals,
		Statistics: n.Statistics, Disclosure: n.Disclosure, KnownClients: n.KnownClients, Audit: n.Audit,
		Logger: log, Registry: reg, Workers: workers, Options: options,
	})
}

// metricSources are the node's figures the metrics read at each scrape.
func metricSources(n *node.Node) ledgermetrics.Sources {
	src := ledgermetrics.Sources{
		Head: func(ctx context.Context) (uint64, error) {
			head, err := n.Store.Head(ctx)
			return uint64(head), err
		},
		Views:                  map[string]func() uint64{"read_models": func() uint64 { return uint64(n.Runner.Position()) }},
		PasswordHashesInFlight: n.Hasher.InFlight,
	}
	if n.Notifier != nil {
		src.Views["notifications"] = func() uint64 { return uint64(n.Notifier.Position()) }
		src.Notices = n.Notifier.Counts
		src.NoticesSending = n.Notifier.Sending
	}
	return src
}
