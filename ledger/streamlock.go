package ledger

import "sync"

// streamLocks serialises this process's commands on each stream. Without
// it, concurrent commands on one stream (twenty advisers noting a busy
// referral at once) fail each other's appends and can run out of retries,
// answering 409 to writes that did not conflict. Appends still carry the
// expected revision, so a writer in another process is caught by the store
// and the command decided again (R-LEDGER-2). The zero value is ready to
// use; a stream's entry lives only while a command holds or awaits it.
type streamLocks struct {
	mu    sync.Mutex
	locks map[string]*streamLock
}

type streamLock struct {
	sync.Mutex
	waiters int // commands holding or awaiting the lock; guarded by streamLocks.mu
}

// lock takes stream's lock and returns its release.
func (l *streamLocks) lock(stream string) (unlock func()) {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = make(map[string]*streamLock)
	}
	sl := l.locks[stream]
	if sl == nil {
		sl = &streamLock{}
		l.locks[stream] = sl
	}
	sl.waiters++
	l.mu.Unlock()

	sl.Lock()
	return func() {
		sl.Unlock()
		l.mu.Lock()
		if sl.waiters--; sl.waiters == 0 {
			delete(l.locks, stream)
		}
		l.mu.Unlock()
	}
}
