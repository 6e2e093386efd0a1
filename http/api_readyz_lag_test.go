package http

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/config"
	"github.com/referral-ledger/ledger/domain"
	"github.com/referral-ledger/ledger/eventstore"
)

// gatedStore holds back what subscriptions deliver while its gate is shut,
// so the views fall behind the store as they do when writes outrun them.
type gatedStore struct {
	eventstore.Store
	mu   sync.Mutex
	open chan struct{} // closed while the gate is open
}

func newGatedStore(s eventstore.Store) *gatedStore {
	g := &gatedStore{Store: s, open: make(chan struct{})}
	close(g.open)
	return g
}

func (g *gatedStore) shut() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.open = make(chan struct{})
}

func (g *gatedStore) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-g.open:
	default:
		close(g.open)
	}
}

func (g *gatedStore) gate() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.open
}

func (g *gatedStore) Subscribe(ctx context.Context, from eventstore.Position) eventstore.Subscription {
	inner := g.Store.Subscribe(ctx, from)
	out := &gatedSub{Subscription: inner, events: make(chan eventstore.RecordedEvent), done: make(chan struct{})}
	go func() {
		defer close(out.events)
		for ev := range inner.Events() {
			select {
			case <-g.gate():
			case <-out.done:
				return
			}
			select {
			case out.events <- ev:
			case <-out.done:
				return
			}
		}
	}()
	return out
}

type gatedSub struct {
	eventstore.Subscription
	events chan eventstore.RecordedEvent
	done   chan struct{}
	once   sync.Once
}

func (s *gatedSub) Events() <-chan eventstore.RecordedEvent { return s.events }

func (s *gatedSub) Close() {
	s.once.Do(func() { close(s.done) })
	s.Subscription.Close()
}

// TestReadyzWhileViewsLag_VIEW5_OPS4 reproduces issue 4's readiness rule:
// /readyz answers 503 "catching_up", naming the lag, while the views are
// more than projections.max_lag_events behind the store, and ready again
// once they have caught up (R-VIEW-5, R-OPS-4).
func TestReadyzWhileViewsLag_VIEW5_OPS4(t *testing.T) {
	var gs *gatedStore
	a := newTestAPI(t, withFaults(func(s eventstore.Store) eventstore.Store { gs = newGatedStore(s); return gs }, nil),
		func(c *apiConfig) { c.configure = func(conf *config.Config) { conf.Projections.MaxLagEvents = 2 } })
	org := a.registerOrg(t, "Alpha Advice")
	ready := func() (int, map[string]any) {
		t.Helper()
		r := a.do(t, http.MethodGet, "/readyz", "", nil)
		var body map[string]any
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Fatalf("readyz body %q: %v", r.Body, err)
		}
		return r.Status, body
	}
	if status, body := ready(); status != http.StatusOK || body["status"] != "ready" {
		t.Fatalf("readyz before any lag: %d %v", status, body)
	}

	// Three writes the views do not see yet: more than the 2 allowed.
	gs.shut()
	coordinator := domain.Actor{UserID: uuid.MustParse(a.Admin.ID), OrganisationID: uuid.MustParse(a.Admin.OrgID),
		Roles: []domain.Role{domain.RoleCoordinator}}
	for i, description := range []string{"Debt advice.", "Debt and housing advice.", "Advice."} {
		if _, _, err := a.Server.Service.UpdateOrganisation(context.Background(), coordinator, uuid.MustParse(org),
			domain.UpdateOrganisation{Description: &description}); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
	status, body := ready()
	if status != http.StatusServiceUnavailable || body["status"] != "catching_up" {
		t.Fatalf("readyz with the views 3 events behind (limit 2): %d %v", status, body)
	}
	if lag, _ := body["lag"].(float64); lag < 3 {
		t.Fatalf("readyz names a lag of %v, want at least 3", body["lag"])
	}

	gs.release()
	// An authenticated read waits for the views to reach the head (read
	// your writes), after which readiness is back.
	want(t, a.do(t, http.MethodGet, "/v1/directory", a.Admin.Token, nil), http.StatusOK)
	if status, body := ready(); status != http.StatusOK || body["status"] != "ready" {
		t.Fatalf("readyz once caught up: %d %v", status, body)
	}
}
