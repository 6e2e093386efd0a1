package http

import "github.com/referral-ledger/ledger/config"

// ConfigOptions are the server's options as cfg sets them. WebInterface is
// not a setting: the caller says whether to serve the people's pages.
func ConfigOptions(cfg config.Config) Options {
	maxLag := uint64(cfg.Projections.MaxLagEvents)
	if cfg.Store == config.StoreKurrentDB {
		// Positions on KurrentDB are byte offsets in its log, not event
		// counts: allow about a kilobyte an event.
		maxLag *= 1024
	}
	return Options{TrustedProxies: cfg.HTTP.TrustedProxies, MaxBodyBytes: cfg.HTTP.MaxBodyBytes,
		ReadYourWritesTimeout: cfg.Projections.ReadYourWritesTimeout, MaxProjectionLag: maxLag,
		RequestTimeout: cfg.HTTP.RequestTimeout, PublicURL: cfg.HTTP.PublicURL, Retention: cfg.Privacy.Retention,
		SessionIdleTimeout: cfg.Auth.SessionIdleTimeout}
}
