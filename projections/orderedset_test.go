package projections

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/uuid"
)

// TestOrderedSetAgainstSortedSlice applies random inserts and deletes to an
// orderedSet and a plain sorted slice, small blocks and large, and checks
// that walking the set from any key gives the slice's order.
func TestOrderedSetAgainstSortedSlice(t *testing.T) {
	for _, n := range []int{0, 1, 10, 3 * blockMax} {
		seed := uint64(n) + 1
		rng := rand.New(rand.NewPCG(seed, seed))
		var s orderedSet
		var want []sortKey
		key := func() sortKey {
			var id uuid.UUID
			id[0], id[15] = byte(rng.IntN(3)), byte(rng.IntN(3)) // equal ats and ranks, to exercise the id tie-break
			return keyOf(int64(rng.IntN(n+1)), uint8(rng.IntN(2)), id)
		}
		for op := 0; op < 8*n+20; op++ {
			k := key()
			if rng.IntN(3) > 0 {
				s.insert(k)
				if i, found := slices.BinarySearchFunc(want, k, sortKey.compare); !found {
					want = slices.Insert(want, i, k)
				}
			} else {
				i, found := slices.BinarySearchFunc(want, k, sortKey.compare)
				if got := s.delete(k); got != found {
					t.Fatalf("n=%d: delete(%v) = %v, want %v", n, k, got, found)
				}
				if found {
					want = slices.Delete(want, i, i+1)
				}
			}
			if s.Len() != len(want) {
				t.Fatalf("n=%d: Len %d, want %d", n, s.Len(), len(want))
			}
		}
		if len(s.last) != len(s.blocks) {
			t.Fatalf("n=%d: %d last keys for %d blocks", n, len(s.last), len(s.blocks))
		}
		for i, b := range s.blocks {
			if len(b) == 0 || len(b) > blockMax || s.last[i] != b[len(b)-1] {
				t.Fatalf("n=%d: block %d of %d keys, last key recorded %v, is %v", n, i, len(b), s.last[i], b[len(b)-1])
			}
		}
		walk := func(after *sortKey) []sortKey {
			var out []sortKey
			for it := s.from(after); ; it.next() {
				k, ok := it.peek()
				if !ok {
					return out
				}
				out = append(out, k)
			}
		}
		if got := walk(nil); !slices.Equal(got, want) {
			t.Fatalf("n=%d: walk from the start differs: %d keys, want %d", n, len(got), len(want))
		}
		for range 50 {
			k := key()
			i, found := slices.BinarySearchFunc(want, k, sortKey.compare)
			if found {
				i++
			}
			if got := walk(&k); !slices.Equal(got, want[i:]) {
				t.Fatalf("n=%d: walk after %v: %d keys, want %d", n, k, len(got), len(want)-i)
			}
		}
	}
}

func TestMergeIter(t *testing.T) {
	var a, b orderedSet
	for i := range 10 {
		k := sortKey{at: int64(i)}
		if i%3 == 0 {
			a.insert(k)
		} else {
			b.insert(k)
		}
	}
	m := mergeIter{a: a.from(nil), b: b.from(&sortKey{at: 1})}
	var got []int64
	for k, ok := m.peek(); ok; k, ok = m.peek() {
		got = append(got, k.at)
		m.next()
	}
	if want := []int64{0, 2, 3, 4, 5, 6, 7, 8, 9}; !slices.Equal(got, want) {
		t.Fatalf("merged %v, want %v", got, want)
	}
}

func TestCursor(t *testing.T) {
	k := keyOf(-1234567890123, 1, uuid.New())
	s := encodeCursor(listOutbox, k)
	got, err := decodeCursor(listOutbox, s)
	if err != nil || *got != k {
		t.Fatalf("round trip: %v, %v; want %v", got, err, k)
	}
	if got, err := decodeCursor(listOutbox, ""); got != nil || err != nil {
		t.Fatalf("empty cursor: %v, %v", got, err)
	}
	for name, bad := range map[string]string{
		"OtherList":  encodeCursor(listWork, k),
		"NotBase64":  "!!!",
		"Truncated":  s[:len(s)-2],
		"Padded":     s + "==",
		"BadRank":    encodeCursor(listOutbox, keyOf(0, 7, uuid.Nil)),
		"Whitespace": s + " ",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := decodeCursor(listOutbox, bad); err != ErrInvalidCursor {
				t.Fatalf("decode %q: %v, want ErrInvalidCursor", bad, err)
			}
		})
	}
}
