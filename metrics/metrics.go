// Package metrics holds the ledger's operational Prometheus metrics: what
// an operator must watch besides HTTP traffic (package http counts
// requests). The collectors are package-level, as Prometheus instruments
// usually are, so that the code that sees an event records it with one
// call and needs no wiring: the event store's writer, the notifier, the
// accounts, the erasure path, the KurrentDB supervisor and the signer of
// checkpoints each call a function here. Register exposes them, with the
// gauges read at scrape time from the running node (Sources), on the
// registry /metrics serves.
//
// No label carries client data, an id or anything a user chooses (R-PRIV-7):
// labels are fixed words from this package (a view's name, a store's kind,
// a notice's status) and the build's version.
package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/referral-ledger/ledger/version"
)

var (
	appendBatchSize = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "ledger_eventstore_append_batch_size",
		Help:    "Appends written together in one transaction (the embedded store's group commit; 1 per append on KurrentDB).",
		Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256},
	})
	appendBatchDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "ledger_eventstore_append_batch_duration_seconds",
		Help:    "Time to write one batch of appends, from the start of its transaction until it is durable (KurrentDB: one append, until the cluster acknowledged it).",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	})
	commitDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "ledger_eventstore_commit_duration_seconds",
		Help:    "Time the embedded SQLite store's COMMIT took: the write-ahead log's write and fsync, which the driver does not let the ledger time apart, so this is commit time, an upper bound of fsync time.",
		Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	})
	noticesSent = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ledger_notices_sent_total",
		Help: "Email notices the mail server accepted.",
	})
	noticeAttemptsFailed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ledger_notice_attempts_failed_total",
		Help: "Attempts to send an email notice that failed (each is retried with backoff until the maximum attempts).",
	})
	noticesFailed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ledger_notices_failed_total",
		Help: "Email notices given up after the maximum number of attempts; each needs an operator's attention.",
	})
	erasures = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ledger_erasures_total",
		Help: "Client erasures carried out: the client's key destroyed and the erasure recorded (R-PRIV-3).",
	})
	signInsThrottled = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ledger_sign_ins_throttled_total",
		Help: "Password attempts refused by the throttle before the password was checked (R-AUTH-5), sign-ins and password changes.",
	})
	reconnects = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ledger_store_reconnects_total",
		Help: "Connections to a shared store made again: store=\"eventstore\" counts KurrentDB clients recreated after the cluster was unreachable; store=\"keystore\" counts PostgreSQL connections the key store's pool opened after its first (a broken connection is replaced this way, and so is one past its lifetime, so a low steady rate is normal).",
	}, []string{"store"})
	checkpointSigned = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "ledger_checkpoint_last_signed_timestamp_seconds",
		Help: "When this node last signed a ledger checkpoint (R-AUD-1), as a Unix time; 0 until it has signed one. Its age is time() minus this.",
	})
)

// The stores a reconnect is counted for.
const (
	EventStore = "eventstore"
	KeyStore   = "keystore"
)

func init() {
	reconnects.WithLabelValues(EventStore)
	reconnects.WithLabelValues(KeyStore)
}

// AppendBatch records one batch of appends written together and how long
// writing it took.
func AppendBatch(appends int, took time.Duration) {
	appendBatchSize.Observe(float64(appends))
	appendBatchDuration.Observe(took.Seconds())
}

// Commit records how long a COMMIT (and so its fsync) took.
func Commit(took time.Duration) { commitDuration.Observe(took.Seconds()) }

// NoticeSent records an email notice the mail server accepted.
func NoticeSent() { noticesSent.Inc() }

// NoticeAttemptFailed records a failed attempt to send a notice.
func NoticeAttemptFailed() { noticeAttemptsFailed.Inc() }

// NoticeGaveUp records a notice given up after its last attempt.
func NoticeGaveUp() { noticesFailed.Inc() }

// ErasureCarriedOut records a client's erasure completed.
func ErasureCarriedOut() { erasures.Inc() }

// SignInThrottled records a password attempt the throttle refused.
func SignInThrottled() { signInsThrottled.Inc() }

// Reconnected records a connection to store (EventStore or KeyStore) made
// again.
func Reconnected(store string) { reconnects.WithLabelValues(store).Inc() }

// CheckpointSigned records that a checkpoint was signed at t; the signer of
// checkpoints calls it after each one it publishes.
func CheckpointSigned(t time.Time) {
	checkpointSigned.Set(float64(t.UnixNano()) / 1e9)
}

// Sources are the running node's readings that gauges take at scrape time.
// A nil field leaves its gauge out.
type Sources struct {
	// Head returns the event store's last position.
	Head func(ctx context.Context) (uint64, error)
	// Views maps a view's name (a fixed word, e.g. "read_models") to the
	// last position it has applied; its lag is Head minus that.
	Views map[string]func() uint64
	// PasswordHashesInFlight returns how many argon2id hashes are being
	// computed now.
	PasswordHashesInFlight func() int
	// Notices returns how many email notices are in each outbox status
	// ("pending", "sent", "failed", "cancelled").
	Notices func(ctx context.Context) (map[string]int, error)
	// NoticesSending says whether this node sends the email notices now;
	// of several nodes sharing PostgreSQL, one at a time does.
	NoticesSending func() bool
}

// scrapeTimeout bounds the readings a scrape takes from the stores.
const scrapeTimeout = 2 * time.Second

// Register adds the build information, every collector of this package and
// the gauges of src to reg. Collectors may be registered on several
// registries (one per node in tests); registering twice on one fails.
func Register(reg prometheus.Registerer, src Sources) error {
	v := version.Get()
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "ledger_build_info",
		Help:        "Always 1; the labels say which build of the ledger is running.",
		ConstLabels: prometheus.Labels{"version": v.Version, "revision": v.Revision, "goversion": v.GoVersion},
	})
	build.Set(1)
	cs := []prometheus.Collector{build, appendBatchSize, appendBatchDuration, commitDuration, noticesSent,
		noticeAttemptsFailed, noticesFailed, erasures, signInsThrottled, reconnects, checkpointSigned}
	if src.Head != nil && len(src.Views) > 0 {
		cs = append(cs, &lagCollector{head: src.Head, views: src.Views})
	}
	if src.PasswordHashesInFlight != nil {
		cs = append(cs, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "ledger_password_hashes_in_flight",
			Help: "Password hashes (argon2id) being computed now; at most auth.max_concurrent_password_hashes.",
		}, func() float64 { return float64(src.PasswordHashesInFlight()) }))
	}
	if src.Notices != nil {
		cs = append(cs, &noticesCollector{counts: src.Notices})
	}
	if src.NoticesSending != nil {
		cs = append(cs, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "ledger_notices_sending",
			Help: "1 while this node sends the email notices, 0 while it only derives them: of several nodes sharing PostgreSQL one at a time sends, and the others take over when it stops. Summed over the nodes it should be 1.",
		}, func() float64 {
			if src.NoticesSending() {
				return 1
			}
			return 0
		}))
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

var lagDesc = prometheus.NewDesc("ledger_projection_lag_positions",
	"How far a view is behind the event store's head, in store positions (events on the embedded SQLite store; on KurrentDB, whose commit positions are sparse, bytes of its log); 0 when caught up. A view that stays behind answers reads late.",
	[]string{"view"}, nil)

// lagCollector reads the head once per scrape and reports every view's
// distance from it.
type lagCollector struct {
	head  func(ctx context.Context) (uint64, error)
	views map[string]func() uint64
}

func (c *lagCollector) Describe(ch chan<- *prometheus.Desc) { ch <- lagDesc }

func (c *lagCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	head, err := c.head(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(lagDesc, err)
		return
	}
	for name, pos := range c.views {
		lag := uint64(0)
		if p := pos(); head > p {
			lag = head - p
		}
		ch <- prometheus.MustNewConstMetric(lagDesc, prometheus.GaugeValue, float64(lag), name)
	}
}

var noticesDesc = prometheus.NewDesc("ledger_notices",
	"Email notices in the outbox, by status: pending (waiting to be sent or retried), sent, failed (given up) and cancelled; sent and cancelled ones are purged after a while.",
	[]string{"status"}, nil)

// noticeStatuses are reported even when the outbox holds none of them, so
// an alert on pending or failed has a series to look at.
var noticeStatuses = []string{"pending", "sent", "failed", "cancelled"}

type noticesCollector struct {
	counts func(ctx context.Context) (map[string]int, error)
}

func (c *noticesCollector) Describe(ch chan<- *prometheus.Desc) { ch <- noticesDesc }

func (c *noticesCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	counts, err := c.counts(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(noticesDesc, err)
		return
	}
	for _, s := range noticeStatuses {
		ch <- prometheus.MustNewConstMetric(noticesDesc, prometheus.GaugeValue, float64(counts[s]), s)
	}
}
