package projections

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
	"github.com/referral-ledger/ledger/keystore"
	"github.com/referral-ledger/ledger/ledger"
)

// testKeys is a key store for the clients' tests: one key for every
// client, reads counted, keys destroyed on demand, and unavailable while
// down.
type testKeys struct {
	reads     atomic.Int64
	down      atomic.Bool
	mu        sync.Mutex
	destroyed map[uuid.UUID]bool
}

func newTestKeys() *testKeys { return &testKeys{destroyed: map[uuid.UUID]bool{}} }

func (k *testKeys) KeyForWrite(context.Context, uuid.UUID) (ledger.DataKey, error) {
	return ledger.DataKey{7}, nil
}

func (k *testKeys) KeyForRead(_ context.Context, client uuid.UUID) (ledger.DataKey, bool, error) {
	k.reads.Add(1)
	if k.down.Load() {
		return ledger.DataKey{}, false, keystore.ErrUnavailable
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.destroyed[client] {
		return ledger.DataKey{}, true, nil
	}
	return ledger.DataKey{7}, false, nil
}

func (k *testKeys) destroy(client uuid.UUID) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.destroyed[client] = true
}

// countingDecoder counts the events the known clients index decodes.
type countingDecoder struct {
	Decoder
	n atomic.Int64
}

func (d *countingDecoder) Decode(ctx context.Context, rec eventstore.RecordedEvent) (domain.Recorded, error) {
	d.n.Add(1)
	return d.Decoder.Decode(ctx, rec)
}

// clientsLog writes clients' histories to a real store, sealed as the
// service seals them.
type clientsLog struct {
	t     *testing.T
	store eventstore.Store
	codec *ledger.Codec
	keys  *testKeys
	at    time.Time
	orgs  []uuid.UUID
	rng   *rand.Rand
}

func newClientsLog(t *testing.T, dir string) *clientsLog {
	store, err := sqlite.Open(filepath.Join(dir, "events.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	keys := newTestKeys()
	rng := rand.New(rand.NewPCG(14, 2))
	l := &clientsLog{t: t, store: store, codec: ledger.NewCodec(keys), keys: keys,
		at: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), rng: rng}
	for range 4 {
		l.orgs = append(l.orgs, randomID(rng))
	}
	return l
}

func (l *clientsLog) append(stream string, actor, org uuid.UUID, evs ...domain.Event) {
	l.t.Helper()
	data := make([]eventstore.EventData, len(evs))
	for i, ev := range evs {
		l.at = l.at.Add(time.Hour)
		var err error
		data[i], err = l.codec.Encode(context.Background(), uuid.New(), ev,
			eventstore.Metadata{RecordedAt: l.at, ActorUserID: actor.String(), ActorOrganisationID: org.String()})
		if err != nil {
			l.t.Fatal(err)
		}
	}
	if _, err := l.store.Append(context.Background(), stream, eventstore.Any(), data...); err != nil {
		l.t.Fatal(err)
	}
}

// refer makes a referral from org for client, naming them, and returns it.
func (l *clientsLog) refer(from, client uuid.UUID, name, dob string) uuid.UUID {
	id := uuid.New()
	to := l.orgs[l.rng.IntN(len(l.orgs))]
	for to == from {
		to = l.orgs[l.rng.IntN(len(l.orgs))]
	}
	l.append(ledger.ReferralStream(id), uuid.New(), from, &domain.ReferralMade{ReferralID: id, FromOrganisationID: from,
		ToOrganisationID: to, ClientID: client, Client: domain.Client{Name: name, DateOfBirth: dob}, PrivacyNoticeGiven: true})
	return id
}

func (l *clientsLog) close(referral, client uuid.UUID) {
	l.append(ledger.ReferralStream(referral), uuid.New(), uuid.Nil, &domain.ReferralAcknowledged{},
		&domain.ReferralClosed{ClientID: client, Outcome: domain.OutcomePositive})
}

// requestErasure records an erasure request for client by org.
func (l *clientsLog) requestErasure(client, org uuid.UUID) uuid.UUID {
	request := uuid.New()
	l.append(ledger.ClientStream(client), uuid.New(), org,
		&domain.ClientErasureRequested{RequestID: request, ClientID: client, Reason: "asked"})
	return request
}

// erase carries out request as the service does: the intent, the key
// destroyed, the completion.
func (l *clientsLog) erase(client, request uuid.UUID) {
	l.append(ledger.ClientStream(client), uuid.New(), uuid.Nil, &domain.ClientErasureStarted{RequestID: request})
	l.keys.destroy(client)
	l.append(ledger.ClientStream(client), uuid.Nil, uuid.Nil, &domain.ClientErased{RequestID: request})
}

func (l *clientsLog) head() eventstore.Position {
	h, err := l.store.Head(context.Background())
	if err != nil {
		l.t.Fatal(err)
	}
	return h
}

// clientsNode is the clients' read models of one start of a node, on the
// views at a path.
type clientsNode struct {
	views   *Views
	clients *Clients
	known   *KnownClients
	decoder *countingDecoder
	marker  Marker
	// batchMax and catchUpMax, when not 0, bound the runner's batches,
	// and a rebuild's transactions to three catch-up batches.
	batchMax, catchUpMax int
}

var clientsTestKey = ledger.NewIndexKey(keystore.GenerateMasterKey())

// openClientsNode opens the views at path and the clients' read models in
// them, decoding with l's keys and marking with marker.
func openClientsNode(t *testing.T, l *clientsLog, path string, marker Marker) *clientsNode {
	t.Helper()
	decoder := &countingDecoder{Decoder: ledger.NewCodec(l.keys)}
	n := openClientsNodeDecoding(t, l, path, marker, decoder)
	n.decoder = decoder
	return n
}

// openClientsNodeDecoding is openClientsNode, the known clients index
// decoding with decoder.
func openClientsNodeDecoding(t *testing.T, l *clientsLog, path string, marker Marker, decoder Decoder) *clientsNode {
	t.Helper()
	ctx := context.Background()
	views, err := OpenViews(path)
	if err != nil {
		t.Fatal(err)
	}
	n := &clientsNode{views: views, marker: marker}
	if n.clients, err = OpenClients(ctx, views); err != nil {
		t.Fatal(err)
	}
	if n.known, err = OpenKnownClients(ctx, views, l.store, decoder, marker); err != nil {
		t.Fatal(err)
	}
	return n
}

// run feeds the read models until they hold every event of the log, and
// returns where the runner's own subscription started.
func (n *clientsNode) run(t *testing.T, l *clientsLog) eventstore.Position {
	t.Helper()
	ctx := context.Background()
	logged := &subscribeLog{Store: l.store}
	r := NewRunner(logged, ledger.NewPublicCodec(), n.clients, n.known)
	r.CheckChains()
	r.UseViews(n.views)
	if n.batchMax > 0 {
		r.batchMax, r.catchUpMax, r.rebuildMax = n.batchMax, n.catchUpMax, 3*n.catchUpMax
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(runCtx) }()
	if err := r.WaitFor(ctx, l.head()); err != nil {
		t.Fatal(err)
	}
	stop()
	<-done
	return logged.last()
}

// answers is everything the callers read of the clients' read models.
func (n *clientsNode) answers(t *testing.T, l *clientsLog, clients []uuid.UUID, names map[uuid.UUID][2]string) string {
	t.Helper()
	var b bytes.Buffer
	now := l.at.AddDate(0, 2, 0)
	fmt.Fprintf(&b, "due %v\n", n.clients.DueForRetention(now, 30*24*time.Hour, false))
	fmt.Fprintf(&b, "upcoming %v\n", n.clients.DueForRetention(now, 30*24*time.Hour, true))
	sorted := func(ids []uuid.UUID, err error) []uuid.UUID {
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(ids, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
		return ids
	}
	fmt.Fprintf(&b, "with data %v\nerasing %v\nerased %v\n", sorted(n.clients.ClientsWithData()),
		sorted(n.clients.ErasingClients()), sorted(n.clients.ErasedClients()))
	waiting, err := n.clients.WaitingErasures()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range waiting {
		fmt.Fprintf(&b, "waiting %+v\n", r)
		got, ok, err := n.clients.ErasureRequest(r.RequestID)
		c, known, cerr := n.clients.ClientOfErasureRequest(r.RequestID)
		fmt.Fprintf(&b, "request %+v %v %v %s %v %v\n", got, ok, err, c, known, cerr)
	}
	for _, c := range clients {
		fmt.Fprintf(&b, "client %s erased %v referrals %v", c, n.clients.IsErased(c), noErr[[]uuid.UUID](t)(n.clients.ReferralsOf(c)))
		for _, org := range l.orgs {
			fmt.Fprintf(&b, " %v", noErr[bool](t)(n.clients.OrganisationKnowsClient(org, c)))
			if nd, ok := names[c]; ok {
				found, err := n.known.ReferredBy(context.Background(), org, nd[0], nd[1])
				fmt.Fprintf(&b, "/%v/%v", found, err)
			}
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "marks of %d clients\n", noErr[int](t)(n.known.Len()))
	return b.String()
}

// clientsHistory writes a history of count clients: referred (named, most
// of them), some closed, some asked to be erased, some erased.
func clientsHistory(l *clientsLog, count int) (clients []uuid.UUID, names map[uuid.UUID][2]string) {
	names = map[uuid.UUID][2]string{}
	for i := range count {
		client := randomID(l.rng)
		clients = append(clients, client)
		from := l.orgs[l.rng.IntN(len(l.orgs))]
		name, dob := fmt.Sprintf("Client %d", i), fmt.Sprintf("19%02d-0%d-1%d", 50+i%40, 1+i%9, i%10)
		if i%5 != 4 {
			names[client] = [2]string{name, dob}
		} else {
			name, dob = "", ""
		}
		ref := l.refer(from, client, name, dob)
		if i%3 == 0 {
			l.close(ref, client)
		}
		if i%4 == 1 { // a second referral, naming them by id only
			l.refer(l.orgs[l.rng.IntN(len(l.orgs))], client, "", "")
		}
		switch i % 7 {
		case 2:
			l.requestErasure(client, from)
		case 3:
			l.erase(client, l.requestErasure(client, from))
		}
	}
	return clients, names
}

// TestClientsResumeWithoutReplay_Issue14: the clients index and the known
// clients index resume from their checkpoint in views.db: a restart over a
// log they already hold decodes no event and reads no key, answers every
// caller exactly as before, and a new event is decoded once.
func TestClientsResumeWithoutReplay_Issue14(t *testing.T) {
	dir := t.TempDir()
	l := newClientsLog(t, dir)
	clients, names := clientsHistory(l, 40)
	path := filepath.Join(dir, ViewsFile)

	first := openClientsNode(t, l, path, clientsTestKey)
	if from := first.run(t, l); from != eventstore.Start {
		t.Fatalf("a first start subscribed after %d", from)
	}
	if first.decoder.n.Load() == 0 || l.keys.reads.Load() == 0 {
		t.Fatal("the first start decoded nothing: the test proves nothing")
	}
	want := first.answers(t, l, clients, names)
	first.views.Close()

	l.keys.reads.Store(0)
	again := openClientsNode(t, l, path, clientsTestKey)
	head := l.head()
	if from := again.run(t, l); from != head {
		t.Fatalf("the restart subscribed after %d, want its checkpoint %d", from, head)
	}
	if n, k := again.decoder.n.Load(), l.keys.reads.Load(); n != 0 || k != 0 {
		t.Fatalf("the restart decoded %d events and read %d keys, want none", n, k)
	}
	if got := again.answers(t, l, clients, names); got != want {
		t.Fatalf("after a restart the read models answer\n%s\nwant\n%s", got, want)
	}
	if again.clients.Checkpoint() != head || again.known.Checkpoint() != head {
		t.Fatalf("checkpoints %d and %d, head %d", again.clients.Checkpoint(), again.known.Checkpoint(), head)
	}

	// A new referral: decoded once, found.
	client := uuid.New()
	l.refer(l.orgs[0], client, "New Person", "2001-02-03")
	before := l.keys.reads.Load()
	again.run(t, l)
	if n, k := again.decoder.n.Load(), l.keys.reads.Load()-before; n != 1 || k != 1 {
		t.Fatalf("a new referral was decoded %d times with %d key reads, want once", n, k)
	}
	if got, err := again.known.ReferredBy(context.Background(), l.orgs[0], "new person", "2001-02-03"); err != nil || len(got) != 1 || got[0] != client {
		t.Fatalf("the new client: %v, %v", got, err)
	}
	again.views.Close()
}

// TestClientsRebuildEqualsIncremental_Issue14 is R-VIEW-5 on disk for the
// clients' tables: built incrementally, restarting between rounds of new
// events (erasures among them), they hold the same rows, byte for byte,
// as rebuilt from the whole log at once and as reset and rebuilt.
func TestClientsRebuildEqualsIncremental_Issue14(t *testing.T) {
	dir := t.TempDir()
	l := newClientsLog(t, dir)
	incremental := filepath.Join(dir, "incremental.db")
	for range 3 {
		clientsHistory(l, 12)
		n := openClientsNode(t, l, incremental, clientsTestKey)
		n.run(t, l)
		n.views.Close()
	}
	rebuilt := filepath.Join(dir, "rebuilt.db")
	n := openClientsNode(t, l, rebuilt, clientsTestKey)
	n.run(t, l)
	n.views.Close()
	want := dumpViews(t, rebuilt)
	for _, table := range []string{"clients", "client_referrals", "client_orgs", "erasure_requests", "known_marks",
		"known_referred", "known_erased", "known_key"} {
		if len(want[table]) == 0 {
			t.Fatalf("the rebuilt table %s is empty", table)
		}
	}
	if got := dumpViews(t, incremental); !reflect.DeepEqual(got, want) {
		t.Fatalf("incremental views differ from the rebuild:\n%v\n%v", got, want)
	}
	views, err := OpenViews(incremental)
	if err != nil {
		t.Fatal(err)
	}
	if err := views.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	views.Close()
	n = openClientsNode(t, l, incremental, clientsTestKey)
	if from := n.run(t, l); from != eventstore.Start {
		t.Fatalf("after a reset the runner subscribed after %d", from)
	}
	n.views.Close()
	if got := dumpViews(t, incremental); !reflect.DeepEqual(got, want) {
		t.Fatal("views reset and rebuilt differ from the rebuild")
	}
}

// TestClientsRebuiltInSmallBatchesEqualsIncremental_Issue14: rebuilt in
// batches of a few events, the clients' tables hold the same rows as built
// incrementally and as rebuilt in one batch, and the same indexes as the
// schema created (those deferred are created again): a client's row, or
// their erasure, written by an earlier batch of the rebuild is read back,
// not taken for absent (a referral naming an erased client is not indexed
// again).
func TestClientsRebuiltInSmallBatchesEqualsIncremental_Issue14(t *testing.T) {
	dir := t.TempDir()
	l := newClientsLog(t, dir)
	incremental := filepath.Join(dir, "incremental.db")
	var erased []uuid.UUID
	for round := range 3 {
		clients, _ := clientsHistory(l, 14)
		for i, c := range clients {
			if i%7 == 3 {
				erased = append(erased, c)
			}
		}
		if round == 2 {
			for _, c := range erased {
				l.refer(l.orgs[0], c, "", "")
			}
		}
		n := openClientsNode(t, l, incremental, clientsTestKey)
		n.run(t, l)
		n.views.Close()
	}
	want := dumpViews(t, incremental)
	if len(want["known_erased"]) == 0 || len(want["clients"]) == 0 {
		t.Fatalf("the views hold no erased client or no client: the test proves nothing")
	}
	for name, size := range map[string]int{"whole": 0, "small": 3} {
		path := filepath.Join(dir, name+".db")
		n := openClientsNode(t, l, path, clientsTestKey)
		if size > 0 {
			n.batchMax, n.catchUpMax = 2, size
		}
		n.run(t, l)
		n.views.Close()
		if got := dumpViews(t, path); !reflect.DeepEqual(got, want) {
			t.Fatalf("views rebuilt (%s) differ from the incremental:\n%v\n%v", name, got, want)
		}
		// The indexes the rebuild deferred are all there again.
		if got, created := schemaOf(t, path), schemaOf(t, filepath.Join(dir, "created.db")); !reflect.DeepEqual(got, created) {
			t.Fatalf("the views rebuilt (%s) have another schema than created:\n%v\n%v", name, got, created)
		}
	}
}

// fileHolds reports whether the file at path, if any, holds b.
func fileHolds(t *testing.T, path string, b []byte) bool {
	t.Helper()
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Contains(data, b)
}

// TestKnownClientsErasureDeletesMarksFromDisk_PRIV3: the blind-index mark
// of a client is in views.db (or its write-ahead log) while they are
// known, and in neither file once their erasure started, nor after a
// restart or a rebuild of the views (their key is destroyed); the other
// clients' marks stay.
func TestKnownClientsErasureDeletesMarksFromDisk_PRIV3(t *testing.T) {
	dir := t.TempDir()
	l := newClientsLog(t, dir)
	path := filepath.Join(dir, ViewsFile)
	x, y := uuid.New(), uuid.New()
	from := l.orgs[0]
	l.refer(from, x, "Erased Person", "1977-07-07")
	l.refer(from, y, "Kept Person", "1988-08-08")
	n := openClientsNode(t, l, path, clientsTestKey)
	n.run(t, l)
	markX, _ := clientsTestKey.Mark(context.Background(), "Erased Person", "1977-07-07")
	markY, _ := clientsTestKey.Mark(context.Background(), "Kept Person", "1988-08-08")
	onDisk := func(m ledger.Mark) bool {
		return fileHolds(t, path, m[:]) || fileHolds(t, path+"-wal", m[:])
	}
	if !onDisk(markX) || !onDisk(markY) {
		t.Fatal("the views do not hold the marks: the test proves nothing")
	}

	l.erase(x, l.requestErasure(x, from))
	n.run(t, l)
	if onDisk(markX) {
		t.Fatal("views.db or its write-ahead log holds an erased client's mark")
	}
	if !onDisk(markY) {
		t.Fatal("another client's mark is gone")
	}
	if got, err := n.known.ReferredBy(context.Background(), from, "Erased Person", "1977-07-07"); err != nil || len(got) != 0 {
		t.Fatalf("an erased client is found: %v, %v", got, err)
	}
	n.views.Close()
	if onDisk(markX) {
		t.Fatal("after closing, the views hold an erased client's mark")
	}

	// Rebuilt from the log: the erased client's referral no longer
	// decodes, so their mark does not come back.
	views, err := OpenViews(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := views.Reset(context.Background()); err != nil {
		t.Fatal(err)
	}
	views.Close()
	n = openClientsNode(t, l, path, clientsTestKey)
	n.run(t, l)
	if got, err := n.known.ReferredBy(context.Background(), from, "Kept Person", "1988-08-08"); err != nil || len(got) != 1 {
		t.Fatalf("rebuilt, the kept client: %v, %v", got, err)
	}
	n.views.Close()
	if onDisk(markX) {
		t.Fatal("a rebuild brought an erased client's mark back")
	}
}

// TestKnownClientsMarkOfClientErasedInTheBatchNeverWritten_PRIV3: a
// client referred and whose erasure starts in the same batch of the views
// (their key not yet destroyed, so their referral decodes) leaves no mark
// in views.db or its write-ahead log, and no trace in the index; another
// client's mark of the same batch is written.
func TestKnownClientsMarkOfClientErasedInTheBatchNeverWritten_PRIV3(t *testing.T) {
	dir := t.TempDir()
	l := newClientsLog(t, dir)
	path := filepath.Join(dir, ViewsFile)
	x, y := uuid.New(), uuid.New()
	from := l.orgs[0]
	l.refer(from, x, "Erased Early", "1979-09-09")
	l.refer(from, y, "Kept Early", "1980-10-10")
	l.append(ledger.ClientStream(x), uuid.New(), uuid.Nil, &domain.ClientErasureStarted{RequestID: l.requestErasure(x, from)})
	n := openClientsNode(t, l, path, clientsTestKey)
	n.run(t, l)
	if n.decoder.n.Load() == 0 {
		t.Fatal("no referral was decoded: the test proves nothing")
	}
	markX, _ := clientsTestKey.Mark(context.Background(), "Erased Early", "1979-09-09")
	markY, _ := clientsTestKey.Mark(context.Background(), "Kept Early", "1980-10-10")
	onDisk := func(m ledger.Mark) bool {
		return fileHolds(t, path, m[:]) || fileHolds(t, path+"-wal", m[:])
	}
	if onDisk(markX) {
		t.Fatal("views.db or its write-ahead log holds the mark of a client whose erasure started")
	}
	if !onDisk(markY) {
		t.Fatal("the other client's mark is not written")
	}
	var referred int
	if err := n.views.DB().QueryRow(`SELECT COUNT(*) FROM known_referred WHERE client = ?`, x[:]).Scan(&referred); err != nil || referred != 0 {
		t.Fatalf("the erased client is still known as referred: %d, %v", referred, err)
	}
	if got, err := n.known.ReferredBy(context.Background(), from, "Erased Early", "1979-09-09"); err != nil || len(got) != 0 {
		t.Fatalf("a client whose erasure started is found: %v, %v", got, err)
	}
	n.views.Close()
}

// TestKnownClientsPendingSurvivesRestart_Issue14: a referral the index
// could not decode (key store down) stays pending across a restart:
// searches answer Unavailable, not a miss, until the key store answers,
// and then find the client, read again from the log; a client erased
// while pending is never indexed.
func TestKnownClientsPendingSurvivesRestart_Issue14(t *testing.T) {
	dir := t.TempDir()
	l := newClientsLog(t, dir)
	path := filepath.Join(dir, ViewsFile)
	x, z := uuid.New(), uuid.New()
	from := l.orgs[1]
	l.refer(from, x, "Pending Person", "1966-06-06")
	l.refer(from, z, "Erased Pending", "1955-05-05")
	l.keys.down.Store(true)
	n := openClientsNode(t, l, path, clientsTestKey)
	n.run(t, l)
	n.views.Close()

	n = openClientsNode(t, l, path, clientsTestKey)
	n.run(t, l)
	if n.decoder.n.Load() != 0 {
		t.Fatal("the restart decoded old events")
	}
	if _, err := n.known.ReferredBy(context.Background(), from, "Pending Person", "1966-06-06"); domain.ErrorCode(err) != domain.Unavailable {
		t.Fatalf("a search with referrals pending: %v, want Unavailable", err)
	}
	// z's erasure starts while their referral is pending.
	l.erase(z, l.requestErasure(z, from))
	n.run(t, l)
	n.views.Close()

	l.keys.down.Store(false)
	n = openClientsNode(t, l, path, clientsTestKey)
	n.run(t, l)
	if got, err := n.known.ReferredBy(context.Background(), from, "pending person", "1966-06-06"); err != nil || len(got) != 1 || got[0] != x {
		t.Fatalf("once the key store answers: %v, %v", got, err)
	}
	if got, err := n.known.ReferredBy(context.Background(), from, "Erased Pending", "1955-05-05"); err != nil || len(got) != 0 {
		t.Fatalf("a client erased while pending is found: %v, %v", got, err)
	}
	d, err := n.views.Dump(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(d["known_pending"]) != 0 || len(d["known_marks"]) != 1 {
		t.Fatalf("pending %v, marks %v; want none pending and one mark", d["known_pending"], d["known_marks"])
	}
	n.views.Close()
}

// TestKnownClientsRebuiltUnderANewKey_Issue14: marks made under another
// index key (a rotated master key) match no search: opened with a new key,
// the index empties itself and is rebuilt from the log under it.
func TestKnownClientsRebuiltUnderANewKey_Issue14(t *testing.T) {
	dir := t.TempDir()
	l := newClientsLog(t, dir)
	path := filepath.Join(dir, ViewsFile)
	x := uuid.New()
	l.refer(l.orgs[2], x, "Rotated Person", "1944-04-04")
	n := openClientsNode(t, l, path, clientsTestKey)
	n.run(t, l)
	n.views.Close()

	rotated := ledger.NewIndexKey(keystore.GenerateMasterKey())
	n = openClientsNode(t, l, path, rotated)
	if n.known.Checkpoint() != eventstore.Start || n.clients.Checkpoint() != l.head() {
		t.Fatalf("under a new key the checkpoints are %d (known clients) and %d (clients)", n.known.Checkpoint(), n.clients.Checkpoint())
	}
	n.run(t, l)
	if got, err := n.known.ReferredBy(context.Background(), l.orgs[2], "Rotated Person", "1944-04-04"); err != nil || len(got) != 1 || got[0] != x {
		t.Fatalf("rebuilt under the new key: %v, %v", got, err)
	}
	n.views.Close()
}

// TestClientsCachesFollowCommits_Issue14: the clients index's cached
// answers (erased, organisations, referrals) change as soon as the batch
// that changes them commits.
func TestClientsCachesFollowCommits_Issue14(t *testing.T) {
	p := NewClients()
	client, org, other := uuid.New(), uuid.New(), uuid.New()
	log := newEventLog()
	first := uuid.New()
	log.referral(first, at(2026, 5, 1, 9), &domain.ReferralMade{ReferralID: first, FromOrganisationID: org, ToOrganisationID: uuid.New(), ClientID: client})
	feed(p, log.events)
	knows, refs := noErr[bool](t), noErr[[]uuid.UUID](t)
	if p.IsErased(client) || !knows(p.OrganisationKnowsClient(org, client)) || knows(p.OrganisationKnowsClient(other, client)) || len(refs(p.ReferralsOf(client))) != 1 {
		t.Fatal("the first answers are wrong")
	}
	second := uuid.New()
	log.referral(second, at(2026, 5, 2, 9), &domain.ReferralMade{ReferralID: second, FromOrganisationID: other, ToOrganisationID: org, ClientID: client})
	request := uuid.New()
	log.add(ledger.ClientStream(client), at(2026, 5, 3, 9), uuid.New(), org, &domain.ClientErasureRequested{RequestID: request, ClientID: client})
	log.add(ledger.ClientStream(client), at(2026, 5, 4, 9), uuid.Nil, uuid.Nil, &domain.ClientErasureStarted{RequestID: request})
	feed(p, log.events[1:])
	if !p.IsErased(client) || !knows(p.OrganisationKnowsClient(other, client)) || !slices.Equal(refs(p.ReferralsOf(client)), []uuid.UUID{first, second}) {
		t.Fatalf("after the commit: erased %v, knows %v, referrals %v", p.IsErased(client), knows(p.OrganisationKnowsClient(other, client)), refs(p.ReferralsOf(client)))
	}
	if got, err := p.ErasingClients(); err != nil || len(got) != 1 || got[0] != client {
		t.Fatalf("erasing %v, %v", got, err)
	}
	if r, ok, err := p.ErasureRequest(request); err != nil || !ok || r.Status != domain.ErasureCarriedOut || !r.ClientErased {
		t.Fatalf("the request: %+v %v %v", r, ok, err)
	}
}

// TestKnownClientsDecodingTheClientAloneEqualsFullDecode_REF14_Issue14:
// the known clients index reads each referral's client with the codec's
// DecodeClient (the box alone, prepared ahead of the batch by the runner)
// and writes the same rows, byte for byte, as when it decodes every
// referral whole, built incrementally or rebuilt; and answers searches the
// same.
func TestKnownClientsDecodingTheClientAloneEqualsFullDecode_REF14_Issue14(t *testing.T) {
	dir := t.TempDir()
	l := newClientsLog(t, dir)
	var clients []uuid.UUID
	names := map[uuid.UUID][2]string{}
	whole, alone := filepath.Join(dir, "whole.db"), filepath.Join(dir, "alone.db")
	var wantAnswers, gotAnswers string
	for range 3 {
		c, n := clientsHistory(l, 12)
		clients = append(clients, c...)
		maps.Copy(names, n)
		w := openClientsNode(t, l, whole, clientsTestKey) // decodes through Decode only
		w.run(t, l)
		if w.decoder.n.Load() == 0 {
			t.Fatal("the whole decoder decoded nothing: the test proves nothing")
		}
		wantAnswers = w.answers(t, l, clients, names)
		w.views.Close()
		var codec Decoder = ledger.NewCodec(l.keys)
		if _, ok := codec.(ClientDecoder); !ok {
			t.Fatal("the codec does not decode a client alone")
		}
		a := openClientsNodeDecoding(t, l, alone, clientsTestKey, codec)
		a.run(t, l)
		gotAnswers = a.answers(t, l, clients, names)
		a.views.Close()
	}
	want := dumpViews(t, whole)
	if len(want["known_marks"]) == 0 {
		t.Fatal("no marks: the test proves nothing")
	}
	if got := dumpViews(t, alone); !reflect.DeepEqual(got, want) {
		t.Fatalf("views built decoding the client alone differ:\n%v\n%v", got, want)
	}
	if gotAnswers != wantAnswers {
		t.Fatalf("decoding the client alone, the read models answer\n%s\nwant\n%s", gotAnswers, wantAnswers)
	}
	rebuilt := filepath.Join(dir, "rebuilt.db")
	n := openClientsNodeDecoding(t, l, rebuilt, clientsTestKey, ledger.NewCodec(l.keys))
	n.run(t, l)
	n.views.Close()
	if got := dumpViews(t, rebuilt); !reflect.DeepEqual(got, want) {
		t.Fatal("views rebuilt decoding the client alone differ from those built decoding whole referrals")
	}
}
