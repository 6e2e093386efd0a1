package notify

import (
	"bufio"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// takenThenDropped is an SMTP server that takes every message (250 after
// DATA) and then, at the next command the client sends (NOOP, RSET or
// QUIT), answers with after, or drops the connection when after is "".
type takenThenDropped struct {
	after string

	mu    sync.Mutex
	taken []string // the X-Ledger-Notice of each message taken
}

func startTakenThenDropped(t *testing.T, after string) (*takenThenDropped, SMTPConfig) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &takenThenDropped{after: after}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); s.serve(c) }()
		}
	}()
	addr := ln.Addr().(*net.TCPAddr)
	return s, SMTPConfig{Host: "127.0.0.1", Port: addr.Port, TLS: TLSNone, From: "ledger@example.net", Timeout: 5 * time.Second}
}

func (s *takenThenDropped) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	say := func(line string) { _, _ = c.Write([]byte(line + "\r\n")) }
	say("220 localhost ESMTP")
	taken := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		if taken {
			if s.after != "" {
				say(s.after)
			}
			return
		}
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250 localhost")
		case strings.HasPrefix(cmd, "DATA"):
			say("354 go ahead")
			var id string
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				if v, ok := strings.CutPrefix(l, HeaderNoticeID+": "); ok {
					id = strings.TrimSpace(v)
				}
			}
			s.mu.Lock()
			s.taken = append(s.taken, id)
			s.mu.Unlock()
			say("250 2.0.0 queued")
			taken = true
		default:
			say("250 ok")
		}
	}
}

func (s *takenThenDropped) messages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.taken...)
}

// TestSMTPSenderTakenThenDropped_NOTE3: a mail server that took a notice
// (250 after DATA) and then dropped the connection, or answered the RSET
// or QUIT that follows with an error, has the notice: it will deliver it.
// Send reported that as a failure, so the notifier sent the notice again
// at its next attempt, and the recipient got it twice (or more, once per
// attempt), although no crash happened. Send now returns nil once the
// server has taken the message: each notice is sent once (R-NOTE-3).
func TestSMTPSenderTakenThenDropped_NOTE3(t *testing.T) {
	for name, after := range map[string]string{"dropped": "", "421": "421 4.4.2 closing", "554": "554 5.0.0 no"} {
		t.Run(name, func(t *testing.T) {
			srv, cfg := startTakenThenDropped(t, after)
			s, err := NewSMTPSender(cfg)
			if err != nil {
				t.Fatal(err)
			}
			m := Message{ID: "0123456789abcdef", Kind: KindNewReferral, Reference: "7KQ4-M2XD", To: "admin@to.example",
				Subject: "s", Body: "b", Link: publicURL + "/referrals/x"}
			if err := s.Send(context.Background(), m); err != nil {
				t.Errorf("Send = %v after the server took the message; want nil, or the notice is sent again", err)
			}
			if got := srv.messages(); len(got) != 1 || got[0] != m.ID {
				t.Fatalf("server took %v, want the notice once", got)
			}
		})
	}
}
