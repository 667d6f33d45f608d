package runner

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/contacts-conformance/suite/runner/internal/oserr"
	"github.com/contacts-conformance/suite/runner/publish"
)

// signReports signs the reports of --out with the key, once they are all written; without a key
// it removes a signature an earlier run left there, which would no longer match. It reports
// whether that went well.
func signReports(dir string, key *publish.SigningKey, written bool, stdout, stderr io.Writer) bool {
	path := filepath.Join(dir, publish.SignatureFile)
	switch {
	case key == nil:
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(stderr, "runner: cannot remove the signature of an earlier run, %s: %v\n", path, oserr.Cause(err))
			return false
		}
		return true
	case !written:
		fmt.Fprintf(stderr, "runner: %s is not signed: a report could not be written\n", dir)
		return false
	}
	if _, err := key.Sign(dir); err != nil {
		fmt.Fprintf(stderr, "runner: %s\n", err)
		return false
	}
	fmt.Fprintf(stdout, "signed %s with the key %s: %s covers %d reports (readers check it with: contacts-conformance verify %s --pubkey KEY.pub)\n",
		dir, key.ID, publish.SignatureFile, len(publish.SignedFiles()), dir)
	return true
}
