package node

// The scale measurement of issue 14 (point 8): it builds a ledger of N
// events quickly (direct appends through the store, events encoded by the
// real codec, client data sealed), then measures, each in a fresh child
// process, a full rebuild of the views through the real runner, a
// restart to ready, the memory held after it (VmRSS) and the cost of
// reading a view. It runs only when asked:
//
//	LEDGER_SCALE_EVENTS=10000,100000,1000000 go test -run TestScaleMeasure -v -timeout 2h ./node
//
// LEDGER_SCALE_KEEP=DIR keeps each generated data directory in DIR/N.
// It reports figures and asserts no timing.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/referral-ledger/ledger/config"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/internal/cpuclock"
	"github.com/referral-ledger/ledger/internal/scaleledger"
	"github.com/referral-ledger/ledger/projections"
)

// scaleFigures is what one child process measured.
type scaleFigures struct {
	Events       uint64             `json:"events"`
	Seconds      float64            `json:"seconds"`     // to ready: every event applied
	CPUSeconds   float64            `json:"cpu_seconds"` // the process's CPU time to ready (user + system)
	EventsPerSec float64            `json:"events_per_s"`
	RSSMB        float64            `json:"rss_mb"` // VmRSS once ready
	HeapMB       float64            `json:"heap_mb"`
	ReadMicros   map[string]float64 `json:"read_us"`     // mean wall time of one view read
	ReadCPU      map[string]float64 `json:"read_cpu_us"` // mean CPU time of one view read
	ViewsMB      float64            `json:"views_mb"`
}

func scaleConfig(dir string) config.Config {
	cfg := config.Default()
	cfg.DataDir = dir
	cfg.Notify.Enabled = false
	return cfg
}

// TestScaleChild is the child process's side: it builds the node on
// LEDGER_SCALE_DIR, rebuilds the views (LEDGER_SCALE_MODE=rebuild) or
// resumes them (restart), waits until they hold every event and prints
// its figures as one JSON line.
func TestScaleChild(t *testing.T) {
	dir := os.Getenv("LEDGER_SCALE_DIR")
	if dir == "" {
		t.Skip("the child of TestScaleMeasure")
	}
	ctx := context.Background()
	began := time.Now()
	n, err := Build(scaleConfig(dir), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if os.Getenv("LEDGER_SCALE_MODE") == "rebuild" {
		if err := n.Runner.ResetViews(ctx); err != nil {
			t.Fatal(err)
		}
		began = time.Now()
	}
	head, err := n.Store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- n.Runner.Run(runCtx) }()
	defer func() { stop(); <-done }()
	if err := n.Runner.WaitFor(ctx, head); err != nil {
		t.Fatal(err)
	}
	took := time.Since(began)
	f := scaleFigures{Events: uint64(head), Seconds: took.Seconds(), EventsPerSec: float64(head) / took.Seconds(),
		RSSMB: processRSS(t, os.Getpid()), ReadMicros: map[string]float64{}, ReadCPU: map[string]float64{}, CPUSeconds: cpuTime().Seconds()}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	f.HeapMB = float64(ms.HeapAlloc) / (1 << 20)
	if info, err := os.Stat(filepath.Join(dir, projections.ViewsFile)); err == nil {
		f.ViewsMB = float64(info.Size()) / (1 << 20)
	}
	orgs := readOrgs(t, dir)
	now := time.Date(2026, time.December, 1, 12, 0, 0, 0, time.UTC)
	measure := func(name string, read func(i int) error) {
		const rounds = 200
		start, cpu := time.Now(), cpuTime()
		for i := range rounds {
			if err := read(i); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		f.ReadMicros[name] = float64(time.Since(start).Microseconds()) / rounds
		f.ReadCPU[name] = float64((cpuTime() - cpu).Microseconds()) / rounds
	}
	measure("inbox", func(i int) error {
		_, err := n.Referrals.Inbox(projections.InboxQuery{Organisation: orgs[i%len(orgs)]}, now)
		return err
	})
	measure("outbox", func(i int) error {
		_, err := n.Referrals.Outbox(projections.OutboxQuery{Organisation: orgs[i%len(orgs)]}, now)
		return err
	})
	measure("overdue-network", func(int) error {
		_, err := n.Referrals.Overdue(projections.OverdueQuery{}, now)
		return err
	})
	measure("search-status", func(i int) error {
		_, err := n.Referrals.Search(projections.SearchQuery{Organisation: orgs[i%len(orgs)], Status: domain.StatusAcknowledged}, now)
		return err
	})
	line, _ := json.Marshal(f)
	fmt.Printf("SCALE %s\n", line)
}

// readOrgs reads the organisations the generator used, from the file the
// parent left beside the ledger.
func readOrgs(t *testing.T, dir string) []uuid.UUID {
	b, err := os.ReadFile(filepath.Join(dir, "scale-orgs.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var out []uuid.UUID
	for _, s := range strings.Fields(string(b)) {
		out = append(out, uuid.MustParse(s))
	}
	return out
}

// cpuTime is the CPU time, user and system, the process has used so far.
var cpuTime = cpuclock.Process

// TestScaleMeasure generates a ledger of each size in LEDGER_SCALE_EVENTS
// and runs the children on it: a full rebuild, then a restart.
func TestScaleMeasure(t *testing.T) {
	sizes := os.Getenv("LEDGER_SCALE_EVENTS")
	if sizes == "" {
		t.Skip("set LEDGER_SCALE_EVENTS=10000,100000,1000000 to measure")
	}
	for _, s := range strings.Split(sizes, ",") {
		events, err := strconv.Atoi(s)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if keep := os.Getenv("LEDGER_SCALE_KEEP"); keep != "" {
			// Kept for a look afterwards (ledger serve on it, a profile).
			dir = filepath.Join(keep, s)
			if err := os.MkdirAll(dir, 0o700); err != nil {
				t.Fatal(err)
			}
		}
		// The master key is kept in the data directory, where the
		// children find it.
		n, err := Build(scaleConfig(dir), zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		began := time.Now()
		// The node's own codec: every client gets a real key in keys.db,
		// as the service gives them, so a real server starts on it.
		net := scaleledger.Generate(t, n.Store, n.Service.Codec(), events)
		gen := time.Since(began)
		n.Close()
		var orgs []string
		for _, o := range net.Orgs {
			orgs = append(orgs, o.String())
		}
		if err := os.WriteFile(filepath.Join(dir, "scale-orgs.txt"), []byte(strings.Join(orgs, "\n")), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Logf("%d events: generated in %s", events, gen.Round(time.Millisecond))
		for _, mode := range []string{"rebuild", "restart"} {
			args := []string{"-test.run=^TestScaleChild$", "-test.count=1"}
			if prof := os.Getenv("LEDGER_SCALE_PROFILE"); prof != "" {
				args = append(args, "-test.cpuprofile="+prof+"-"+mode+"-"+s+".prof")
			}
			cmd := exec.Command(os.Args[0], args...)
			cmd.Env = append(os.Environ(), "LEDGER_SCALE_DIR="+dir, "LEDGER_SCALE_MODE="+mode)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s child: %v\n%s", mode, err, out)
			}
			for _, line := range strings.Split(string(out), "\n") {
				if rest, ok := strings.CutPrefix(line, "SCALE "); ok {
					t.Logf("%d events, %s: %s", events, mode, rest)
				}
			}
		}
		// The real server, twice: the first start (which bootstraps the
		// coordinator) and a restart.
		for _, run := range []string{"serve, first start", "serve, restart"} {
			took, rss := serveUntilListening(t, ledgerBinary(t), dir)
			t.Logf("%d events, %s: to listening (ready) %.2f s, VmRSS %.0f MB", events, run, took.Seconds(), rss)
		}
	}
}

var buildLedger = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(os.TempDir(), fmt.Sprintf("ledger-scale-%d", os.Getpid()))
	out, err := exec.Command("go", "build", "-o", bin, "github.com/referral-ledger/ledger/cmd/ledger").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// ledgerBinary builds cmd/ledger once for the measurement.
func ledgerBinary(t *testing.T) string {
	bin, err := buildLedger()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// serveUntilListening starts `ledger serve` on dir with the default
// configuration and returns how long it took to listen (it listens only
// once ready: views caught up, log verified, keys checked) and its VmRSS
// then, after /readyz answered 200. It stops the server with SIGTERM.
func serveUntilListening(t *testing.T, bin, dir string) (time.Duration, float64) {
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "LEDGER_DATA_DIR="+dir, "LEDGER_HTTP_ADDR=127.0.0.1:0",
		"LEDGER_BOOTSTRAP_PASSWORD=Scale-measure#2026", "LEDGER_LOG_LEVEL=warn")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	began := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()
	lines := bufio.NewScanner(stdout)
	var base string
	for lines.Scan() {
		if rest, ok := strings.CutPrefix(lines.Text(), "referral ledger listening on "); ok {
			base, _, _ = strings.Cut(rest, " ")
			break
		}
	}
	took := time.Since(began)
	go func() {
		for lines.Scan() {
		}
	}()
	if base == "" {
		_ = cmd.Wait()
		t.Fatalf("serve did not start: %s", stderr.String())
	}
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/readyz answered %d", resp.StatusCode)
	}
	return took, processRSS(t, cmd.Process.Pid)
}

// processRSS is a process's resident memory in MiB.
func processRSS(t *testing.T, pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
