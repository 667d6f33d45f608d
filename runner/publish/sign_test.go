package publish

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contacts-conformance/suite/runner/report"
)

// writeKey writes a fresh Ed25519 key pair as PEM files, the way openssl writes them: the private
// key in PKCS#8, the public one as SubjectPublicKeyInfo.
func writeKey(t *testing.T, dir string) (private, public string, priv ed25519.PrivateKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	require.NoError(t, err)
	spki, err := x509.MarshalPKIXPublicKey(pub)
	require.NoError(t, err)
	private, public = filepath.Join(dir, "vendor.key"), filepath.Join(dir, "vendor.pub")
	require.NoError(t, os.WriteFile(private, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(public, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki}), 0o644))
	return private, public, priv
}

func pemFile(t *testing.T, dir, name, kind string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600))
	return path
}

// A key that cannot sign is one line naming the file and what it is, and quoting nothing of it.
func TestLoadSigningKeyRefusals(t *testing.T) {
	dir := t.TempDir()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	rsaDER, err := x509.MarshalPKCS8PrivateKey(rsaKey)
	require.NoError(t, err)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ecDER, err := x509.MarshalPKCS8PrivateKey(ecKey)
	require.NoError(t, err)
	_, public, _ := writeKey(t, dir)
	garbage := filepath.Join(dir, "garbage")
	require.NoError(t, os.WriteFile(garbage, []byte("MC4CAQAwBQYDK2VwBCIEIHgarbage\n"), 0o600))
	tests := []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(dir, "none"), "--sign-key cannot read " + filepath.Join(dir, "none") + ": no such file or directory"},
		{"not PEM", garbage, "--sign-key " + garbage + " is not a PEM file; --sign-key takes an Ed25519 private key in PKCS#8 PEM"},
		{"RSA", pemFile(t, dir, "rsa.key", "PRIVATE KEY", rsaDER), "is an RSA key; --sign-key takes an Ed25519 private key"},
		{"ECDSA", pemFile(t, dir, "ec.key", "PRIVATE KEY", ecDER), "is an ECDSA key"},
		{"public", public, "is a public key; --sign-key takes an Ed25519 private key in PKCS#8 PEM, as `openssl genpkey -algorithm ed25519` writes it (the public key is for readers: verify --pubkey)"},
		{"encrypted", pemFile(t, dir, "enc.key", "ENCRYPTED PRIVATE KEY", []byte{1, 2, 3}), "is encrypted"},
		{"PKCS#1", pemFile(t, dir, "rsa1.key", "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rsaKey)), `holds a PEM block of type "RSA PRIVATE KEY"`},
		{"broken PKCS#8", pemFile(t, dir, "broken.key", "PRIVATE KEY", []byte("not DER at all")), "is not a PKCS#8 private key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadSigningKey(tt.path)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "\n")
			assert.NotContains(t, err.Error(), "MC4CAQAw", "nothing of the file is quoted")
		})
	}
	for _, name := range []string{"missing", "private"} {
		path := filepath.Join(dir, "none")
		if name == "private" {
			path = filepath.Join(dir, "vendor.key")
		}
		_, err := LoadPublicKey(path)
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "\n")
		if name == "private" {
			assert.Contains(t, err.Error(), "is a private key, which the vendor keeps secret")
		}
	}
}

// The key's secrets are every spelling of it the redactor needs: its file, its PEM body, its DER
// and its seed, raw and hex; the public key's fingerprint is none of them.
func TestSigningKeySecrets(t *testing.T) {
	private, _, priv := writeKey(t, t.TempDir())
	key, err := LoadSigningKey(private)
	require.NoError(t, err)
	file, err := os.ReadFile(private)
	require.NoError(t, err)
	block, _ := pem.Decode(file)
	body := strings.Split(string(file), "\n")[1]
	for _, s := range []string{strings.TrimSpace(string(file)), body, string(priv.Seed()), hex.EncodeToString(priv.Seed()), string(block.Bytes)} {
		assert.Contains(t, key.Secrets(), s)
	}
	id, err := KeyID(priv.Public().(ed25519.PublicKey))
	require.NoError(t, err)
	assert.Equal(t, id, key.ID)
	for _, s := range key.Secrets() {
		assert.NotContains(t, id, s)
	}
}

// fakeReports writes a file for every report --out writes.
func fakeReports(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range report.FileNames() {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("the "+name+" of a run\n"), 0o644))
	}
	return dir
}

// signedReports loads the key pair and signs a folder of reports with it.
func signedReports(t *testing.T, private, public string) (*SigningKey, ed25519.PublicKey, string, *Signature) {
	t.Helper()
	key, err := LoadSigningKey(private)
	require.NoError(t, err)
	pub, err := LoadPublicKey(public)
	require.NoError(t, err)
	dir := fakeReports(t)
	sig, err := key.Sign(dir)
	require.NoError(t, err)
	return key, pub, dir, sig
}

// A signature covers every report; a byte changed in any of them, another key, or an edited
// signature file is caught, each naming what changed.
func TestSignatureCoversEveryReport(t *testing.T) {
	private, public, _ := writeKey(t, t.TempDir())
	key, pub, dir, sig := signedReports(t, private, public)
	assert.Equal(t, key.ID, sig.Key)
	v := &Verification{}
	require.Empty(t, checkSignature(dir, pub, v))
	assert.Equal(t, key.ID, v.SignedBy)

	for _, name := range report.FileNames() {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			original, err := os.ReadFile(path)
			require.NoError(t, err)
			defer func() { require.NoError(t, os.WriteFile(path, original, 0o644)) }()
			changed := append([]byte(nil), original...)
			changed[len(changed)/2] ^= 1
			require.NoError(t, os.WriteFile(path, changed, 0o644))
			problems := checkSignature(dir, pub, &Verification{})
			require.Len(t, problems, 1)
			assert.True(t, strings.HasPrefix(problems[0], name+" has changed since it was signed: its sha256 is "), problems[0])
		})
	}

	_, otherPublic, _ := writeKey(t, t.TempDir())
	other, err := LoadPublicKey(otherPublic)
	require.NoError(t, err)
	otherID, err := KeyID(other)
	require.NoError(t, err)
	assert.Equal(t, []string{"it was signed with the key " + key.ID + ", not with the key given (" + otherID + ")"}, checkSignature(dir, other, &Verification{}))

	// A signature file whose key was swapped for the reader's, or whose statement was edited,
	// no longer verifies.
	edit := func(change func(s *Signature)) []string {
		path := filepath.Join(dir, SignatureFile)
		original, err := os.ReadFile(path)
		require.NoError(t, err)
		defer func() { require.NoError(t, os.WriteFile(path, original, 0o644)) }()
		var s Signature
		require.NoError(t, json.Unmarshal(original, &s))
		change(&s)
		b, err := json.Marshal(s)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, b, 0o644))
		return checkSignature(dir, other, &Verification{})
	}
	assert.Equal(t, []string{"the signature does not verify with the key given (" + otherID + "): signature.json was changed after it was signed"},
		edit(func(s *Signature) {
			s.Key = otherID
			s.Statement = strings.Replace(s.Statement, key.ID, otherID, 1)
		}))
	assert.Equal(t, []string{"line 8 of its statement is not a SHA-256 and a file name"}, edit(func(s *Signature) { s.Statement += "\n" }))
	assert.Equal(t, []string{"its statement is not laid out as the suite writes it"}, edit(func(s *Signature) { s.Statement = strings.TrimSuffix(s.Statement, "\n") }))
	assert.Equal(t, []string{"badge.svg is not covered by the signature"}, edit(func(s *Signature) {
		s.Statement = s.Statement[:strings.LastIndex(strings.TrimSuffix(s.Statement, "\n"), "\n")+1]
	})[:1])

	require.NoError(t, os.Remove(filepath.Join(dir, SignatureFile)))
	assert.Empty(t, checkSignature(dir, nil, &Verification{}), "an unsigned folder is no problem when no key is given")
	assert.Equal(t, []string{"missing: the folder is not signed (the vendor signs it with --sign-key), so the key given vouches for nothing"}, checkSignature(dir, pub, &Verification{}))
}

// The signature is plain Ed25519 over the statement, and the statement lists the digests as
// sha256sum does: a reader needs nothing of this suite to check them. The key may be one openssl
// wrote.
func TestOpensslAgrees(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl is not on this machine")
	}
	keys := t.TempDir()
	private, public := filepath.Join(keys, "vendor.key"), filepath.Join(keys, "vendor.pub")
	if out, err := exec.Command(openssl, "genpkey", "-algorithm", "ed25519", "-out", private).CombinedOutput(); err != nil {
		t.Skipf("this openssl cannot make an Ed25519 key: %s", out)
	}
	out, err := exec.Command(openssl, "pkey", "-in", private, "-pubout", "-out", public).CombinedOutput()
	require.NoError(t, err, "%s", out)
	key, pub, dir, sig := signedReports(t, private, public)
	require.Empty(t, checkSignature(dir, pub, &Verification{}))

	statement, signature := filepath.Join(keys, "statement"), filepath.Join(keys, "signature")
	require.NoError(t, os.WriteFile(statement, []byte(sig.Statement), 0o644))
	raw, err := decodeBase64(sig.Value)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(signature, raw, 0o644))
	out, err = exec.Command(openssl, "pkeyutl", "-verify", "-pubin", "-inkey", public, "-rawin", "-in", statement, "-sigfile", signature).CombinedOutput()
	if strings.Contains(string(out), "rawin") && err != nil {
		t.Skipf("this openssl cannot verify raw Ed25519 signatures: %s", out)
	}
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "Signature Verified Successfully")

	lines := strings.SplitN(sig.Statement, "\n", 3)
	sums := filepath.Join(keys, "sums")
	require.NoError(t, os.WriteFile(sums, []byte(lines[2]), 0o644))
	if sha256sum, err := exec.LookPath("sha256sum"); err == nil {
		cmd := exec.Command(sha256sum, "-c", sums)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s", out)
	}

	der, err := exec.Command(openssl, "pkey", "-pubin", "-in", public, "-outform", "DER").Output()
	require.NoError(t, err)
	parsed, err := x509.ParsePKIXPublicKey(der)
	require.NoError(t, err)
	id, err := KeyID(parsed.(ed25519.PublicKey))
	require.NoError(t, err)
	assert.Equal(t, key.ID, id)
}

func decodeBase64(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }
