package domain

import (
	"runtime"
	"sync"
	"sync/atomic"
	"weak"
)

// A referral's notes grow by one with every note added, and a fold that
// copied them for each note would make a command on a long referral cost
// in proportion to its length (issue 14: commands without replay). So
// appendNote appends in place where it safely can: a folded state is
// shared (the ledger caches it, and readers and commands fold on from it
// concurrently), and two states folded on from the same one must never
// write the same slot of a shared backing array.
//
// noteSlots says, for each backing array appendNote made, how many of its
// slots are taken (written once, never again). Whoever holds notes of
// exactly that length may take the next slot, in place, by one atomic
// compare-and-swap; anyone else (a second future of the same state, a
// slice shorter than what was taken, or a slice appendNote did not make)
// copies into a new array. A slot is written only by the one who took it,
// before the state holding it is handed on, and a holder never reads past
// its own length, so no slot is written after anyone can read it. The
// entry is keyed by a weak pointer to the array's first element, and
// dropped once the array is collected.
var noteSlots sync.Map // weak.Pointer[Note] → *atomic.Int64

// appendNote returns notes with n after them, leaving every slot that
// notes (or any other holder of its array) can see untouched.
func appendNote(notes []Note, n Note) []Note {
	l := len(notes)
	if l == 0 {
		// The first note; read models that keep no notes come here with
		// every note, and need no more than this one slot.
		return []Note{n}
	}
	if l < cap(notes) {
		if v, ok := noteSlots.Load(weak.Make(&notes[0])); ok && v.(*atomic.Int64).CompareAndSwap(int64(l), int64(l+1)) {
			notes = notes[:l+1]
			notes[l] = n
			return notes
		}
	}
	grown := append(notes[:l:l], n)
	taken := new(atomic.Int64)
	taken.Store(int64(l + 1))
	first := &grown[0]
	key := weak.Make(first)
	noteSlots.Store(key, taken)
	runtime.AddCleanup(first, func(key weak.Pointer[Note]) { noteSlots.Delete(key) }, key)
	return grown
}
