package refserver

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
)

//go:embed testdata/fixtures.json
var embeddedFixtures []byte

// Fixtures are the records the reference server serves. Records are kept as decoded JSON objects,
// so that what the server answers is exactly what the fixture file says.
type Fixtures struct {
	// CompanyID is the company of the token; records of other companies are never served.
	CompanyID    string           `json:"company_id"`
	Token        string           `json:"token"`
	Contacts     []map[string]any `json:"contacts"`
	PhoneNumbers []map[string]any `json:"phone_numbers"`
	Campaigns    []map[string]any `json:"campaigns"`
	WebhookFlows []map[string]any `json:"webhook_flows"`
}

// EmbeddedFixtures decodes the fixtures compiled into the binary; each call returns a fresh copy
// that the caller may change.
func EmbeddedFixtures() (*Fixtures, error) { return ParseFixtures(embeddedFixtures) }

// ParseFixtures decodes a fixture file, keeping numbers exact.
func ParseFixtures(data []byte) (*Fixtures, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var fx Fixtures
	if err := dec.Decode(&fx); err != nil {
		return nil, fmt.Errorf("reference server: fixtures: %w", err)
	}
	if fx.CompanyID == "" || fx.Token == "" {
		return nil, fmt.Errorf("reference server: fixtures: company_id and token are required")
	}
	if fx.ownContactID() == "" || fx.foreignContactID() == "" {
		return nil, fmt.Errorf("reference server: fixtures need a contact of the company and one of another company")
	}
	return &fx, nil
}

// contact finds a contact by id; UUIDs compare case-insensitively, as their hex digits do.
func (fx *Fixtures) contact(id string) map[string]any {
	for _, c := range fx.Contacts {
		if s, _ := c["id"].(string); strings.EqualFold(s, id) {
			return c
		}
	}
	return nil
}

func (fx *Fixtures) ownContactID() string {
	for _, c := range fx.Contacts {
		if c["company_id"] == fx.CompanyID {
			return c["id"].(string)
		}
	}
	return ""
}

// OwnContactIDs lists every contact id the token can see.
func (fx *Fixtures) OwnContactIDs() []string {
	var ids []string
	for _, c := range fx.Contacts {
		if c["company_id"] == fx.CompanyID {
			ids = append(ids, c["id"].(string))
		}
	}
	return ids
}

func (fx *Fixtures) foreignContactID() string {
	for _, c := range fx.Contacts {
		if c["company_id"] != fx.CompanyID {
			return c["id"].(string)
		}
	}
	return ""
}
