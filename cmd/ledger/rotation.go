package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/referral-ledger/ledger/keystore"
)

// rotationJournalFile records a master-key rotation in progress in the
// data directory. It holds key ids and a path, never a key.
const rotationJournalFile = "master-key-rotation.json"

// rotationJournal is what an interrupted rotate-master-key needs to finish.
type rotationJournal struct {
	From string `json:"from"` // id of the master key the rotation started from
	To   string `json:"to"`   // id of the new master key
	// NewKeyFile is where the new key is kept until the rotation ends.
	NewKeyFile string `json:"new_key_file"`
	// ReplaceMasterKey says the current key is data_dir/master.key and
	// NewKeyFile replaces it at the end; otherwise the operator points the
	// configuration at NewKeyFile.
	ReplaceMasterKey bool `json:"replace_master_key"`
	// Rewrapped says every client key is now wrapped under To.
	Rewrapped bool      `json:"rewrapped"`
	StartedAt time.Time `json:"started_at"`
}

// readRotationJournal returns the journal of dir, or nil if no rotation is
// in progress. It only reads.
func readRotationJournal(dir string) (*rotationJournal, error) {
	b, err := os.ReadFile(filepath.Join(dir, rotationJournalFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("master-key rotation journal: %w", err)
	}
	var j rotationJournal
	if err := json.Unmarshal(b, &j); err != nil || j.From == "" || j.To == "" || j.NewKeyFile == "" {
		return nil, fmt.Errorf("master-key rotation journal %s is unreadable; it names the key a rotation "+
			"was moving to: keep it and every master key file, and restore it from a backup", filepath.Join(dir, rotationJournalFile))
	}
	return &j, nil
}

// writeRotationJournal replaces dir's journal with j, durably: a temporary
// file, fsync, rename, fsync of the directory.
func writeRotationJournal(dir string, j rotationJournal) error {
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileDurably(filepath.Join(dir, rotationJournalFile), append(b, '\n')); err != nil {
		return fmt.Errorf("master-key rotation journal: %w", err)
	}
	return nil
}

// writeFileDurably replaces file with data, never leaving it half written,
// and so that the new file survives a power cut: data goes to a temporary
// file beside it, synced, then renamed over it (renameDurably).
func writeFileDurably(file string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after the rename, there is nothing left to remove
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = renameDurably(tmp.Name(), file)
	}
	return err
}

// removeRotationJournal ends the rotation on disk.
func removeRotationJournal(dir string) error {
	if err := os.Remove(filepath.Join(dir, rotationJournalFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("master-key rotation journal: %w", err)
	}
	return syncDir(dir)
}

// renameDurably renames from to to and fsyncs the directories involved, so
// the new name survives a power cut.
func renameDurably(from, to string) error {
	if err := os.Rename(from, to); err != nil {
		return err
	}
	if err := syncDir(filepath.Dir(to)); err != nil {
		return err
	}
	if filepath.Dir(from) != filepath.Dir(to) {
		return syncDir(filepath.Dir(from))
	}
	return nil
}

// syncDir makes the entries of dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// unfinishedRotation is the error every command that opens the key store
// returns while a rotation is in progress: it says exactly what to run.
func unfinishedRotation(dir string) error {
	j, err := readRotationJournal(dir)
	if err != nil || j == nil {
		return err
	}
	if j.ReplaceMasterKey || !j.Rewrapped {
		return fmt.Errorf("a master-key rotation from key %s to %s did not finish: run `ledger rotate-master-key` "+
			"with the configuration unchanged to finish it; it resumes where it stopped. Do not delete %s or %s",
			j.From, j.To, j.NewKeyFile, rotationJournalFile)
	}
	return fmt.Errorf("a master-key rotation from key %s to %s did not finish: the client keys are wrapped under "+
		"the key in %s; set master_key_file to that file (or LEDGER_MASTER_KEY to its contents), then run "+
		"`ledger rotate-master-key` to finish it. Do not delete %s or %s",
		j.From, j.To, j.NewKeyFile, j.NewKeyFile, rotationJournalFile)
}

// masterKeyWithID loads the key with id from the first of paths that holds
// it.
func masterKeyWithID(id string, paths ...string) (keystore.MasterKey, error) {
	for _, p := range paths {
		if k, err := keystore.LoadMasterKeyFile(p); err == nil && k.ID == id {
			return k, nil
		}
	}
	return keystore.MasterKey{}, fmt.Errorf("the new master key %s is in none of %s; restore the file that held it",
		id, strings.Join(paths, ", "))
}
