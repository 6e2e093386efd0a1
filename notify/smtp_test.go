package notify

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/referral-ledger/ledger/notify/notifytest"
)

// selfSigned returns a server TLS config for 127.0.0.1 and a client one
// trusting it.
func selfSigned(tb testing.TB) (server, client *tls.Config) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test mail server"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12},
		&tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
}

// TestSMTPSender sends a notice through a real SMTP server in each TLS
// mode, with and without authentication.
func TestSMTPSender(t *testing.T) {
	serverTLS, clientTLS := selfSigned(t)
	for _, tc := range []struct {
		name      string
		serverTLS *tls.Config
		implicit  bool
		mode      TLSMode
		user      string
		password  string // given by the sender
		wantErr   string
	}{
		{name: "OKStartTLSWithAuth", serverTLS: serverTLS, mode: TLSStartTLS, user: "ledger", password: "s3cret"},
		{name: "OKImplicitTLS", serverTLS: serverTLS, implicit: true, mode: TLSImplicit},
		{name: "OKNoTLSLocalRelay", mode: TLSNone},
		{name: "ErrStartTLSNotOffered", mode: TLSStartTLS, wantErr: "STARTTLS"},
		{name: "ErrWrongPassword", serverTLS: serverTLS, mode: TLSStartTLS, user: "ledger", password: "wrong", wantErr: "auth"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := notifytest.Options{TLSConfig: tc.serverTLS, Implicit: tc.implicit}
			if tc.user != "" {
				opts.User, opts.Password = tc.user, "s3cret"
			}
			ms := notifytest.Start(t, opts)
			cfg := smtpConfig(ms)
			cfg.TLS, cfg.Username, cfg.Password, cfg.TLSConfig = tc.mode, tc.user, tc.password, clientTLS
			s, err := NewSMTPSender(cfg)
			if err != nil {
				t.Fatal(err)
			}
			m := Message{ID: "0123456789abcdef", Kind: KindNewReferral, Reference: "R-01234567", To: "admin@to.example",
				Subject: "[Referral ledger] New referral R-01234567 for Café Ünïcode", Body: "Link: " + publicURL + "/referrals/" +
					strings.Repeat("x", 120) + "\n"}
			err = s.Send(context.Background(), m)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(tc.wantErr)) {
					t.Fatalf("Send = %v, want an error about %s", err, tc.wantErr)
				}
				if tc.password != "" && strings.Contains(err.Error(), tc.password) {
					t.Errorf("the error shows the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Send = %v", err)
			}
			got := ms.WaitFor(t, 1)[0]
			if got.To != m.To || got.Subject != m.Subject || got.Body != m.Body {
				t.Errorf("notifytest.Message to %q subject %q body %q; want %q %q %q", got.To, got.Subject, got.Body, m.To, m.Subject, m.Body)
			}
			if got.NoticeID != m.ID || got.MessageID != "<"+m.ID+"@example.net>" {
				t.Errorf("notice id %q, Message-ID %q", got.NoticeID, got.MessageID)
			}
			if !strings.Contains(string(got.Raw), "Auto-Submitted: auto-generated") {
				t.Errorf("no Auto-Submitted header:\n%s", got.Raw)
			}
		})
	}
}

// TestNoticeHeader: the test server reads the header the sender writes.
func TestNoticeHeader(t *testing.T) {
	if HeaderNoticeID != notifytest.NoticeHeader {
		t.Errorf("HeaderNoticeID %q, notifytest reads %q", HeaderNoticeID, notifytest.NoticeHeader)
	}
}

func TestNewSMTPSenderRefusesBadConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  SMTPConfig
	}{
		{"ErrFrom", SMTPConfig{Host: "mail.example", Port: 587, TLS: TLSStartTLS, From: "not an address"}},
		{"ErrTLS", SMTPConfig{Host: "mail.example", Port: 587, TLS: "ssl", From: "ledger@example.net"}},
		{"ErrPort", SMTPConfig{Host: "mail.example", Port: 0, TLS: TLSStartTLS, From: "ledger@example.net"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewSMTPSender(tc.cfg); err == nil {
				t.Error("NewSMTPSender accepted it")
			}
		})
	}
}
