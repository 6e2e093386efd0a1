package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/referral-ledger/ledger/audit"
	"github.com/referral-ledger/ledger/config"
	"github.com/referral-ledger/ledger/ledger"
)

// auditCommand groups the tools of independent audit (R-AUD-1..3): the
// operator's keygen, and the auditor's check and verify-bundle, which need
// no access to the data directory.
func auditCommand(configFile *string, stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Signed checkpoints for auditors: make the signing key, check the ledger extends a trusted checkpoint, verify a case bundle",
	}
	cmd.AddCommand(auditKeygenCommand(configFile, stdout), auditCheckCommand(stdout), auditVerifyBundleCommand(stdout))
	return cmd
}

// failed is a check that did not hold: exit 2, naming what failed.
func failed(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf("FAILED: "+format, args...)}
}

func auditKeygenCommand(configFile *string, stdout io.Writer) *cobra.Command {
	var origin, out string
	cmd := &cobra.Command{
		Use:   "keygen --origin NAME --out FILE",
		Short: "Make the checkpoint signing key in FILE (outside the data directory) and print its public key for auditors",
		Args:  cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			if out == "" {
				return errors.New("--out: give the file to write the signing key to, outside the data directory")
			}
			// The data directory is known from the configuration (the
			// defaults when there is none); a key inside it is refused, as
			// the server refuses it. A configuration that does not load
			// names no data directory to keep the key out of.
			cfg, err := config.Load(config.LoadOptions{ConfigFile: *configFile})
			if err != nil {
				return fmt.Errorf("the configuration does not load, so the data directory the key must stay out of is not known; fix it first: %w", err)
			}
			if origin == "" {
				origin = cfg.Audit.Origin
			}
			if cfg.DataDir != "" && config.Inside(out, cfg.DataDir) {
				return fmt.Errorf("--out %s is inside the data directory %s: keep the key that vouches for the data away from it", out, cfg.DataDir)
			}
			if origin == "" {
				return errors.New("--origin: name the network, e.g. referrals.example.org/ledger (or set audit.origin)")
			}
			skey, vkey, err := audit.GenerateKey(origin)
			if err != nil {
				return fmt.Errorf("--origin: %w", err)
			}
			f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if err != nil {
				return fmt.Errorf("--out: %w (an existing key is never overwritten)", err)
			}
			if _, err := f.WriteString(skey + "\n"); err != nil {
				_ = f.Close()
				return fmt.Errorf("--out: %w", err)
			}
			if err := errors.Join(f.Sync(), f.Close()); err != nil {
				return fmt.Errorf("--out: %w", err)
			}
			_, err = fmt.Fprintf(stdout, "signing key written to %s (set audit.signing_key_file and audit.signer on the signing node)\n"+
				"public key, for auditors (ledger audit check --public-key FILE holding this line):\n%s\n", out, vkey)
			return err
		},
	}
	cmd.Flags().StringVar(&origin, "origin", "", "the network's name, the first line of every checkpoint (default: audit.origin)")
	cmd.Flags().StringVar(&out, "out", "", "file to write the signing key to (created 0600; never overwritten)")
	return cmd
}

func readVerifier(file string) (note.Verifier, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--public-key: %w", err)
	}
	v, err := audit.NewVerifier(string(data))
	if err != nil {
		return nil, fmt.Errorf("--public-key %s: %w", file, err)
	}
	return v, nil
}

func auditCheckCommand(stdout io.Writer) *cobra.Command {
	var server, token, pubFile, trusted string
	var initTrust bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "check --server URL --token T --public-key FILE --trusted CHECKPOINT",
		Short: "Check the server's current checkpoint extends the trusted one (exit 0, saving it as the next trusted one) or exit 2 naming what failed",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if server == "" || token == "" || pubFile == "" || trusted == "" {
				return errors.New("--server, --token, --public-key and --trusted are all required")
			}
			v, err := readVerifier(pubFile)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			c := auditClient{base: strings.TrimSuffix(server, "/"), token: token, http: &http.Client{Timeout: timeout}}
			return auditCheck(ctx, c, v, trusted, initTrust, stdout)
		},
	}
	cmd.Flags().StringVar(&server, "server", "", "the ledger's URL, e.g. https://referrals.example.org")
	cmd.Flags().StringVar(&token, "token", "", "a session token of any signed-in user (an auditor's)")
	cmd.Flags().StringVar(&pubFile, "public-key", "", "file holding the network's public key, as printed by ledger audit keygen")
	cmd.Flags().StringVar(&trusted, "trusted", "", "file holding the last checkpoint you trust; replaced by the new one when it extends it")
	cmd.Flags().BoolVar(&initTrust, "init", false, "--trusted does not exist yet: trust the current checkpoint (signature checked) and save it")
	cmd.Flags().DurationVar(&timeout, "timeout", time.Minute, "give up after this long")
	return cmd
}

// auditCheck is R-AUD-2 from the auditor's side.
func auditCheck(ctx context.Context, c auditClient, v note.Verifier, trustedFile string, initTrust bool, stdout io.Writer) error {
	var old audit.Checkpoint
	oldSigned, err := os.ReadFile(trustedFile)
	switch {
	case errors.Is(err, os.ErrNotExist) && initTrust:
	case errors.Is(err, os.ErrNotExist):
		return failed("--trusted %s does not exist: give the checkpoint you trust (or --init to start trusting the current one)", trustedFile)
	case err != nil:
		return failed("--trusted: %v", err)
	default:
		if old, err = audit.Open(oldSigned, v); err != nil {
			return failed("the trusted checkpoint %s does not verify with the public key: %v", trustedFile, err)
		}
	}
	signed, err := c.get(ctx, "/v1/ledger/checkpoint")
	if err != nil {
		return failed("fetching the server's checkpoint: %v", err)
	}
	next, err := audit.Open(signed, v)
	if err != nil {
		return failed("the server's checkpoint does not verify with the public key: %v", err)
	}
	var proof tlog.TreeProof
	if oldSigned != nil && next.Size > old.Size && old.Size > 0 {
		if proof, err = c.consistency(ctx, old.Size, next.Size); err != nil {
			return failed("fetching the consistency proof from %d to %d: %v", old.Size, next.Size, err)
		}
	}
	if oldSigned != nil {
		if err := audit.Extends(old, next, proof); err != nil {
			return failed("the server's checkpoint does not extend the trusted one: %v", err)
		}
		if next.Time.Before(old.Time) {
			return failed("the server's checkpoint was signed at %s, before the trusted one (%s)", next.Time.Format(time.RFC3339), old.Time.Format(time.RFC3339))
		}
	}
	if err := writeFileDurably(trustedFile, signed); err != nil {
		return fmt.Errorf("saving the new trusted checkpoint: %w", err)
	}
	if oldSigned == nil {
		_, err = fmt.Fprintf(stdout, "OK: trusting checkpoint of %d events signed at %s by %s; saved to %s\n", next.Size, next.Time.Format(time.RFC3339), next.Origin, trustedFile)
		return err
	}
	_, err = fmt.Fprintf(stdout, "OK: the ledger of %d events (signed %s) extends the trusted one of %d events; saved to %s\n",
		next.Size, next.Time.Format(time.RFC3339), old.Size, trustedFile)
	return err
}

// auditClient reads the audit endpoints as any signed-in user.
type auditClient struct {
	base, token string
	http        *http.Client
}

// maxAuditBody bounds what the tools read from a server.
const maxAuditBody = 1 << 20

func (c auditClient) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAuditBody+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxAuditBody {
		return nil, fmt.Errorf("the answer is larger than %d bytes", maxAuditBody)
	}
	if resp.StatusCode != http.StatusOK {
		var p struct{ Detail string }
		_ = json.Unmarshal(body, &p)
		return nil, fmt.Errorf("%s answered %s: %s", path, resp.Status, p.Detail)
	}
	return body, nil
}

func (c auditClient) consistency(ctx context.Context, from, to int64) (tlog.TreeProof, error) {
	q := url.Values{"from": {fmt.Sprint(from)}, "to": {fmt.Sprint(to)}}
	body, err := c.get(ctx, "/v1/ledger/proofs/consistency?"+q.Encode())
	if err != nil {
		return nil, err
	}
	var p struct {
		From  int64    `json:"from"`
		To    int64    `json:"to"`
		Proof []string `json:"proof"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("the proof is not the expected JSON: %w", err)
	}
	if p.From != from || p.To != to {
		return nil, fmt.Errorf("asked for a proof from %d to %d, got one from %d to %d", from, to, p.From, p.To)
	}
	proof := make(tlog.TreeProof, len(p.Proof))
	for i, s := range p.Proof {
		h, err := base64.StdEncoding.Strict().DecodeString(s)
		if err != nil || len(h) != tlog.HashSize {
			return nil, fmt.Errorf("proof hash %d is not 32 bytes of base64", i)
		}
		copy(proof[i][:], h)
	}
	return proof, nil
}

func auditVerifyBundleCommand(stdout io.Writer) *cobra.Command {
	var pubFile, trusted string
	cmd := &cobra.Command{
		Use:   "verify-bundle BUNDLE --public-key FILE [--trusted CHECKPOINT]",
		Short: "Verify a case bundle offline (chains, inclusion proofs, checkpoint signature) and print the case's history; exit 2 naming what failed",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if pubFile == "" {
				return errors.New("--public-key is required")
			}
			v, err := readVerifier(pubFile)
			if err != nil {
				return err
			}
			return verifyBundleFile(args[0], v, trusted, stdout)
		},
	}
	cmd.Flags().StringVar(&pubFile, "public-key", "", "file holding the network's public key")
	cmd.Flags().StringVar(&trusted, "trusted", "", "the checkpoint you trust: the bundle's must be it, or a newer one the bundle proves extends it (fetch the bundle with ?trusted_size=N, N the trusted checkpoint's size)")
	return cmd
}

func verifyBundleFile(file string, v note.Verifier, trustedFile string, stdout io.Writer) error {
	f, err := os.Open(file)
	if err != nil {
		return failed("%v", err)
	}
	defer f.Close()
	b, err := audit.ParseBundle(f)
	if err != nil {
		return failed("%s is not a case bundle: %v", file, err)
	}
	vb, err := audit.VerifyBundle(b, v)
	if err != nil {
		return failed("%s: %v", file, err)
	}
	trustNote := ""
	if trustedFile != "" {
		data, err := os.ReadFile(trustedFile)
		if err != nil {
			return failed("--trusted: %v", err)
		}
		t, err := audit.Open(data, v)
		if err != nil {
			return failed("the trusted checkpoint does not verify: %v", err)
		}
		if err := audit.CheckTrusted(b, vb, t); err != nil {
			return failed("%s: %v", file, err)
		}
		trustNote = fmt.Sprintf("; it extends your trusted checkpoint of %d events", t.Size)
		if t.Size == vb.Checkpoint.Size {
			trustNote = "; it is your trusted checkpoint"
		}
	}
	// The decrypted parts are the server's word, not the proofs': check
	// what can be checked without the key before printing any.
	decrypted := 0
	for i, e := range b.Events {
		if e.Decrypted == nil {
			continue
		}
		if err := ledger.CheckDecrypted(e.Type, e.SchemaVersion, e.Data, e.Decrypted); err != nil {
			return failed("%s: event %d (revision %d): the decrypted part does not match the stored data: %v", file, i, e.Revision, err)
		}
		decrypted++
	}
	w := &errWriter{w: stdout}
	cp := vb.Checkpoint
	w.printf("OK: %d events of %s, each included in the checkpoint of %d events signed %s by %s%s\n",
		len(vb.Events), vb.Events[0].Stream, cp.Size, cp.Time.Format(time.RFC3339), cp.Origin, trustNote)
	w.printf("%-4s  %-20s  %-36s  %-36s  %s\n", "rev", "recorded at", "type", "actor user", "hash")
	for _, e := range vb.Events {
		w.printf("%-4d  %-20s  %-36s  %-36s  %s\n", e.Revision, e.Metadata.RecordedAt.UTC().Format(time.RFC3339), e.Type,
			dash(e.Metadata.ActorUserID), e.Metadata.Hash[:16])
	}
	if decrypted == 0 {
		w.printf("Data is shown as stored: client data is encrypted and cannot be read from a bundle; an erased client's stays unreadable.\n")
		return w.err
	}
	w.printf("\nDecrypted parts, AS THE SERVER DECRYPTED THEM, NOT COVERED BY THE PROOFS: their fields stored in the clear match the\n" +
		"stored data, but only the server could open the encrypted fields, so nothing here proves what they held.\n")
	for _, e := range b.Events {
		switch {
		case e.Decrypted != nil:
			w.printf("rev %d  %s  (as the server decrypted it, not covered by the proofs)\n    %s\n", e.Revision, e.Type, e.Decrypted)
		case ledger.HasSealed(e.Data):
			w.printf("rev %d  %s  encrypted; no decrypted part (the client's data may have been erased)\n", e.Revision, e.Type)
		}
	}
	return w.err
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
