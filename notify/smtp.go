package notify

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/mail"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// TLSMode says how the connection to the SMTP server is protected.
type TLSMode string

// The TLS modes.
const (
	TLSStartTLS TLSMode = "starttls" // plain connection upgraded with STARTTLS, which is required
	TLSImplicit TLSMode = "tls"      // TLS from the first byte (SMTPS, usually port 465)
	TLSNone     TLSMode = "none"     // no encryption: only for a relay on the same host
)

// SMTPConfig says where and how to send mail.
type SMTPConfig struct {
	Host     string
	Port     int
	Username string // empty: no authentication
	Password string
	TLS      TLSMode
	From     string // the From address of every notice
	// TLSConfig replaces the default TLS settings (system roots, server
	// name Host), e.g. to trust a private CA. Nil keeps the defaults.
	TLSConfig *tls.Config
	// Timeout bounds connecting and each SMTP exchange; zero means 30s.
	Timeout time.Duration
}

// SMTPSender sends notices through an SMTP server with
// github.com/wneessen/go-mail, one connection per notice, so that one
// failure never affects another notice.
type SMTPSender struct {
	client     *gomail.Client
	from       string
	fromDomain string
}

// NewSMTPSender checks cfg and returns a sender; it does not connect.
func NewSMTPSender(cfg SMTPConfig) (*SMTPSender, error) {
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("smtp.from: %w", err)
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	opts := []gomail.Option{gomail.WithPort(cfg.Port), gomail.WithTimeout(timeout)}
	switch cfg.TLS {
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		return nil, fmt.Errorf("smtp.tls: unknown mode %q", cfg.TLS)
	}
	if cfg.TLSConfig != nil {
		tc := cfg.TLSConfig.Clone()
		if tc.ServerName == "" {
			tc.ServerName = cfg.Host
		}
		opts = append(opts, gomail.WithTLSConfig(tc))
	}
	if cfg.Username != "" {
		// The strongest mechanism the server offers; PLAIN and LOGIN are
		// refused over an unencrypted connection to another host.
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	client, err := gomail.NewClient(cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("smtp: %w", err)
	}
	return &SMTPSender{client: client, from: from.String(), fromDomain: domainOf(from.Address)}, nil
}

// Send implements Sender. The Message-ID is derived from the notice id, and
// the id is also sent in an X-Ledger-Notice header, so duplicates are
// recognisable downstream.
func (s *SMTPSender) Send(ctx context.Context, m Message) error {
	msg := gomail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return fmt.Errorf("smtp: from: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("smtp: recipient of notice %s: %w", m.ID, err)
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.ID + "@" + s.fromDomain)
	msg.SetGenHeader(HeaderNoticeID, m.ID)
	msg.SetGenHeader("Auto-Submitted", "auto-generated") // RFC 3834: no auto-replies
	msg.SetDate()
	msg.SetBodyString(gomail.TypeTextPlain, m.Body)
	if err := s.client.DialAndSendWithContext(ctx, msg); err != nil && !msg.IsDelivered() {
		return fmt.Errorf("smtp: notice %s: %w", m.ID, err)
	}
	// Taken: the server answered 250 to the message's DATA, and delivers
	// it. A failure after that (of the RSET or QUIT that follow, or the
	// connection dropped) is not the notice's: reporting it would send
	// the notice again (R-NOTE-3).
	return nil
}

// HeaderNoticeID is the header that carries a notice's id in every email.
const HeaderNoticeID = "X-Ledger-Notice"
