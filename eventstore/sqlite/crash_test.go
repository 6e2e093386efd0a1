package sqlite_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/eventstore/sqlite"
)

// Environment that turns TestCrashChild on and tells it what to do.
const (
	crashPathEnv = "LEDGER_CRASH_CHILD_DB"  // the ledger file
	crashRunEnv  = "LEDGER_CRASH_CHILD_RUN" // run number, to keep stream names apart
	crashIterEnv = "LEDGER_CRASH_ITERATIONS"
)

const crashWriters = 4

// ack is one event the child was told is durable.
type ack struct {
	stream   string
	revision uint64
	id       uuid.UUID
}

// TestCrashRecovery kills a writing child process with SIGKILL at a random
// moment, several times over the same file, and checks after each kill that
// every append the child saw acknowledged survived exactly once, in order,
// and the ledger still verifies. A nil error from Append must mean durable.
func TestCrashRecovery(t *testing.T) {
	iterations := 5
	if v := os.Getenv(crashIterEnv); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("%s=%q: %v", crashIterEnv, v, err)
		}
		iterations = n
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	path := filepath.Join(t.TempDir(), "ledger.db")
	var acked []ack
	for run := range iterations {
		killAfter := 10 + rng.IntN(400)
		acked = append(acked, crashChild(t, path, run, killAfter)...)
		checkSurvivors(t, path, acked)
	}
}

// crashChild runs the child until it has acknowledged killAfter events,
// kills it, and returns every acknowledgement it printed.
func crashChild(t *testing.T, path string, run, killAfter int) []ack {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashPathEnv+"="+path, crashRunEnv+"="+strconv.Itoa(run))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Only a hang waits this long; it is a failure, not synchronisation.
	watchdog := time.AfterFunc(time.Minute, func() { _ = cmd.Process.Kill() })
	defer watchdog.Stop()

	var acks []ack
	killed := false
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		a, ok := parseAck(t, lines.Text())
		if !ok {
			continue
		}
		acks = append(acks, a)
		if len(acks) == killAfter && !killed {
			killed = true
			_ = cmd.Process.Kill() // SIGKILL: no deferred code, no Close
		}
	}
	err = cmd.Wait()
	if !killed {
		t.Fatalf("child exited after %d of %d acks (%v):\n%s", len(acks), killAfter, err, stderr.String())
	}
	t.Logf("run %d: killed after %d acks, %d printed before it died", run, killAfter, len(acks))
	return acks
}

func parseAck(t *testing.T, line string) (ack, bool) {
	f := strings.Fields(line)
	if len(f) != 4 || f[0] != "ack" {
		return ack{}, false
	}
	rev, err := strconv.ParseUint(f[2], 10, 64)
	if err != nil {
		t.Fatalf("bad ack %q: %v", line, err)
	}
	return ack{stream: f[1], revision: rev, id: uuid.MustParse(f[3])}, true
}

// checkSurvivors reopens the ledger after a crash and checks every
// acknowledged event is there once, at its revision, and the chain holds.
func checkSurvivors(t *testing.T, path string, acked []ack) {
	t.Helper()
	ctx := context.Background()
	// First read-only, as the verify command would on a crashed server, with
	// the killed child's WAL still beside the file.
	if rep, err := sqlite.Verify(ctx, path); err != nil {
		t.Fatalf("Verify of the crashed file: %v (report %+v)", err, rep)
	}
	s, err := sqlite.Open(path) // recovers the WAL left by the killed child
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	all, err := s.ReadAll(ctx, eventstore.Start, 0)
	if err != nil {
		t.Fatal(err)
	}
	stored := make(map[uuid.UUID]eventstore.RecordedEvent, len(all))
	for _, ev := range all {
		if _, dup := stored[ev.ID]; dup {
			t.Fatalf("event %s stored twice", ev.ID)
		}
		stored[ev.ID] = ev
	}
	for _, a := range acked {
		ev, ok := stored[a.id]
		if !ok {
			t.Fatalf("acknowledged event %s (%s/%d) was lost", a.id, a.stream, a.revision)
		}
		if ev.Stream != a.stream || ev.Revision != a.revision {
			t.Fatalf("acknowledged event %s at %s/%d, stored at %s/%d", a.id, a.stream, a.revision, ev.Stream, ev.Revision)
		}
	}
	if rep, err := sqlite.Verify(ctx, path); err != nil {
		t.Fatalf("Verify after crash: %v (report %+v)", err, rep)
	}
}

// TestCrashChild is the process TestCrashRecovery kills. Several goroutines
// append, to their own streams at exact revisions and to one shared stream,
// so group commits carry many callers; each acknowledged event is printed
// only after Append has returned nil.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashPathEnv)
	if path == "" {
		t.Skip("runs only as the child of TestCrashRecovery")
	}
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	run := os.Getenv(crashRunEnv)
	var mu sync.Mutex
	report := func(stream string, res eventstore.AppendResult, evs []eventstore.EventData) {
		var b bytes.Buffer
		for i, ev := range evs {
			fmt.Fprintf(&b, "ack %s %d %s\n", stream, res.Revision-uint64(len(evs)-1-i), ev.ID)
		}
		mu.Lock()
		defer mu.Unlock()
		_, _ = os.Stdout.Write(b.Bytes()) // one write, so lines never interleave
	}
	for g := range crashWriters {
		go func() {
			own := fmt.Sprintf("run%s-writer%d", run, g)
			expected := eventstore.NoStream()
			for i := 0; ; i++ {
				stream, exp := own, expected
				if i%3 == 2 {
					stream, exp = "shared", eventstore.Any()
				}
				evs := []eventstore.EventData{testEvent("crash")}
				if i%4 == 0 {
					evs = append(evs, testEvent("crash"))
				}
				res, err := s.Append(context.Background(), stream, exp, evs...)
				if err != nil {
					fmt.Fprintf(os.Stderr, "append: %v\n", err)
					os.Exit(3)
				}
				if stream == own {
					expected = eventstore.Exact(res.Revision)
				}
				report(stream, res, evs)
			}
		}()
	}
	<-time.After(time.Minute) // the parent kills us long before this
	t.Fatal("the parent never killed the child")
}
