package auth

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/domain"
)

// TestLimitedHasherBounded_AUTH5 proves R-AUTH-5: however many checks
// arrive at once, no more than the limit of hashes run together, and a
// check that finds no slot is refused as Unavailable with a Retry-After,
// not queued without bound.
func TestLimitedHasherBounded_AUTH5(t *testing.T) {
	cheap := Hasher{Memory: 64, Time: 1}
	encoded, err := cheap.Hash("Tr1cky-Walrus#Ledger")
	if err != nil {
		t.Fatal(err)
	}
	l := NewLimitedHasher(cheap, 3)
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Go(func() {
			var err error
			switch i % 3 {
			case 0:
				_, err = l.Verify(encoded, "wrong")
			case 1:
				err = l.DummyVerify("wrong")
			default:
				_, err = l.Hash("Fresh-Heron#2027")
			}
			var busy BusyError
			if err != nil && !errors.As(err, &busy) {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if l.Peak() > 3 || l.Peak() < 1 || l.InFlight() != 0 {
		t.Fatalf("peak %d, in flight %d; want 1..3 and 0", l.Peak(), l.InFlight())
	}

	// Every slot taken: the next check waits briefly, then is refused.
	full := NewLimitedHasher(cheap, 1)
	full.wait = time.Millisecond
	if err := full.acquire(); err != nil {
		t.Fatal(err)
	}
	_, err = full.Verify(encoded, "Tr1cky-Walrus#Ledger")
	if domain.ErrorCode(err) != domain.Unavailable {
		t.Fatalf("Verify with no free slot: %v, want Unavailable", err)
	}
	var ra interface{ RetryAfter() time.Duration }
	if !errors.As(err, &ra) || ra.RetryAfter() <= 0 {
		t.Fatalf("refusal %v carries no Retry-After", err)
	}
	full.release()
	if ok, err := full.Verify(encoded, "Tr1cky-Walrus#Ledger"); !ok || err != nil {
		t.Fatalf("Verify once the slot is free: %v, %v", ok, err)
	}
}
