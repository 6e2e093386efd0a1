package http

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/eventstore"
	"github.com/referral-ledger/ledger/ledger"
)

// streamReads counts the reads of each stream, to tell whether a request
// looked at a client's streams at all.
type streamReads struct {
	eventstore.Store
	mu    sync.Mutex
	reads map[string]int
}

func (s *streamReads) ReadStream(ctx context.Context, stream string, from uint64, limit int) ([]eventstore.RecordedEvent, error) {
	s.mu.Lock()
	s.reads[stream]++
	s.mu.Unlock()
	return s.Store.ReadStream(ctx, stream, from, limit)
}

func (s *streamReads) of(streams ...string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, st := range streams {
		n += s.reads[st]
	}
	return n
}

// TestMessagesRefusedBeforeTheCaseIsRead_LOCK12: someone a hidden lock
// keeps out who asks for the messages passed on about the client is
// refused as for a client that does not exist, and in the same time: the
// refusal is decided on the read models, before the client's stream or
// its messages are read, so it does not take longer the more the case
// holds (R-LOCK-12: timing of answers, messages). Whoever the lock lets
// in, a temporary grantee the moment they are let in included, still
// reads them (R-LOCK-8).
func TestMessagesRefusedBeforeTheCaseIsRead_LOCK12(t *testing.T) {
	var reads *streamReads
	ln := newLockNet(t, withFaults(func(s eventstore.Store) eventstore.Store {
		reads = &streamReads{Store: s, reads: map[string]int{}}
		return reads
	}, nil))
	ln.lock(t, ln.Client, map[string]any{"hide_notification": true})
	want(t, ln.do(t, http.MethodPost, "/v1/clients/"+ln.Client+"/messages", ln.HelpdeskB.Token,
		map[string]any{"text": "the caller's neighbour rang", "child_protection": false}), http.StatusAccepted)
	client, _ := uuid.Parse(ln.Client)
	streams := []string{ledger.ClientStream(client), ledger.MessagesStream(client)}

	for _, u := range []testUser{ln.LeadB, ln.AdviserA, ln.HelpdeskB} {
		before := reads.of(streams...)
		ln.sameAsUnknown(t, u, http.MethodGet, "/v1/clients/"+ln.Client+"/messages", "/v1/clients/"+uuid.NewString()+"/messages", nil)
		if after := reads.of(streams...); after != before {
			t.Fatalf("%s, kept out by a hidden lock, was refused only after the client's streams were read (%d reads)", u.Username, after-before)
		}
	}

	r := want(t, ln.do(t, http.MethodGet, "/v1/clients/"+ln.Client+"/messages", ln.AdviserB.Token, nil), http.StatusOK)
	if !strings.Contains(string(r.Body), "neighbour") {
		t.Fatalf("the responsible person should read the message: %s", r.Body)
	}
	want(t, ln.do(t, http.MethodPost, "/v1/clients/"+ln.Client+"/temporary-access", ln.AdviserB.Token,
		map[string]any{"user_id": ln.LeadB.ID, "reason": "covering", "hours": 1}), http.StatusCreated)
	r = want(t, ln.do(t, http.MethodGet, "/v1/clients/"+ln.Client+"/messages", ln.LeadB.Token, nil), http.StatusOK)
	if !strings.Contains(string(r.Body), "neighbour") {
		t.Fatalf("the temporary grantee should read the message: %s", r.Body)
	}
}

// TestLockRequestReadRefusedBeforeTheCaseIsRead_LOCK12: someone a hidden
// lock keeps out who asks for one of its lock or unlock requests by id is
// refused as for a request that does not exist, and in the same time:
// the refusal is decided on the read models before the client's stream is
// read (R-LOCK-12: timing of answers). Whoever made or decides the request
// still reads it.
func TestLockRequestReadRefusedBeforeTheCaseIsRead_LOCK12(t *testing.T) {
	var reads *streamReads
	ln := newLockNet(t, withFaults(func(s eventstore.Store) eventstore.Store {
		reads = &streamReads{Store: s, reads: map[string]int{}}
		return reads
	}, nil))
	lock := ln.lock(t, ln.Client, map[string]any{"hide_notification": true})
	unlock := want(t, ln.do(t, http.MethodPost, "/v1/clients/"+ln.Client+"/unlock-requests", ln.TeamManager.Token,
		map[string]any{"reason": "over"}), http.StatusCreated).str("id")
	client, _ := uuid.Parse(ln.Client)
	stream := ledger.ClientStream(client)

	for _, request := range []string{lock, unlock} {
		for _, u := range []testUser{ln.LeadB, ln.AdviserA, ln.HelpdeskB} {
			before := reads.of(stream)
			ln.sameAsUnknown(t, u, http.MethodGet, "/v1/lock-requests/"+request, "/v1/lock-requests/"+uuid.NewString(), nil)
			if after := reads.of(stream); after != before {
				t.Fatalf("%s, kept out by a hidden lock, was refused request %s only after the client's stream was read (%d reads)",
					u.Username, request, after-before)
			}
		}
		for _, u := range []testUser{ln.TeamManager, ln.ServiceManager} {
			if r := want(t, ln.do(t, http.MethodGet, "/v1/lock-requests/"+request, u.Token, nil), http.StatusOK); r.str("id") != request {
				t.Fatalf("%s reading request %s: %s", u.Username, request, r.Body)
			}
		}
	}
}
