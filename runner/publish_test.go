package runner

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contacts-conformance/suite/runner/publish"
	"github.com/contacts-conformance/suite/runner/report"
	"github.com/contacts-conformance/suite/spec"
	"github.com/contacts-conformance/suite/spec/refserver"
	"github.com/contacts-conformance/suite/suites"
)

// vendorKey is a vendor's key pair as PEM files: openssl's own when openssl is on the machine (the
// recipe of the README and docs/publishing.md), else one made here in the same encodings. secrets
// are spellings of the private key that must never be printed.
type vendorKey struct {
	private, public string
	secrets         []string
}

func newVendorKey(t *testing.T, useOpenssl bool) vendorKey {
	t.Helper()
	dir := t.TempDir()
	k := vendorKey{private: filepath.Join(dir, "vendor.key"), public: filepath.Join(dir, "vendor.pub")}
	if openssl, err := exec.LookPath("openssl"); err == nil && useOpenssl {
		out, err := exec.Command(openssl, "genpkey", "-algorithm", "ed25519", "-out", k.private).CombinedOutput()
		require.NoError(t, err, "%s", out)
		out, err = exec.Command(openssl, "pkey", "-in", k.private, "-pubout", "-out", k.public).CombinedOutput()
		require.NoError(t, err, "%s", out)
	} else {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		require.NoError(t, err)
		der, err := x509.MarshalPKCS8PrivateKey(priv)
		require.NoError(t, err)
		spki, err := x509.MarshalPKIXPublicKey(pub)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(k.private, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600))
		require.NoError(t, os.WriteFile(k.public, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki}), 0o644))
	}
	file, err := os.ReadFile(k.private)
	require.NoError(t, err)
	block, _ := pem.Decode(file)
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	require.NoError(t, err)
	seed := parsed.(ed25519.PrivateKey).Seed()
	k.secrets = []string{strings.Split(string(file), "\n")[1], hex.EncodeToString(seed)}
	return k
}

// publishedRun is a vendor's publication: a run against the target with the profile, signed.
func publishedRun(t *testing.T, tg *target, key vendorKey, extra ...string) (string, outcome) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "conformance")
	args := append(flags(tg), "--seed", "7", "--explore", "30", "--sign-key", key.private, "--out", dir)
	return dir, runWith(t, nil, append(args, extra...)...)
}

func verifyFolder(t *testing.T, dir string, args ...string) outcome {
	t.Helper()
	return runWith(t, nil, append([]string{"verify", dir}, args...)...)
}

// copyFolder copies a published folder, so that each refusal edits a copy of its own.
func copyFolder(t *testing.T, dir string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(dir))
	require.NoError(t, os.CopyFS(out, os.DirFS(dir)))
	return out
}

// A vendor runs the suite with a profile and a key and publishes the folder and the public key; a
// reader verifies the folder. Nothing the run prints or writes holds the key.
func TestAVendorPublishesAndAReaderVerifies(t *testing.T) {
	key := newVendorKey(t, true)
	tg := newTarget(t, refserver.Options{}, nil, false)
	dir, o := publishedRun(t, tg, key, "--profile", "contacts:strict")
	require.Equal(t, exitConformant, o.code, o.stdout+o.stderr)
	assert.Contains(t, o.stdout, "\nclaim: contacts (strict); not claimed, so not sent: listCampaigns, listOutboundWebhookFlows, listPhoneNumbers\n")
	assert.Regexp(t, `\ncomplete claim: every one of the \d+ cases of the contacts \(strict\) profile ran and was judged\n\n\d+ cases: \d+ passed, 0 failed, 0 warnings, 0 skipped, 0 errors, 0 not selected, \d+ not claimed: conformant\n`, o.stdout)
	assert.Regexp(t, `\nsigned `+regexp.QuoteMeta(dir)+` with the key SHA256:[A-Za-z0-9+/]{43}: signature.json covers 5 reports`, o.stdout)
	assert.Empty(t, o.stderr)

	outputs := map[string]string{"stdout": o.stdout, "stderr": o.stderr}
	for _, name := range append(report.FileNames(), publish.SignatureFile) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err, name)
		outputs[name] = string(b)
	}
	assert.Contains(t, outputs["results.json"], `"sign_key": "[REDACTED]"`)
	for name, text := range outputs {
		for _, secret := range key.secrets {
			assert.NotContains(t, text, secret, "the key in %s", name)
		}
	}

	v := verifyFolder(t, dir, "--pubkey", key.public)
	require.Equal(t, exitConformant, v.code, v.stdout+v.stderr)
	assert.Regexp(t, `^VERIFIED: `+regexp.QuoteMeta(dir)+`: conformant, a complete claim of the contacts \(strict\) profile, by contacts-conformance `+regexp.QuoteMeta(report.Version)+
		` \(spec sha256 [0-9a-f]{12}\), against `+regexp.QuoteMeta(tg.url)+` on \S+; signed with the key SHA256:\S+\n$`, v.stdout)
	assert.Empty(t, v.stderr)
	unsigned := verifyFolder(t, dir)
	require.Equal(t, exitConformant, unsigned.code, unsigned.stdout)
	assert.Contains(t, unsigned.stdout, "; signature not checked (give the vendor's public key with --pubkey)\n")

	// A run written into the same folder without a key leaves no stale signature behind.
	again := runWith(t, nil, append(flags(tg), "--seed", "7", "--explore", "0", "--profile", "contacts", "--out", dir)...)
	require.Equal(t, exitConformant, again.code, again.stderr)
	_, err := os.Stat(filepath.Join(dir, publish.SignatureFile))
	assert.True(t, os.IsNotExist(err), "signature.json of the earlier run is removed")
}

// Each way a published folder can fail to prove its claim is refused, each with its reason on a
// line of its own.
func TestVerifyRefuses(t *testing.T) {
	key := newVendorKey(t, false)
	tg := newTarget(t, refserver.Options{}, nil, false)
	signed, o := publishedRun(t, tg, key, "--profile", "contacts")
	require.Equal(t, exitConformant, o.code, o.stdout+o.stderr)
	require.Equal(t, exitConformant, verifyFolder(t, signed, "--pubkey", key.public).code)

	refused := func(t *testing.T, dir string, want []string, args ...string) {
		t.Helper()
		v := verifyFolder(t, dir, args...)
		require.Equal(t, exitFailures, v.code, v.stdout+v.stderr)
		assert.Empty(t, v.stderr)
		lines := strings.Split(strings.TrimSuffix(v.stdout, "\n"), "\n")
		assert.Regexp(t, `^NOT VERIFIED: `+regexp.QuoteMeta(dir)+`: \d+ problems?$`, lines[len(lines)-1])
		for _, w := range want {
			found := false
			for _, line := range lines {
				found = found || strings.Contains(line, w)
			}
			assert.True(t, found, "no line says %q:\n%s", w, v.stdout)
		}
	}

	for _, name := range append(report.FileNames(), publish.SignatureFile) {
		t.Run("one byte changed in "+name, func(t *testing.T) {
			dir := copyFolder(t, signed)
			path := filepath.Join(dir, name)
			b, err := os.ReadFile(path)
			require.NoError(t, err)
			// A byte in the middle of the file, changed to another that keeps it well-formed.
			i := len(b) / 2
			for b[i] < 'a' || b[i] > 'y' {
				i++
			}
			b[i]++
			require.NoError(t, os.WriteFile(path, b, 0o644))
			if name == publish.SignatureFile {
				refused(t, dir, []string{"signature.json: "}, "--pubkey", key.public)
				return
			}
			refused(t, dir, []string{"signature.json: " + name + " has changed since it was signed"}, "--pubkey", key.public)
		})
	}

	t.Run("a wrong public key", func(t *testing.T) {
		refused(t, signed, []string{"signature.json: it was signed with the key "}, "--pubkey", newVendorKey(t, false).public)
	})

	t.Run("a partial claim", func(t *testing.T) {
		dir, o := publishedRun(t, tg, key, "--profile", "contacts", "--skip", "^accept/")
		require.Equal(t, exitConformant, o.code, "a partial claim is no failure of the run: %s", o.stderr)
		assert.Contains(t, o.stdout, "\npartial claim: 5 cases of the contacts profile did not run: 5 not selected (accept/any/getContactById, ")
		refused(t, dir, []string{"claim: partial claim: 5 cases of the contacts profile did not run: 5 not selected (accept/any/getContactById, accept/application-wildcard/getContactById, accept/q-values/getContactById and 2 more)"}, "--pubkey", key.public)
	})

	t.Run("a failure edited into a pass, the signature removed", func(t *testing.T) {
		faulty := newTarget(t, refserver.Options{Fault: "wrong-record"}, nil, false)
		dir, o := publishedRun(t, faulty, key, "--profile", "contacts")
		require.Equal(t, exitFailures, o.code, o.stdout+o.stderr)
		editResults(t, dir, func(d map[string]any) {
			summary := d["summary"].(map[string]any)
			for _, r := range d["results"].([]any) {
				r := r.(map[string]any)
				if r["outcome"] == "fail" {
					r["outcome"] = "pass"
					delete(r, "findings")
					delete(r, "curl")
					summary["fail"] = summary["fail"].(float64) - 1
					summary["pass"] = summary["pass"].(float64) + 1
				}
			}
			d["verdict"] = report.Conformant
		})
		require.NoError(t, os.Remove(filepath.Join(dir, publish.SignatureFile)))
		want := []string{
			`junit.xml: it counts 8 failures, results.json's results 0`,
			`report.html: its banner says "not conformant", results.json "conformant"`,
			`summary.md: its first line is "## Contacts API conformance: not conformant"`,
			`badge.svg: it says "Contacts API conformance: not conformant, contacts, complete claim, `,
		}
		refused(t, dir, append(want, "signature.json: missing: the folder is not signed"), "--pubkey", key.public)
		refused(t, dir, want)
	})

	t.Run("a spec hash of another version", func(t *testing.T) {
		dir := copyFolder(t, signed)
		other := sha256.Sum256([]byte("openapi: 3.0.3 # an earlier contract"))
		editResults(t, dir, func(d map[string]any) { d["spec_sha256"] = hex.EncodeToString(other[:]) })
		refused(t, dir, []string{"results.json: its spec_sha256 " + hex.EncodeToString(other[:]) + " is not the hash of the spec suite " + report.Version + " ships",
			"signature.json: results.json has changed since it was signed"}, "--pubkey", key.public)
	})

	t.Run("a suite version this verifier does not know", func(t *testing.T) {
		dir := copyFolder(t, signed)
		editResults(t, dir, func(d map[string]any) { d["suite_version"] = "0.1.0" })
		refused(t, dir, []string{"results.json: it is of suite version 0.1.0; this verifier is contacts-conformance " + report.Version +
			" and knows the spec, schema and cases of its own version only: verify with contacts-conformance 0.1.0"})
	})

	t.Run("a results file that would print lines of its own", func(t *testing.T) {
		dir := copyFolder(t, signed)
		editResults(t, dir, func(d map[string]any) { d["suite_version"] = "0.1.0\nVERIFIED: all good\x1b[2J" })
		v := verifyFolder(t, dir)
		require.Equal(t, exitFailures, v.code)
		assert.NotContains(t, v.stdout, "\x1b")
		assert.NotContains(t, v.stdout, "\nVERIFIED")
		refused(t, dir, []string{"results.json: it is of suite version 0.1.0 VERIFIED: all good [2J; this verifier is"})
	})

	t.Run("a case removed from the results", func(t *testing.T) {
		dir := copyFolder(t, signed)
		editResults(t, dir, func(d map[string]any) {
			results := d["results"].([]any)
			d["results"] = results[1:]
			s := d["summary"].(map[string]any)
			s["total"], s["pass"] = s["total"].(float64)-1, s["pass"].(float64)-1
		})
		refused(t, dir, []string{"results.json: 1 cases of suite " + report.Version + " are not among its results: auth/missing-header/getContactById"})
	})
}

// editResults rewrites results.json as the runner indents it.
func editResults(t *testing.T, dir string, edit func(d map[string]any)) {
	t.Helper()
	path := filepath.Join(dir, "results.json")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var d map[string]any
	require.NoError(t, json.Unmarshal(b, &d))
	edit(d)
	b, err = json.MarshalIndent(d, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b, 0o644))
}

// A folder that cannot be read, or a key that is not one, is exit 2 and one line.
func TestVerifyCannotBeMade(t *testing.T) {
	dir := t.TempDir()
	aFile := filepath.Join(dir, "a-file")
	require.NoError(t, os.WriteFile(aFile, []byte("x"), 0o644))
	key := newVendorKey(t, false)
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"no folder", []string{"verify"}, "runner verify: give one folder, the --out of a run (got 0)"},
		{"two folders", []string{"verify", dir, dir}, "runner verify: give one folder, the --out of a run (got 2)"},
		{"a missing folder", []string{"verify", filepath.Join(dir, "none")}, "runner verify: cannot read " + filepath.Join(dir, "none") + ": no such file or directory"},
		{"a file", []string{"verify", aFile}, "runner verify: " + aFile + " is not a directory"},
		{"no results.json", []string{"verify", dir}, "runner verify: " + dir + " holds no results.json: it is not a folder the runner wrote with --out"},
		{"a private key as the public one", []string{"verify", dir, "--pubkey", key.private}, "is a private key, which the vendor keeps secret"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := runWith(t, nil, tt.args...)
			assert.Equal(t, exitNoRun, o.code)
			assert.Contains(t, o.stderr, tt.want)
			assert.Equal(t, 1, strings.Count(o.stderr, "\n"), o.stderr)
			assert.Empty(t, o.stdout)
			for _, s := range key.secrets {
				assert.NotContains(t, o.stderr, s)
			}
		})
	}
}

// A key that cannot sign is refused before anything is sent, in one line that quotes none of it.
func TestASigningKeyIsCheckedBeforeAnythingIsSent(t *testing.T) {
	tg := newTarget(t, refserver.Options{}, nil, false)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(rsaKey)
	require.NoError(t, err)
	rsaFile := filepath.Join(t.TempDir(), "rsa.key")
	require.NoError(t, os.WriteFile(rsaFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600))
	key := newVendorKey(t, false)
	out := t.TempDir()
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"an RSA key", []string{"--sign-key", rsaFile, "--out", out}, "runner: --sign-key " + rsaFile + " is an RSA key; --sign-key takes an Ed25519 private key in PKCS#8 PEM"},
		{"the public key", []string{"--sign-key", key.public, "--out", out}, "is a public key"},
		{"no --out", []string{"--sign-key", key.private}, "runner: --sign-key needs --out DIR: the signature covers the reports written there"},
		{"an unknown profile", []string{"--profile", "contact"}, `runner: --profile "contact": "contact" is not a profile of this suite`},
		{"ids outside the claim", []string{"--profile", "campaigns"}, "runner: --contact-id is set, but the claim (campaigns) leaves out getContactById"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := runWith(t, nil, append(flags(tg), tt.args...)...)
			assert.Equal(t, exitNoRun, o.code, o.stdout)
			assert.Contains(t, o.stderr, tt.want)
			assert.Equal(t, 1, strings.Count(o.stderr, "\n"), o.stderr)
			assert.Zero(t, tg.tokenedRequests.Load(), "the token was sent")
		})
	}
	assert.Zero(t, tg.requests.Load(), "nothing was sent")
}

// The key is redacted like the token, even from what a hostile server echoes back.
func TestTheSigningKeyIsRedacted(t *testing.T) {
	key := newVendorKey(t, false)
	echo := func(_ *target, next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Echo", strings.Join(key.secrets, " "))
			next.ServeHTTP(w, r)
		})
	}
	tg := newTarget(t, refserver.Options{Fault: "wrong-record"}, echo, false)
	dir, o := publishedRun(t, tg, key, "-v")
	require.Equal(t, exitFailures, o.code, o.stderr)
	outputs := map[string]string{"stdout": o.stdout, "stderr": o.stderr}
	for _, name := range append(report.FileNames(), publish.SignatureFile) {
		b, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		outputs[name] = string(b)
	}
	assert.Contains(t, outputs["results.json"], `"X-Echo": "[REDACTED] [REDACTED]"`)
	for name, text := range outputs {
		for _, s := range key.secrets {
			assert.NotContains(t, text, s, "the key in %s", name)
		}
	}
}

// A contacts-only server claims the contacts profile cleanly and is sent nothing it does not
// serve; claimed in full, its run ends in the preflight, and its folder proves nothing.
func TestAContactsOnlyServerClaimsContactsAndNotFull(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	contactsOnly := func(_ *target, next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			paths = append(paths, r.URL.Path)
			mu.Unlock()
			if !strings.HasPrefix(r.URL.Path, "/contact/") {
				http.NotFound(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	key := newVendorKey(t, false)
	tg := newTarget(t, refserver.Options{}, contactsOnly, false)
	dir, o := publishedRun(t, tg, key, "--profile", "contacts")
	require.Equal(t, exitConformant, o.code, o.stdout+o.stderr)
	for _, p := range paths {
		require.True(t, strings.HasPrefix(p, "/contact/"), "a request the claim leaves out: %s", p)
	}
	v := verifyFolder(t, dir, "--pubkey", key.public)
	require.Equal(t, exitConformant, v.code, v.stdout)
	assert.Contains(t, v.stdout, "conformant, a complete claim of the contacts profile,")

	full, o := publishedRun(t, tg, key)
	require.Equal(t, exitNoRun, o.code, o.stdout)
	assert.Contains(t, o.stderr, "runner: preflight: "+tg.url+" does not serve this API: GET /campaign/list was answered 404 Not Found")
	assert.Contains(t, o.stderr, "or the server does not implement listCampaigns (then claim only the profiles it does, with --profile) (the token was not sent)")
	assert.Equal(t, 1, strings.Count(o.stderr, "\n"), "the preflight's line alone: %s", o.stderr)
	assert.Contains(t, o.stdout, "\nsigned "+full+" with the key ", "an incomplete run is signed as it is")
	v = verifyFolder(t, full, "--pubkey", key.public)
	require.Equal(t, exitFailures, v.code)
	lines := strings.Split(strings.TrimSuffix(v.stdout, "\n"), "\n")
	require.Len(t, lines, 3, v.stdout)
	assert.Regexp(t, `^claim: partial claim: (\d+) cases of the full profile did not run: (\d+) ended in errors \(auth/missing-header/getContactById, auth/empty-header/getContactById, auth/empty-bearer/getContactById and \d+ more\)$`, lines[0])
	assert.Equal(t, []string{
		"verdict: incomplete, not conformant: The preflight failed, so no case was judged: " + strings.TrimPrefix(strings.TrimSuffix(o.stderr, "\n"), "runner: preflight: ") + ".",
		"NOT VERIFIED: " + full + ": 2 problems",
	}, lines[1:], "the signature holds: the folder says truthfully that it proves nothing")
}

// --list shows the profiles and what the claim leaves out, and lists only the claimed cases.
func TestListShowsTheClaim(t *testing.T) {
	o := runWith(t, nil, "--list", "--profile", "contacts", "--seed", "1")
	require.Equal(t, exitConformant, o.code, o.stderr)
	assert.Contains(t, o.stdout, "\nProfiles (--profile NAME[:strict][,NAME...]; this run claims contacts):\n  campaigns       listCampaigns\n  contacts        getContactById\n")
	m := regexp.MustCompile(`\nCases \((\d+) of (\d+) selected\):\n  \((\d+) cases are outside the claim: not claimed, never sent\)\n`).FindStringSubmatch(o.stdout)
	require.NotNil(t, m, o.stdout)
	selected, total, outside := atoi(t, m[1]), atoi(t, m[2]), atoi(t, m[3])
	assert.Equal(t, total, selected+outside, "every case is claimed or outside the claim")
	assert.Equal(t, contactCases(t), selected)
	assert.Contains(t, o.stdout, "\n  ok/known/getContactById ")
	assert.NotContains(t, o.stdout, "ok/list/listCampaigns")
	assert.NotContains(t, o.stdout, "listPhoneNumbers ", "the generative phase plans no input outside the claim")
}

// A token without letters of one case (a hex token) has no variant of that case to send: those
// cases do not apply, and the claim is complete without them.
func TestAHexTokenMakesACompleteClaim(t *testing.T) {
	key := newVendorKey(t, false)
	tg := newTarget(t, refserver.Options{Token: "0123456789abcdef0123"}, nil, false)
	dir, o := publishedRun(t, tg, key, "--profile", "contacts")
	require.Equal(t, exitConformant, o.code, o.stdout+o.stderr)
	assert.Contains(t, o.stdout, "SKIP  auth/token-lower-case/getContactById")
	assert.Contains(t, o.stdout, "profile ran and was judged (1 more did not apply: with this token the variant is the valid credential itself")
	v := verifyFolder(t, dir, "--pubkey", key.public)
	assert.Equal(t, exitConformant, v.code, v.stdout)
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	require.NoError(t, err)
	return n
}

// contactCases is how many cases of the catalogue the contacts profile holds.
func contactCases(t *testing.T) int {
	t.Helper()
	contract, err := spec.Load()
	require.NoError(t, err)
	n := 0
	for _, c := range suites.Build(contract, suites.CatalogueConfig) {
		if c.Operation.ID == "getContactById" {
			n++
		}
	}
	return n
}
