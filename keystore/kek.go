package keystore

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// MasterKeyFileName is the name of the master key file that
// LoadOrCreateMasterKey keeps in the data directory.
const MasterKeyFileName = "master.key"

// Where ResolveMasterKey found the master key.
const (
	SourceEnv     = "env"      // the LEDGER_MASTER_KEY environment variable
	SourceFile    = "file"     // a key file named in the configuration
	SourceDataDir = "data-dir" // master.key in the data directory, perhaps just generated
)

// MasterKey is the key-encryption key (KEK) that wraps every data key. Its
// bytes never leave the package: a MasterKey formats as its ID only, so it
// can be logged safely.
type MasterKey struct {
	// ID is the first 8 bytes of the SHA-256 of the key, in hex. It tells
	// keys apart without revealing them, and is stored beside every
	// wrapped key.
	ID  string
	key [32]byte
}

// newMasterKey returns the MasterKey with the given bytes.
func newMasterKey(raw [32]byte) MasterKey {
	sum := sha256.Sum256(raw[:])
	return MasterKey{ID: hex.EncodeToString(sum[:8]), key: raw}
}

// GenerateMasterKey returns a new random master key.
func GenerateMasterKey() MasterKey {
	var raw [32]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never fails; it crashes the program instead
	return newMasterKey(raw)
}

// Format writes "MasterKey(<id>)" for every verb, so the key's bytes are
// never printed.
func (k MasterKey) Format(f fmt.State, _ rune) { _, _ = fmt.Fprintf(f, "MasterKey(%s)", k.ID) }

// IsZero reports whether k is the zero MasterKey, which wraps nothing.
func (k MasterKey) IsZero() bool { return k.ID == "" }

// ParseMasterKey decodes a master key given as standard base64 of exactly
// 32 bytes; surrounding white space is ignored. The error never repeats the
// input.
func ParseMasterKey(b64 string) (MasterKey, error) {
	s := strings.TrimSpace(b64)
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		// RawStdEncoding accepts keys written without '=' padding.
		raw, err = base64.RawStdEncoding.DecodeString(s)
	}
	if err != nil {
		return MasterKey{}, errors.New("keystore: master key is not valid base64")
	}
	if len(raw) != 32 {
		return MasterKey{}, fmt.Errorf("keystore: master key is %d bytes, want 32", len(raw))
	}
	k := newMasterKey([32]byte(raw))
	clear(raw)
	return k, nil
}

// LoadMasterKeyFile reads a master key file holding the base64 of 32 bytes.
// It refuses a file that group or others may read or write, since anyone
// who can read it can read every client's data.
func LoadMasterKeyFile(path string) (MasterKey, error) {
	f, err := os.Open(path)
	if err != nil {
		return MasterKey{}, fmt.Errorf("keystore: open master key file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return MasterKey{}, fmt.Errorf("keystore: stat master key file: %w", err)
	}
	if !info.Mode().IsRegular() {
		return MasterKey{}, fmt.Errorf("keystore: master key file %s is not a regular file", path)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return MasterKey{}, fmt.Errorf("keystore: master key file %s has mode %04o; "+
			"group and others must have no access (chmod 600 %s)", path, perm, path)
	}
	// A key is 44 characters of base64; the limit stops a wrong path
	// (a database, a device) from being read whole.
	buf, err := io.ReadAll(io.LimitReader(f, 256))
	if err != nil {
		return MasterKey{}, fmt.Errorf("keystore: read master key file %s: %w", path, err)
	}
	k, err := ParseMasterKey(string(buf))
	clear(buf)
	if err != nil {
		return MasterKey{}, fmt.Errorf("%w (in %s)", err, path)
	}
	return k, nil
}

// WriteMasterKeyFile writes k to a new file at path with mode 0600, durably
// and atomically: the file appears complete or not at all. It never
// replaces an existing file (fs.ErrExist), so a key cannot be lost by
// overwriting it.
func WriteMasterKeyFile(path string, k MasterKey) error {
	if k.IsZero() {
		return errors.New("keystore: refusing to write the zero master key")
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".master.key-*") // CreateTemp uses mode 0600
	if err != nil {
		return fmt.Errorf("keystore: create master key file: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the link below, only the temporary name goes
	enc := []byte(base64.StdEncoding.EncodeToString(k.key[:]) + "\n")
	_, err = tmp.Write(enc)
	clear(enc)
	if err == nil {
		err = tmp.Chmod(0o600) // in case the platform's CreateTemp was laxer
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("keystore: write master key file: %w", err)
	}
	// Link, unlike rename, fails when path exists: two processes starting
	// at once cannot each keep a different key.
	if err := os.Link(tmp.Name(), path); err != nil {
		return fmt.Errorf("keystore: create master key file: %w", err)
	}
	return syncDir(dir)
}

// syncDir makes a new directory entry in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("keystore: sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("keystore: sync %s: %w", dir, err)
	}
	return nil
}

// LoadOrCreateMasterKey loads master.key from dataDir, generating it (mode
// 0600) on first run; created reports whether it did. A key kept beside the
// data it protects protects nothing against someone who copies the whole
// directory, so callers warn the operator to move it elsewhere.
func LoadOrCreateMasterKey(dataDir string) (k MasterKey, created bool, err error) {
	path := filepath.Join(dataDir, MasterKeyFileName)
	k, err = LoadMasterKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return k, false, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return MasterKey{}, false, fmt.Errorf("keystore: create data directory: %w", err)
	}
	k = GenerateMasterKey()
	err = WriteMasterKeyFile(path, k)
	if errors.Is(err, fs.ErrExist) {
		// Another process created it first; use theirs.
		k, err = LoadMasterKeyFile(path)
		return k, false, err
	}
	if err != nil {
		return MasterKey{}, false, err
	}
	return k, true, nil
}

// ResolveMasterKey picks the master key by precedence: env (the value of
// LEDGER_MASTER_KEY) if not empty, else the key file at file if not empty,
// else master.key in dataDir, generated if absent. source is SourceEnv,
// SourceFile or SourceDataDir; created reports a key generated just now.
// The caller warns the operator when source is SourceDataDir. A source
// that is set but bad is an error; it never falls through to the next.
func ResolveMasterKey(env, file, dataDir string) (k MasterKey, source string, created bool, err error) {
	switch {
	case strings.TrimSpace(env) != "":
		k, err = ParseMasterKey(env)
		if err != nil {
			err = fmt.Errorf("LEDGER_MASTER_KEY: %w", err)
		}
		return k, SourceEnv, false, err
	case file != "":
		k, err = LoadMasterKeyFile(file)
		return k, SourceFile, false, err
	case dataDir != "":
		k, created, err = LoadOrCreateMasterKey(dataDir)
		return k, SourceDataDir, created, err
	default:
		return MasterKey{}, "", false, errors.New("keystore: no master key: set LEDGER_MASTER_KEY, a key file or a data directory")
	}
}
