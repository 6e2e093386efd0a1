package keystore_test

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/referral-ledger/ledger/keystore"
)

// testKey is a fixed master key, in the base64 an operator would set.
var (
	testKeyRaw = []byte("0123456789abcdef0123456789abcdef")
	testKeyB64 = base64.StdEncoding.EncodeToString(testKeyRaw)
)

func writeFile(tb testing.TB, path, content string, mode os.FileMode) {
	tb.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		tb.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // WriteFile's mode is cut by the umask
		tb.Fatal(err)
	}
}

func TestParseMasterKey(t *testing.T) {
	cases := []struct {
		name  string
		input string
		ok    bool
	}{
		{"OK", testKeyB64, true},
		{"OK_Whitespace", "  " + testKeyB64 + "\n", true},
		{"OK_Unpadded", strings.TrimRight(testKeyB64, "="), true},
		{"NotBase64", "not base64!", false},
		{"TooShort", base64.StdEncoding.EncodeToString(testKeyRaw[:16]), false},
		{"TooLong", base64.StdEncoding.EncodeToString(append(testKeyRaw, 'x')), false},
		{"Empty", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k, err := keystore.ParseMasterKey(c.input)
			if (err == nil) != c.ok {
				t.Fatalf("ParseMasterKey = %v, want ok=%v", err, c.ok)
			}
			if err != nil && c.input != "" && strings.Contains(err.Error(), c.input) {
				t.Errorf("error %q repeats the input", err)
			}
			if c.ok && k.ID != wantID(testKeyRaw) {
				t.Errorf("ID = %s, want %s", k.ID, wantID(testKeyRaw))
			}
		})
	}
}

func wantID(raw []byte) string {
	return hexSHA256(raw)[:16]
}

// The ID is 8 bytes of hex and the key's bytes never print, whatever the
// verb.
func TestMasterKeyNeverPrints(t *testing.T) {
	k, err := keystore.ParseMasterKey(testKeyB64)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(k.ID) {
		t.Errorf("ID = %q, want 16 hex digits", k.ID)
	}
	printed := fmt.Sprintf("%v %+v %#v %s %x %X %d %q", k, k, k, k, k, k, k, k) + fmt.Sprint(k) + fmt.Sprint(&k)
	for _, secret := range []string{string(testKeyRaw), testKeyB64, hex.EncodeToString(testKeyRaw), "48 49 50"} {
		if strings.Contains(printed, secret) {
			t.Errorf("printing a MasterKey revealed it: %s", printed)
		}
	}
	if !strings.Contains(fmt.Sprint(k), k.ID) {
		t.Errorf("MasterKey prints as %q, want its ID", fmt.Sprint(k))
	}
	var dk keystore.DataKey
	copy(dk[:], testKeyRaw)
	printed = fmt.Sprintf("%v %+v %#v %s %x %d", dk, dk, dk, dk, dk, dk)
	if strings.Contains(printed, hex.EncodeToString(testKeyRaw)) || strings.Contains(printed, "48 49 50") ||
		strings.Contains(printed, string(testKeyRaw)) {
		t.Errorf("printing a DataKey revealed it: %s", printed)
	}
	if b, err := json.Marshal(struct{ K keystore.DataKey }{dk}); err == nil {
		t.Errorf("json.Marshal of a DataKey = %s, want an error", b)
	}
}

func TestLoadMasterKeyFile(t *testing.T) {
	cases := []struct {
		name    string
		mode    os.FileMode
		content string
		wantErr string
	}{
		{"OK", 0o600, testKeyB64 + "\n", ""},
		{"OK_OwnerReadOnly", 0o400, testKeyB64, ""},
		{"GroupReadable", 0o640, testKeyB64, "chmod 600"},
		{"WorldReadable", 0o644, testKeyB64, "chmod 600"},
		{"Garbage", 0o600, "hello", "not valid base64"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "kek")
			writeFile(t, path, c.content, c.mode)
			k, err := keystore.LoadMasterKeyFile(path)
			if c.wantErr == "" {
				if err != nil || k.ID != wantID(testKeyRaw) {
					t.Fatalf("LoadMasterKeyFile = %v, %v", k, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("LoadMasterKeyFile = %v, want an error containing %q", err, c.wantErr)
			}
			if strings.Contains(err.Error(), testKeyB64) {
				t.Errorf("error %q contains the key", err)
			}
		})
	}
	t.Run("Missing", func(t *testing.T) {
		_, err := keystore.LoadMasterKeyFile(filepath.Join(t.TempDir(), "absent"))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("LoadMasterKeyFile = %v, want fs.ErrNotExist", err)
		}
	})
}

// The generated key is 0600, reused on the next start, and never
// overwritten.
func TestLoadOrCreateMasterKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	k1, created, err := keystore.LoadOrCreateMasterKey(dir)
	if err != nil || !created {
		t.Fatalf("first LoadOrCreateMasterKey = %v, created=%v; want created", err, created)
	}
	path := filepath.Join(dir, keystore.MasterKeyFileName)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %04o, want 0600", path, info.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("data directory holds %d entries, want only the key (no temporary left)", len(entries))
	}
	k2, created, err := keystore.LoadOrCreateMasterKey(dir)
	if err != nil || created || k2.ID != k1.ID {
		t.Fatalf("second LoadOrCreateMasterKey = %v, %v, created=%v; want the same key, not created", k2, err, created)
	}
	if err := keystore.WriteMasterKeyFile(path, keystore.GenerateMasterKey()); !errors.Is(err, fs.ErrExist) {
		t.Errorf("WriteMasterKeyFile over an existing key = %v, want fs.ErrExist", err)
	}
	if k3, _ := keystore.LoadMasterKeyFile(path); k3.ID != k1.ID {
		t.Error("the key file changed")
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := keystore.LoadOrCreateMasterKey(dir); err == nil {
		t.Error("LoadOrCreateMasterKey accepted a world-readable key file")
	}
}

func TestResolveMasterKey(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "kek")
	fileKey := keystore.GenerateMasterKey()
	if err := keystore.WriteMasterKeyFile(file, fileKey); err != nil {
		t.Fatal(err)
	}
	envKey, _ := keystore.ParseMasterKey(testKeyB64)

	cases := []struct {
		name        string
		env, file   string
		dataDir     string
		wantID      string // "" when any id will do
		wantSource  string
		wantCreated bool
		wantErr     bool
	}{
		{"EnvBeatsAll", testKeyB64, file, dir, envKey.ID, keystore.SourceEnv, false, false},
		{"FileBeatsDataDir", "", file, dir, fileKey.ID, keystore.SourceFile, false, false},
		{"DataDirGenerated", "", "", filepath.Join(dir, "fresh"), "", keystore.SourceDataDir, true, false},
		{"BadEnvDoesNotFallThrough", "short", file, dir, "", keystore.SourceEnv, false, true},
		{"MissingFileDoesNotFallThrough", "", filepath.Join(dir, "absent"), dir, "", keystore.SourceFile, false, true},
		{"Nothing", "", "", "", "", "", false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			k, source, created, err := keystore.ResolveMasterKey(c.env, c.file, c.dataDir)
			if (err != nil) != c.wantErr {
				t.Fatalf("ResolveMasterKey error = %v, want error %v", err, c.wantErr)
			}
			if source != c.wantSource || created != c.wantCreated {
				t.Errorf("source, created = %q, %v; want %q, %v", source, created, c.wantSource, c.wantCreated)
			}
			if c.wantID != "" && k.ID != c.wantID {
				t.Errorf("ID = %s, want %s", k.ID, c.wantID)
			}
			if err != nil && strings.Contains(err.Error(), c.env) && c.env != "" {
				t.Errorf("error %q repeats LEDGER_MASTER_KEY", err)
			}
		})
	}
}
