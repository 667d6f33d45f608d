// Package publish vouches for a published report folder: the vendor signs the reports of a run
// with an Ed25519 key (--sign-key), and a reader checks the folder (contacts-conformance verify):
// that results.json is what this suite version writes, that its verdict, counts and claim follow
// from its results, that the other reports agree with it, and, with the vendor's public key, that
// not one byte changed since the run.
package publish

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/contacts-conformance/suite/runner/report"
)

// SignatureFile is the detached signature --sign-key writes beside the reports.
const SignatureFile = "signature.json"

// Algorithm is the only signature algorithm: Ed25519 (RFC 8032), from the standard library.
const Algorithm = "ed25519"

// statementHeader starts the signed statement; the number changes if its layout ever does.
const statementHeader = "contacts-conformance signature 1"

// maxKeyFile bounds a key file read: a PEM key is a few hundred bytes.
const maxKeyFile = 64 << 10

// Signature is signature.json: the statement signed, and the signature over its bytes. The
// statement names the key, then every report with its SHA-256 as sha256sum prints it, so a reader
// can check the digests with `sha256sum -c` and the signature with openssl alone.
type Signature struct {
	Algorithm string `json:"algorithm"`
	// Key is the fingerprint of the public key: "SHA256:" and the unpadded base64 of the SHA-256
	// of its DER (SubjectPublicKeyInfo) encoding.
	Key       string `json:"key"`
	Statement string `json:"statement"`
	// Value is the signature over the statement's bytes, in standard base64.
	Value string `json:"signature"`
}

// SigningKey is the vendor's private key, loaded before anything is sent. It is a secret: the
// runner redacts it, in every spelling Secrets lists, from everything it prints and writes.
type SigningKey struct {
	key     ed25519.PrivateKey
	secrets []string
	// ID is the public key's fingerprint, which is no secret.
	ID string
}

// LoadSigningKey reads an Ed25519 private key in PKCS#8 PEM, as `openssl genpkey -algorithm
// ed25519` writes it. Every error is one line that quotes nothing of the file.
func LoadSigningKey(path string) (*SigningKey, error) {
	data, block, fail, err := readPEM("--sign-key", path)
	if err != nil {
		return nil, err
	}
	const want = "--sign-key takes an Ed25519 private key in PKCS#8 PEM, as `openssl genpkey -algorithm ed25519` writes it"
	switch {
	case block == nil:
		return nil, fail("is not a PEM file; " + want)
	case block.Type == "ENCRYPTED PRIVATE KEY":
		return nil, fail("is encrypted; " + want + ", unencrypted, in a file only the run can read")
	case block.Type == "PUBLIC KEY":
		return nil, fail("is a public key; " + want + " (the public key is for readers: verify --pubkey)")
	case block.Type != "PRIVATE KEY":
		return nil, fail(fmt.Sprintf("holds a PEM block of type %q; %s", block.Type, want))
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fail("is not a PKCS#8 private key; " + want)
	}
	key, ok := parsed.(ed25519.PrivateKey)
	if !ok {
		return nil, fail(fmt.Sprintf("is an %s key; %s", keyKind(parsed), want))
	}
	id, err := KeyID(key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, fail(err.Error())
	}
	body := base64.StdEncoding.EncodeToString(block.Bytes)
	seed := key.Seed()
	secrets := []string{strings.TrimSpace(string(data)), body, string(block.Bytes), hex.EncodeToString(block.Bytes), string(seed), hex.EncodeToString(seed)}
	return &SigningKey{key: key, secrets: secrets, ID: id}, nil
}

// readPEM reads the key file given with flag and decodes its PEM block (nil when it has none);
// fail words an error about the file, naming the flag and the path.
func readPEM(flag, path string) (data []byte, block *pem.Block, fail func(why string) error, err error) {
	if data, err = report.ReadFile(path, maxKeyFile, "not a key"); err != nil {
		return nil, nil, nil, fmt.Errorf("%s %v", flag, err)
	}
	block, _ = pem.Decode(data)
	return data, block, func(why string) error { return fmt.Errorf("%s %s %s", flag, path, why) }, nil
}

func keyKind(k any) string {
	switch k.(type) {
	case *rsa.PrivateKey:
		return "RSA"
	case *ecdsa.PrivateKey:
		return "ECDSA"
	case *ecdh.PrivateKey:
		return "X25519 (a key agreement key, which cannot sign)"
	}
	return fmt.Sprintf("%T", k)
}

// Secrets are every spelling of the key the runner must never print: the file's text, its PEM
// body, the DER and the seed, raw and in hex (the redactor adds their base64 spellings).
func (k *SigningKey) Secrets() []string {
	if k == nil {
		return nil
	}
	return k.secrets
}

// KeyID is a public key's fingerprint: "SHA256:" and the unpadded base64 of the SHA-256 of its
// SubjectPublicKeyInfo, as `openssl pkey -pubout -outform DER | openssl dgst -sha256 -binary |
// base64` gives it (padding dropped).
func KeyID(pub ed25519.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("cannot encode the public key: %v", err)
	}
	sum := sha256.Sum256(der)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:]), nil
}

// SignedFiles are the reports a signature covers: every report --out writes.
func SignedFiles() []string { return report.FileNames() }

// Sign writes signature.json into dir, over the reports --out wrote there (report.Files), as they
// are on disk.
func (k *SigningKey) Sign(dir string) (*Signature, error) {
	var digests []Digest
	for _, f := range report.Files {
		sum, err := digestOf(filepath.Join(dir, f.Name))
		if err != nil {
			return nil, fmt.Errorf("cannot sign %s: %v", dir, err)
		}
		digests = append(digests, Digest{Name: f.Name, SHA256: sum})
	}
	statement := Statement(k.ID, digests)
	sig := &Signature{Algorithm: Algorithm, Key: k.ID, Statement: statement,
		Value: base64.StdEncoding.EncodeToString(ed25519.Sign(k.key, []byte(statement)))}
	doc, err := json.MarshalIndent(sig, "", "  ")
	if err != nil {
		return nil, err
	}
	err = report.WriteFile(filepath.Join(dir, SignatureFile), func(w io.Writer) error {
		_, err := w.Write(append(doc, '\n'))
		return err
	})
	return sig, err
}

// Digest is a report's SHA-256, in hex.
type Digest struct {
	Name, SHA256 string
}

// Statement is the text signed: the header, the algorithm and the key, then a line per report as
// sha256sum prints it, in the order of report.Files.
func Statement(key string, digests []Digest) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s %s\n", statementHeader, Algorithm, key)
	for _, d := range digests {
		fmt.Fprintf(&b, "%s  %s\n", d.SHA256, d.Name)
	}
	return b.String()
}

// parseStatement reads the key and the digests back from a statement; an error says what is wrong
// with it, in a few words.
func parseStatement(s string) (key string, digests []Digest, err error) {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if len(lines) < 2 || lines[0] != statementHeader {
		return "", nil, fmt.Errorf("its statement does not start with %q", statementHeader)
	}
	alg, key, ok := strings.Cut(lines[1], " ")
	if !ok || alg != Algorithm || key == "" {
		return "", nil, fmt.Errorf("its statement's second line is not %q and a key", Algorithm)
	}
	for i, line := range lines[2:] {
		sum, name, ok := strings.Cut(line, "  ")
		if b, err := hex.DecodeString(sum); !ok || err != nil || len(b) != sha256.Size || name == "" {
			return "", nil, fmt.Errorf("line %d of its statement is not a SHA-256 and a file name", i+3)
		}
		digests = append(digests, Digest{Name: name, SHA256: sum})
	}
	if Statement(key, digests) != s {
		return "", nil, errors.New("its statement is not laid out as the suite writes it")
	}
	return key, digests, nil
}

func digestOf(path string) (string, error) {
	data, err := report.ReadFile(path, report.MaxResultsFile, "not a report of contacts-conformance")
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

// LoadPublicKey reads an Ed25519 public key in PEM (SubjectPublicKeyInfo), as `openssl pkey
// -pubout` writes it.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	_, block, fail, err := readPEM("--pubkey", path)
	if err != nil {
		return nil, err
	}
	const want = "--pubkey takes the vendor's Ed25519 public key in PEM, as `openssl pkey -in KEY -pubout` writes it"
	switch {
	case block == nil:
		return nil, fail("is not a PEM file; " + want)
	case strings.Contains(block.Type, "PRIVATE KEY"):
		return nil, fail("is a private key, which the vendor keeps secret; " + want)
	case block.Type != "PUBLIC KEY":
		return nil, fail(fmt.Sprintf("holds a PEM block of type %q; %s", block.Type, want))
	}
	parsed, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fail("is not a public key; " + want)
	}
	pub, ok := parsed.(ed25519.PublicKey)
	if !ok {
		return nil, fail(fmt.Sprintf("is not an Ed25519 key (%T); %s", parsed, want))
	}
	return pub, nil
}

// readSignature reads signature.json; nil with no error when the folder holds none.
func readSignature(dir string) (*Signature, error) {
	path := filepath.Join(dir, SignatureFile)
	if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	data, err := report.ReadFile(path, maxKeyFile, "not a signature of contacts-conformance")
	if err != nil {
		return nil, err
	}
	var sig Signature
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sig); err != nil {
		return nil, errors.New("it is not the JSON the suite writes")
	}
	return &sig, nil
}
