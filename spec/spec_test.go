package spec

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The embedded document must stay valid OpenAPI, examples included: every run depends on it.
func TestEmbeddedDocumentIsValid(t *testing.T) {
	c, err := Load()
	require.NoError(t, err)
	assert.Equal(t, "3.0.3", c.Doc.OpenAPI)
	assert.Len(t, c.Hash, 64)
	var ids []string
	for _, op := range c.Operations {
		ids = append(ids, op.ID)
		assert.True(t, op.Secured, "%s must require the bearer token", op.ID)
		assert.True(t, op.Documents(http.StatusUnauthorized), "%s must document 401", op.ID)
		assert.True(t, op.Documents(http.StatusMethodNotAllowed), "%s must document 405", op.ID)
	}
	assert.Equal(t, []string{"getContactById", "listCampaigns", "listOutboundWebhookFlows", "listPhoneNumbers"}, ids)
	contact := c.Doc.Components.Schemas["Contact"].Value
	assert.Len(t, contact.Required, 19, "all 19 keys of a contact are required")
	assert.Len(t, contact.Properties, 19)
}

func TestLoadDataRejectsBrokenDocuments(t *testing.T) {
	valid := string(Embedded())
	tests := []struct {
		name, doc, wantErr string
	}{
		{"not yaml", "openapi: [", "cannot parse"},
		{"missing info", strings.Replace(valid, "info:\n  title: Contacts API\n", "x-info:\n  title: Contacts API\n", 1), "not valid"},
		{"dangling reference", strings.Replace(valid, "$ref: '#/components/schemas/Contact'", "$ref: '#/components/schemas/Nope'", 1), ""},
		{"example violating its schema", strings.Replace(valid, "last_call_duration: 187", "last_call_duration: long", 1), "not valid"},
		{"operation without operationId", strings.Replace(valid, "      operationId: listPhoneNumbers\n", "", 1), "operationId"},
		{"operation without a profile", strings.Replace(valid, "      x-conformance-profile: phone-numbers\n", "", 1), "spec: listPhoneNumbers has no x-conformance-profile"},
		{"operation claiming the full profile", strings.Replace(valid, "x-conformance-profile: phone-numbers", "x-conformance-profile: full", 1), `names the profile "full"`},
		{"profile that is no name", strings.Replace(valid, "x-conformance-profile: phone-numbers", "x-conformance-profile: Phone Numbers", 1), "is not a name of lower-case words"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadData([]byte(tt.doc))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

const validError = `{"status":"error","message":"contact not found","data":null}`

func TestValidateResponse(t *testing.T) {
	c, err := Load()
	require.NoError(t, err)
	op := c.Operation("getContactById")
	jsonCT := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	contact := func(edit func(string) string) string {
		body := `{"status":"ok","message":"","data":{"id":"6f1c2a4e-8b3d-4c55-9e0a-2f7d9b1c3e40","company_id":"0b8e4d9a-1c2f-4e3a-8d5b-7a6c9e0f1b2d","firstname":null,"lastname":null,"phone_number":"+33612345678","metadata":{},"number_country_code":null,"last_call_status":null,"last_call_at":null,"last_call_duration":null,"last_call_feedback":null,"source_name":null,"tag_name":null,"category_name":null,"notes":null,"created_at":"2025-01-08T16:02:11Z","updated_at":"2025-03-14T09:30:02+01:00","campaign_id":null,"status":"new","x_extra":1}}`
		return edit(body)
	}
	same := func(s string) string { return s }
	tests := []struct {
		name   string
		status int
		header http.Header
		body   string
		want   []string // substrings, one per expected violation, in pointer order
	}{
		{"every nullable null and an extra key", 200, jsonCT, contact(same), nil},
		{"documented error", 404, jsonCT, validError, nil},
		{"undocumented status", 418, jsonCT, validError, []string{"status 418 is not documented"}},
		{"error answered with 200", 200, jsonCT, validError, []string{"/data: null is not allowed", `/status: value is not one of the allowed values ["ok"]`}},
		{"wrong content type", 404, http.Header{"Content-Type": {"text/html"}}, "<html>404</html>", []string{`Content-Type "text/html" is not documented`}},
		{"not json", 404, jsonCT, "404 page not found", []string{"the body is not JSON"}},
		{"empty body", 404, jsonCT, "", []string{"the body is empty"}},
		{"error data not null", 404, jsonCT, `{"status":"error","message":"x","data":{}}`, []string{"/data"}},
		{"405 without Allow", 405, jsonCT, validError, []string{`header "Allow" missing`}},
		{"every violation with its pointer", 200, jsonCT, contact(func(s string) string {
			s = strings.Replace(s, `"company_id":"0b8e4d9a-1c2f-4e3a-8d5b-7a6c9e0f1b2d"`, `"company_id":"company-42"`, 1)
			s = strings.Replace(s, `"created_at":"2025-01-08T16:02:11Z"`, `"created_at":"2023-10-01T12:00:00"`, 1)
			s = strings.Replace(s, `"last_call_duration":null`, `"last_call_duration":"187"`, 1)
			s = strings.Replace(s, `"phone_number":"+33612345678",`, ``, 1)
			return strings.Replace(s, `"status":"new"`, `"status":null`, 1)
		}), []string{
			`/data/company_id: string doesn't match the format "uuid"`,
			`/data/created_at: string doesn't match the format "date-time": got "2023-10-01T12:00:00", a date-time without a time zone`,
			`/data/last_call_duration: value must be an integer`,
			`/data/phone_number: property "phone_number" is missing`,
			`/data/status: null is not allowed here`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.ValidateResponse(op, nil, tt.status, tt.header, []byte(tt.body))
			require.Len(t, got, len(tt.want), "violations: %v", got)
			for i, w := range tt.want {
				assert.Contains(t, got[i].String(), w)
			}
		})
	}
}

// An upper-case UUID is a UUID: servers that print their ids in upper case are conformant, and so
// are UUIDv7 ids.
func TestUUIDFormatAcceptsAnyLayoutAndCase(t *testing.T) {
	c, err := Load()
	require.NoError(t, err)
	schema := c.Doc.Components.Schemas["Uuid"].Value
	for _, ok := range []string{"5B2E8F14-3C6D-4A7E-9F10-2B4C6D8E0A13", "01936b2e-8f14-7c6d-9a7e-2b4c6d8e0a13", "00000000-0000-0000-0000-000000000000"} {
		assert.Empty(t, c.ValidateValue(schema, ok), ok)
	}
	for _, bad := range []string{"5b2e8f14", "5b2e8f143c6d4a7e9f102b4c6d8e0a13", "{5b2e8f14-3c6d-4a7e-9f10-2b4c6d8e0a13}", "g5b2e8f1-3c6d-4a7e-9f10-2b4c6d8e0a13"} {
		assert.NotEmpty(t, c.ValidateValue(schema, bad), bad)
	}
}
