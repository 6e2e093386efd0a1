// Package notifytest runs a real SMTP server in-process for tests of email
// notices: github.com/emersion/go-smtp on 127.0.0.1, recording the messages
// it accepts in memory, optionally with STARTTLS or implicit TLS, AUTH
// PLAIN, and refusals on demand.
package notifytest

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// NoticeHeader is the header that carries a notice's id (the same as
// notify.HeaderNoticeID, which this package cannot import: notify's own
// tests use it).
const NoticeHeader = "X-Ledger-Notice"

// WaitTimeout bounds every wait of the server's helpers.
const WaitTimeout = 15 * time.Second

// Message is one message the server accepted.
type Message struct {
	From, To  string // envelope sender and recipients (comma-separated)
	Raw       []byte
	Subject   string // decoded
	Body      string // decoded, with \n line ends
	NoticeID  string // the NoticeHeader
	MessageID string
}

// Server is a running SMTP server.
type Server struct {
	Host string
	Port int

	mu       sync.Mutex
	msgs     []Message
	attempts int           // DATA commands seen, accepted or not
	changed  chan struct{} // closed and replaced on every DATA
	refuse   func(attempt int, noticeID string) error
	user     string
	password string
}

// Options configures a Server.
type Options struct {
	// TLSConfig, if set, offers STARTTLS, or TLS from the first byte when
	// Implicit is set.
	TLSConfig *tls.Config
	Implicit  bool
	// User and Password, if set, are required with AUTH PLAIN before MAIL.
	User, Password string
}

// Start starts a server on 127.0.0.1 and stops it when the test ends.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s := &Server{changed: make(chan struct{}), user: opts.User, password: opts.Password}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.ErrorLog = nopLogger{}
	var ln net.Listener
	var err error
	if opts.Implicit {
		ln, err = tls.Listen("tcp", "127.0.0.1:0", opts.TLSConfig)
	} else {
		srv.TLSConfig = opts.TLSConfig
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		tb.Fatal(err)
	}
	s.Host, s.Port = "127.0.0.1", ln.Addr().(*net.TCPAddr).Port
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	tb.Cleanup(func() {
		srv.Close()
		<-done
	})
	return s
}

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}
func (nopLogger) Println(...any)        {}

// SetRefuse makes the server ask f about every DATA command (numbered
// from 1, accepted or not) and refuse the message with the error f
// returns; nil f accepts everything.
func (s *Server) SetRefuse(f func(attempt int, noticeID string) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = f
}

// Messages returns what was accepted so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// WaitUntil waits until cond holds for the messages accepted and the number
// of DATA attempts, woken by each DATA, failing the test after WaitTimeout.
func (s *Server) WaitUntil(tb testing.TB, what string, cond func(msgs []Message, attempts int) bool) []Message {
	tb.Helper()
	deadline := time.After(WaitTimeout)
	for {
		s.mu.Lock()
		msgs, attempts, ch := append([]Message(nil), s.msgs...), s.attempts, s.changed
		s.mu.Unlock()
		if cond(msgs, attempts) {
			return msgs
		}
		select {
		case <-ch:
		case <-deadline:
			tb.Fatalf("timed out waiting for %s: %d messages, %d attempts", what, len(msgs), attempts)
		}
	}
}

// WaitFor waits until at least n messages were accepted and returns them.
func (s *Server) WaitFor(tb testing.TB, n int) []Message {
	tb.Helper()
	return s.WaitUntil(tb, "messages", func(msgs []Message, _ int) bool { return len(msgs) >= n })
}

// PermFailure is the 5xx a server answers when it will never take the
// message, such as for a recipient it does not know.
func PermFailure() error {
	return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
}

// TempFailure is the 4xx a server answers when it cannot take mail now.
func TempFailure() error {
	return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
}

type session struct {
	s        *Server
	from     string
	to       []string
	authUser string
}

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, password string) error {
		if user != ss.s.user || password != ss.s.password {
			return errors.New("invalid credentials")
		}
		ss.authUser = user
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.user != "" && ss.authUser == "" {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "authentication required"}
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	msg := parse(raw)
	msg.From, msg.To = ss.from, strings.Join(ss.to, ",")
	s := ss.s
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts++
	close(s.changed)
	s.changed = make(chan struct{})
	if s.refuse != nil {
		if err := s.refuse(s.attempts, msg.NoticeID); err != nil {
			return err
		}
	}
	s.msgs = append(s.msgs, msg)
	return nil
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

// parse decodes the headers and (quoted-printable) body of raw.
func parse(raw []byte) Message {
	out := Message{Raw: raw}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return out
	}
	out.Subject, _ = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	out.NoticeID = m.Header.Get(NoticeHeader)
	out.MessageID = m.Header.Get("Message-Id")
	var body io.Reader = m.Body
	if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(m.Body)
	}
	b, _ := io.ReadAll(body)
	out.Body = strings.ReplaceAll(string(b), "\r\n", "\n")
	return out
}
