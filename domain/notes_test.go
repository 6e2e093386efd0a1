package domain_test

import (
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/referral-ledger/ledger/domain"
)

// noted folds a note with text onto r, as the next event of its stream.
func noted(r domain.Referral, text string) domain.Referral {
	return domain.EvolveReferral(r, domain.Recorded{Event: &domain.ReferralNoteAdded{NoteID: id(text), Text: text},
		At: t0, ActorUserID: receiverAdviser.UserID, ActorOrganisationID: receiverAdviser.OrganisationID, Revision: r.Revision + 1})
}

func noteTexts(r domain.Referral) []string {
	out := make([]string, len(r.Notes))
	for i, n := range r.Notes {
		out[i] = n.Text
	}
	return out
}

// TestEvolveReferral_NotesNotCopiedPerNote_Issue14 (point 5): adding a
// note to the latest state does not copy the notes before it (a command on
// a long referral costs what it costs on a short one), yet every earlier
// state still holds exactly its own notes, in order (R-LEDGER-1).
func TestEvolveReferral_NotesNotCopiedPerNote_Issue14(t *testing.T) {
	r := given(ackedRef()...).referral()
	const count = 1000
	texts := make([]string, count)
	for i := range texts {
		texts[i] = fmt.Sprint("note ", i)
	}
	states := make([]domain.Referral, 0, count)
	arrays := 0
	for i := range count {
		next := noted(r, texts[i])
		if len(r.Notes) == 0 || &next.Notes[0] != &r.Notes[0] {
			arrays++
		}
		r = next
		states = append(states, r)
	}
	// Growth by a constant factor: a few dozen arrays for a thousand notes,
	// not one per note.
	if arrays > 64 {
		t.Fatalf("%d arrays for %d notes: the notes were copied for each note", arrays, count)
	}
	for i, s := range states {
		if len(s.Notes) != i+1 {
			t.Fatalf("state %d has %d notes, want %d", i, len(s.Notes), i+1)
		}
		if got := noteTexts(s); !slices.Equal(got, texts[:i+1]) {
			t.Fatalf("state %d has notes %v, want %v", i, got, texts[:i+1])
		}
	}
}

// TestEvolveReferral_ConcurrentFuturesShareNoNote_Issue14 (point 5,
// R-LEDGER-1): a cached state is folded on by concurrent commands and
// reads; each future gets its own notes, whichever one appends where the
// state left spare room, and readers of the state see it unchanged. Run
// under -race, it also proves no slot is written while another reads it.
func TestEvolveReferral_ConcurrentFuturesShareNoNote_Issue14(t *testing.T) {
	base := given(ackedRef()...).referral()
	for i := range 5 { // 5 notes appended one by one leave spare room
		base = noted(base, fmt.Sprint("base ", i))
	}
	if cap(base.Notes) == len(base.Notes) {
		t.Fatal("the base state has no spare room: the test would prove nothing")
	}
	before := slices.Clone(base.Notes)
	const futures, steps = 8, 40
	results := make([]domain.Referral, futures)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for f := range futures {
		wg.Add(2)
		go func() { // a command (or a read catching up) folding on from base
			defer wg.Done()
			<-start
			r := base
			for s := range steps {
				r = noted(r, fmt.Sprint("future ", f, " step ", s))
			}
			results[f] = r
		}()
		go func() { // a reader of base, as a GET of the cached state
			defer wg.Done()
			<-start
			for range steps {
				if !reflect.DeepEqual(base.Notes, before) {
					t.Error("the base state's notes changed while read")
					return
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	if !reflect.DeepEqual(base.Notes, before) {
		t.Fatalf("the base state changed: %v", noteTexts(base))
	}
	for f, r := range results {
		want := noteTexts(base)
		for s := range steps {
			want = append(want, fmt.Sprint("future ", f, " step ", s))
		}
		if got := noteTexts(r); !slices.Equal(got, want) {
			t.Fatalf("future %d has notes %v, want %v", f, got, want)
		}
	}
}

// TestEvolveReferral_NotesOfAShorterSliceAreCopied_Issue14: a state whose
// notes end before what another state of the same array already took
// (an older state, or notes cut short by a caller) gets a copy, never the
// other state's slot.
func TestEvolveReferral_NotesOfAShorterSliceAreCopied_Issue14(t *testing.T) {
	r := given(ackedRef()...).referral()
	for i := range 6 {
		r = noted(r, fmt.Sprint("note ", i))
	}
	older := r
	older.Notes = r.Notes[:3]
	forked := noted(older, "fork")
	if got, want := noteTexts(forked), []string{"note 0", "note 1", "note 2", "fork"}; !slices.Equal(got, want) {
		t.Fatalf("fork of the shorter notes: %v, want %v", got, want)
	}
	if got := r.Notes[3].Text; got != "note 3" {
		t.Fatalf("the longer state's 4th note became %q", got)
	}
}
