package auth

import (
	"sync"
	"testing"
	"time"
)

// TestAttemptStore is the AttemptStore contract both session backends pass
// (R-AUTH-5): counters start at zero, are stored as update returns them,
// updates of one key never interleave, and Purge drops only counters whose
// ForgetAfter has passed.
func TestAttemptStore(t *testing.T) { forEachSessionStore(t, testAttemptStore) }

func testAttemptStore(t *testing.T, open openSessionStore) {
	t.Run("ZeroThenStored", func(t *testing.T) {
		s := open(t, SessionConfig{})
		want := AttemptCounter{Key: "k1", Attempts: 3, WindowStart: t0, LockedUntil: t0.Add(time.Hour),
			Strikes: 2, ForgetAfter: t0.Add(2 * time.Hour)}
		err := s.UpdateAttempts([]string{"k1", "k2"}, func(cs []AttemptCounter) []AttemptCounter {
			if cs[0] != (AttemptCounter{Key: "k1"}) || cs[1] != (AttemptCounter{Key: "k2"}) {
				t.Errorf("new counters = %+v, want zero with their keys", cs)
			}
			return []AttemptCounter{want, {Key: "k2", Attempts: 1}}
		})
		if err != nil {
			t.Fatal(err)
		}
		err = s.UpdateAttempts([]string{"k2", "k1"}, func(cs []AttemptCounter) []AttemptCounter {
			if cs[1] != want || cs[0] != (AttemptCounter{Key: "k2", Attempts: 1}) {
				t.Errorf("stored counters = %+v, want k2 then %+v", cs, want)
			}
			return cs
		})
		if err != nil {
			t.Fatal(err)
		}
	})
	t.Run("Atomic", func(t *testing.T) {
		s := open(t, SessionConfig{})
		var wg sync.WaitGroup
		for i := 0; i < 20; i++ {
			wg.Go(func() {
				keys := []string{"a", "b"}
				if i%2 == 1 {
					keys = []string{"b", "a"} // opposite orders must not deadlock
				}
				err := s.UpdateAttempts(keys, func(cs []AttemptCounter) []AttemptCounter {
					for j := range cs {
						cs[j].Attempts++
					}
					return cs
				})
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		_ = s.UpdateAttempts([]string{"a", "b"}, func(cs []AttemptCounter) []AttemptCounter {
			if cs[0].Attempts != 20 || cs[1].Attempts != 20 {
				t.Errorf("after 20 concurrent increments: %d, %d", cs[0].Attempts, cs[1].Attempts)
			}
			return cs
		})
	})
	t.Run("Purge", func(t *testing.T) {
		s := open(t, SessionConfig{})
		_ = s.UpdateAttempts([]string{"old", "live"}, func(cs []AttemptCounter) []AttemptCounter {
			cs[0].Attempts, cs[0].ForgetAfter = 5, t0
			cs[1].Attempts, cs[1].ForgetAfter = 5, t0.Add(time.Second)
			return cs
		})
		if _, err := s.Purge(t0); err != nil {
			t.Fatal(err)
		}
		_ = s.UpdateAttempts([]string{"old", "live"}, func(cs []AttemptCounter) []AttemptCounter {
			if cs[0].Attempts != 0 || cs[1].Attempts != 5 {
				t.Errorf("after Purge: old %d, live %d attempts; want 0 and 5", cs[0].Attempts, cs[1].Attempts)
			}
			return cs
		})
	})
}

// TestSessionIdleTimeoutAnyLength proves R-AUTH-3's idle timeout for any
// length from a second up: a session used at intervals shorter than the
// idle timeout lives until its absolute end, and one left alone for longer
// than the idle timeout dies. The clock is injected.
func TestSessionIdleTimeoutAnyLength(t *testing.T) {
	forEachSessionStore(t, testSessionIdleTimeoutAnyLength)
}

func testSessionIdleTimeoutAnyLength(t *testing.T, open openSessionStore) {
	for _, idle := range []time.Duration{time.Second, 2 * time.Second, time.Minute, 30 * time.Minute} {
		t.Run(idle.String(), func(t *testing.T) {
			absolute := 20 * idle
			s := open(t, SessionConfig{IdleTimeout: idle, AbsoluteTimeout: absolute})
			for _, every := range []time.Duration{idle / 4, idle * 95 / 100} {
				token, _ := create(t, s, "user-1", t0)
				at := t0
				for at.Add(every).Before(t0.Add(absolute)) {
					at = at.Add(every)
					if _, err := s.Lookup(token, at); err != nil {
						t.Fatalf("used every %v: refused at +%v: %v", every, at.Sub(t0), err)
					}
				}
				wantUnauthorized(t, s, token, t0.Add(absolute))
			}
			token, _ := create(t, s, "user-1", t0)
			if _, err := s.Lookup(token, t0.Add(idle/2)); err != nil {
				t.Fatal(err)
			}
			wantUnauthorized(t, s, token, t0.Add(idle/2+idle+time.Millisecond))
		})
	}
}
