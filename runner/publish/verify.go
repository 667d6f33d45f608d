package publish

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/contacts-conformance/suite/runner/engine"
	"github.com/contacts-conformance/suite/runner/report"
	"github.com/contacts-conformance/suite/spec"
	"github.com/contacts-conformance/suite/suites"
)

// Verification is what verify found in a folder: every problem, one line each, and, when there is
// none, the claim the folder proves.
type Verification struct {
	Problems []string
	// Run is results.json's run, nil when it could not be read back.
	Run *report.Run
	// SignedBy is the fingerprint of the key whose signature verified; empty when none was checked.
	SignedBy string
}

// Valid reports whether the folder holds a valid, complete claim.
func (v *Verification) Valid() bool { return len(v.Problems) == 0 }

// Verify checks a published folder. The error means the folder cannot be read at all: it is not
// a directory, or holds no results.json. pub, when given, is the vendor's public key: the
// signature must verify with it.
func Verify(dir string, contract *spec.Contract, pub ed25519.PublicKey) (*Verification, error) {
	info, err := os.Stat(dir)
	switch {
	case err != nil:
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("cannot read %s: %v", dir, err)
	case !info.IsDir():
		return nil, fmt.Errorf("%s is not a directory: give the folder the runner wrote with --out", dir)
	}
	results := filepath.Join(dir, "results.json")
	if _, err := os.Lstat(results); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s holds no results.json: it is not a folder the runner wrote with --out", dir)
	}
	data, err := report.ReadFile(results, report.MaxResultsFile, "not a results file of contacts-conformance")
	if err != nil {
		return nil, err
	}
	v := &Verification{}
	v.checkResults(dir, data, contract)
	// The signature last: what the folder states comes first, then whether it is the vendor's.
	v.problems("signature.json", checkSignature(dir, pub, v))
	return v, nil
}

// checkResults checks results.json, then the other reports against it: the checks the folder's
// content answers, whoever signed it.
func (v *Verification) checkResults(dir string, data []byte, contract *spec.Contract) {
	rec, err := report.ParseRecorded(data)
	if err != nil {
		v.problem("results.json", "it is not a results file of contacts-conformance: "+err.Error())
		return
	}
	v.Run = rec.Run
	if rec.SuiteVersion != report.Version {
		v.problem("results.json", fmt.Sprintf("it is of suite version %s; this verifier is contacts-conformance %s and knows the spec, schema and cases of its own version only: verify with contacts-conformance %s (go install github.com/contacts-conformance/suite/runner/cmd/contacts-conformance@v%s)",
			rec.SuiteVersion, report.Version, rec.SuiteVersion, rec.SuiteVersion))
		return
	}
	v.problems("results.json", report.SchemaProblems(data))
	v.problems("results.json", rec.ConsistencyProblems())
	if rec.SpecSHA256 != contract.Hash {
		v.problem("results.json", fmt.Sprintf("its spec_sha256 %s is not the hash of the spec suite %s ships (%s): the run was measured against another contract", rec.SpecSHA256, report.Version, contract.Hash))
	}
	v.problems("results.json", catalogueProblems(rec.Run, contract))
	reports := map[string][]byte{}
	for _, f := range report.Files {
		if b, err := os.ReadFile(filepath.Join(dir, f.Name)); err == nil {
			reports[f.Name] = b
		}
	}
	v.Problems = append(v.Problems, report.AgreementProblems(rec.Run, reports)...)
	if rec.InsecureTLS {
		v.problem("results.json", "the run did not verify the server's TLS certificate (--insecure): its verdict must not be published")
	}
	if rec.Claim != nil && rec.Claim.State != report.ClaimComplete {
		v.problem("claim", report.NewClaim(rec.Claim.Profiles, rec.Results).Reason)
	}
	if verdict := rec.Verdict(); verdict != report.Conformant {
		v.problem("verdict", fmt.Sprintf("%s, not conformant: %s", verdict, rec.VerdictReason()))
	}
}

// problem records a problem on a line of its own: what a file holds may hold line breaks or a
// terminal's escape sequences, which become spaces.
func (v *Verification) problem(where, what string) {
	v.Problems = append(v.Problems, where+": "+printable(what))
}

func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// Conclusion is verify's last line: the claim the folder proves, or how many problems it has.
func (v *Verification) Conclusion(dir string) string {
	if !v.Valid() {
		n := fmt.Sprintf("%d problems", len(v.Problems))
		if len(v.Problems) == 1 {
			n = "1 problem"
		}
		return printable(fmt.Sprintf("NOT VERIFIED: %s: %s", dir, n))
	}
	signed := "signature not checked (give the vendor's public key with --pubkey)"
	if v.SignedBy != "" {
		signed = "signed with the key " + v.SignedBy
	}
	run := v.Run
	return printable(fmt.Sprintf("VERIFIED: %s: %s, a complete claim of %s, by contacts-conformance %s (spec sha256 %s), against %s on %s; %s",
		dir, run.Verdict(), run.ClaimedProfiles(), run.SuiteVersion, run.SpecSHA256[:12], run.Target, run.Started.UTC().Format(time.RFC3339), signed))
}

func (v *Verification) problems(where string, what []string) {
	for _, p := range what {
		v.problem(where, p)
	}
}

// catalogueProblems compare the results with the cases this suite version has: every case is
// recorded, no result is of a case the suite does not have, the claimed profiles are the
// document's, and a case is not claimed exactly when its operation is outside the claim.
func catalogueProblems(run *report.Run, contract *spec.Contract) []string {
	var problems []string
	if run.Claim == nil {
		return []string{"it records no claim"}
	}
	known := suites.Profiles(contract)
	for _, p := range run.Claim.Profiles {
		i := slices.IndexFunc(known, func(k suites.Profile) bool { return k.Name == p.Name })
		switch {
		case i < 0:
			problems = append(problems, fmt.Sprintf("it claims the profile %q, which suite %s does not have", p.Name, report.Version))
		case !slices.Equal(p.Operations, known[i].Operations):
			problems = append(problems, fmt.Sprintf("it gives the %s profile the operations %s; in suite %s it holds %s",
				p.Name, strings.Join(p.Operations, ", "), report.Version, strings.Join(known[i].Operations, ", ")))
		}
	}
	claim := run.Claimed()
	recorded := map[string]bool{}
	var outside, inside, unknown []string
	explored := suites.ExploreResultIDs(contract)
	cases := suites.CaseIDs(contract)
	for _, r := range run.Results {
		recorded[r.ID] = true
		switch {
		case !slices.Contains(cases, r.ID) && !slices.Contains(explored, r.ID):
			unknown = append(unknown, r.ID)
		case claim.Covers(r.Operation) && r.Outcome == engine.NotClaimed:
			inside = append(inside, fmt.Sprintf("the case %s is not claimed, but the claim (%s) holds %s", r.ID, claim, r.Operation))
		case !claim.Covers(r.Operation) && r.Outcome != engine.NotClaimed:
			outside = append(outside, fmt.Sprintf("the case %s is %s, but the claim (%s) leaves %s out", r.ID, r.Outcome, claim, r.Operation))
		}
	}
	var missing []string
	for _, id := range cases {
		if !recorded[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		problems = append(problems, fmt.Sprintf("%d cases of suite %s are not among its results: %s", len(missing), report.Version, named(missing)))
	}
	if len(unknown) > 0 {
		problems = append(problems, fmt.Sprintf("%d results are of no case of suite %s: %s", len(unknown), report.Version, named(unknown)))
	}
	return append(problems, slices.Concat(capped(inside), capped(outside))...)
}

func named(ids []string) string {
	s := strings.Join(ids[:min(len(ids), 3)], ", ")
	if len(ids) > 3 {
		s += fmt.Sprintf(" and %d more", len(ids)-3)
	}
	return s
}

func capped(lines []string) []string {
	const most = 5
	if len(lines) <= most {
		return lines
	}
	return append(lines[:most:most], fmt.Sprintf("and %d more cases like these", len(lines)-most))
}

// checkSignature checks signature.json against the reports: every report listed, each unchanged
// since it was signed, and, with the vendor's public key, the signature itself. A folder without
// signature.json is a problem only when a key was given to check it with.
func checkSignature(dir string, pub ed25519.PublicKey, v *Verification) []string {
	sig, err := readSignature(dir)
	switch {
	case err != nil:
		return []string{err.Error()}
	case sig == nil && pub != nil:
		return []string{"missing: the folder is not signed (the vendor signs it with --sign-key), so the key given vouches for nothing"}
	case sig == nil:
		return nil
	}
	key, digests, err := parseStatement(sig.Statement)
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	if sig.Algorithm != Algorithm || sig.Key != key {
		problems = append(problems, fmt.Sprintf("its algorithm and key (%s %s) are not its statement's (%s %s)", sig.Algorithm, sig.Key, Algorithm, key))
	}
	for _, f := range report.Files {
		i := slices.IndexFunc(digests, func(d Digest) bool { return d.Name == f.Name })
		if i < 0 {
			problems = append(problems, f.Name+" is not covered by the signature")
			continue
		}
		sum, err := digestOf(filepath.Join(dir, f.Name))
		switch {
		case err != nil:
			problems = append(problems, fmt.Sprintf("%s, which the signature covers: %v", f.Name, err))
		case sum != digests[i].SHA256:
			problems = append(problems, fmt.Sprintf("%s has changed since it was signed: its sha256 is %s, the signature's %s", f.Name, sum, digests[i].SHA256))
		}
	}
	for _, d := range digests {
		if !slices.Contains(report.FileNames(), d.Name) {
			problems = append(problems, d.Name+" is in the signature, but is no report of the suite")
		}
	}
	if pub == nil {
		return problems
	}
	id, err := KeyID(pub)
	if err != nil {
		return append(problems, err.Error())
	}
	value, err := base64.StdEncoding.DecodeString(sig.Value)
	switch {
	case id != key:
		problems = append(problems, fmt.Sprintf("it was signed with the key %s, not with the key given (%s)", key, id))
	case err != nil || !ed25519.Verify(pub, []byte(sig.Statement), value):
		problems = append(problems, fmt.Sprintf("the signature does not verify with the key given (%s): signature.json was changed after it was signed", id))
	case len(problems) == 0:
		v.SignedBy = id
	}
	return problems
}
