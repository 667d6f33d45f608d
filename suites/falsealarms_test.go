package suites_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/contacts-conformance/suite/runner/engine"
	"github.com/contacts-conformance/suite/spec"
	"github.com/contacts-conformance/suite/spec/refserver"
)

// The false-alarm corpus: behaviours the contract allows that a naive suite gets wrong. The whole
// suite must pass, in strict mode, against a reference server showing each; and each variant's
// witness checks that the server really shows it, so that a variant that silently stopped doing
// its part cannot keep the test green.

type answer struct {
	status int
	header http.Header
	body   map[string]any
}

// get sends one request with the given Authorization header (none when empty) and decodes the
// envelope.
func get(t *testing.T, srv *refserver.Server, path, auth string, header ...string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	require.NoError(t, err)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	a := answer{status: resp.StatusCode, header: resp.Header}
	if resp.Header.Get("Content-Encoding") == "" {
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&a.body))
	}
	return a
}

func bearer(srv *refserver.Server) string { return "Bearer " + srv.Token }

// nullEveryNullable sets every nullable field of every record, nested ones included, to null, as
// the document marks them; it returns how many it set.
func nullEveryNullable(schema *openapi3.Schema, v any) int {
	n := 0
	switch val := v.(type) {
	case map[string]any:
		for name, ref := range schema.Properties {
			if _, present := val[name]; !present {
				continue
			}
			if ref.Value.Nullable {
				val[name] = nil
				n++
				continue
			}
			n += nullEveryNullable(ref.Value, val[name])
		}
	case []any:
		if schema.Items != nil {
			for _, item := range val {
				n += nullEveryNullable(schema.Items.Value, item)
			}
		}
	}
	return n
}

func fixtures(t *testing.T, edit func(fx *refserver.Fixtures)) *refserver.Fixtures {
	t.Helper()
	fx, err := refserver.EmbeddedFixtures()
	require.NoError(t, err)
	edit(fx)
	return fx
}

func nullableCount(schema *openapi3.Schema) int {
	n := 0
	for _, ref := range schema.Properties {
		if ref.Value.Nullable {
			n++
		}
	}
	return n
}

func everyNullableNull(t *testing.T, contract *spec.Contract) *refserver.Fixtures {
	schemas := contract.Doc.Components.Schemas
	return fixtures(t, func(fx *refserver.Fixtures) {
		for name, records := range map[string][]map[string]any{
			"Contact": fx.Contacts, "PhoneNumber": fx.PhoneNumbers, "Campaign": fx.Campaigns, "WebhookFlow": fx.WebhookFlows,
		} {
			set := 0
			for _, rec := range records {
				set += nullEveryNullable(schemas[name].Value, rec)
			}
			require.Positive(t, set, "%s has nullable fields to set", name)
		}
	})
}

func TestNoFalseAlarms(t *testing.T) {
	contract := loadContract(t)
	contactSchema := contract.Doc.Components.Schemas["Contact"].Value
	tests := []struct {
		name    string
		opts    refserver.Options
		witness func(t *testing.T, srv *refserver.Server)
	}{
		{"every nullable field null", refserver.Options{Fixtures: everyNullableNull(t, contract)}, func(t *testing.T, srv *refserver.Server) {
			data := get(t, srv, "/contact/"+srv.ContactID, bearer(srv)).body["data"].(map[string]any)
			nulls := 0
			for _, v := range data {
				if v == nil {
					nulls++
				}
			}
			assert.Equal(t, nullableCount(contactSchema), nulls)
		}},
		{"extra undocumented keys", refserver.Options{Quirks: []string{"extra-keys"}}, func(t *testing.T, srv *refserver.Server) {
			ok := get(t, srv, "/contact/"+srv.ContactID, bearer(srv)).body
			assert.Contains(t, ok, "x_undocumented")
			assert.Contains(t, ok["data"], "x_undocumented")
			assert.Contains(t, get(t, srv, "/contact/not-a-uuid", bearer(srv)).body, "x_undocumented", "error envelopes too")
		}},
		{"application/json; charset=utf-8", refserver.Options{}, func(t *testing.T, srv *refserver.Server) {
			assert.Equal(t, "application/json; charset=utf-8", get(t, srv, "/phone_number", bearer(srv)).header.Get("Content-Type"))
		}},
		{"lower-case t and z in every timestamp", refserver.Options{Quirks: []string{"lower-case-timestamps"}}, func(t *testing.T, srv *refserver.Server) {
			data := get(t, srv, "/contact/"+srv.ContactID, bearer(srv)).body["data"].(map[string]any)
			assert.Regexp(t, `^\d{4}-\d\d-\d\dt\d\d:\d\d:\d\dz$`, data["created_at"])
		}},
		{"a limit taken leniently (+5, 005, 1e2, the last of two)", refserver.Options{Quirks: []string{"lenient-integers"}}, func(t *testing.T, srv *refserver.Server) {
			for query, want := range map[string]int{"limit=%2B5": 5, "limit=005": 5, "limit=1e2": 25, "limit=2&limit=1": 1, "limit=%205%20": 5} {
				a := get(t, srv, "/campaign/list?"+query, bearer(srv))
				require.Equal(t, http.StatusOK, a.status, query)
				assert.Len(t, a.body["data"], want, query)
			}
		}},
		{"Accept: text/html answered in JSON, as without it", refserver.Options{Quirks: []string{"ignores-accept"}}, func(t *testing.T, srv *refserver.Server) {
			a := get(t, srv, "/phone_number", bearer(srv), "Accept", "text/html")
			assert.Equal(t, http.StatusOK, a.status)
			assert.Equal(t, "ok", a.body["status"])
		}},
		{"Accept: text/html answered 406", refserver.Options{}, func(t *testing.T, srv *refserver.Server) {
			a := get(t, srv, "/phone_number", bearer(srv), "Accept", "text/html")
			assert.Equal(t, http.StatusNotAcceptable, a.status)
			assert.Equal(t, "error", a.body["status"])
		}},
		{"an HTML 404 from a front end for an encoded slash", refserver.Options{Quirks: []string{"front-end-404-for-encoded-slash"}}, func(t *testing.T, srv *refserver.Server) {
			req, err := http.NewRequest(http.MethodGet, srv.URL+"/contact/a%2Fb", nil)
			require.NoError(t, err)
			req.Header.Set("Authorization", bearer(srv))
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusNotFound, resp.StatusCode)
			assert.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html"))
		}},
		{"media type in mixed case", refserver.Options{Quirks: []string{"content-type-spelling"}}, func(t *testing.T, srv *refserver.Server) {
			assert.Equal(t, "Application/JSON;Charset=UTF-8", get(t, srv, "/phone_number", bearer(srv)).header.Get("Content-Type"))
		}},
		{"lower-case scheme", refserver.Options{}, func(t *testing.T, srv *refserver.Server) {
			assert.Equal(t, http.StatusOK, get(t, srv, "/phone_number", "bearer "+srv.Token).status)
		}},
		{"lower-case challenge", refserver.Options{Quirks: []string{"lower-case-challenge"}}, func(t *testing.T, srv *refserver.Server) {
			assert.True(t, strings.HasPrefix(get(t, srv, "/phone_number", "").header.Get("WWW-Authenticate"), "bearer "))
		}},
		{"several challenges, Basic first", refserver.Options{Quirks: []string{"several-challenges"}}, func(t *testing.T, srv *refserver.Server) {
			assert.Equal(t, []string{`Basic realm="contacts"`, `Bearer realm="contacts", error="invalid_token"`}, get(t, srv, "/phone_number", "").header.Values("WWW-Authenticate"))
		}},
		{"upper-case UUIDs in the server's answers", refserver.Options{Quirks: []string{"upper-case-ids"}}, func(t *testing.T, srv *refserver.Server) {
			require.Equal(t, strings.ToLower(srv.ContactID), srv.ContactID, "the id asked for is in lower case")
			data := get(t, srv, "/contact/"+srv.ContactID, bearer(srv)).body["data"].(map[string]any)
			assert.Equal(t, strings.ToUpper(srv.ContactID), data["id"])
		}},
		{"upper-case UUID as the configured contact id", refserver.Options{Fixtures: fixtures(t, func(fx *refserver.Fixtures) {
			for i, c := range fx.Contacts {
				if id := c["id"].(string); id == strings.ToUpper(id) {
					fx.Contacts[0], fx.Contacts[i] = fx.Contacts[i], fx.Contacts[0]
					return
				}
			}
			t.Fatal("the fixtures hold no contact with an upper-case id")
		})}, func(t *testing.T, srv *refserver.Server) {
			assert.Equal(t, strings.ToUpper(srv.ContactID), srv.ContactID)
		}},
		{"ids looked up as text: a contact's id in upper case answered 404", refserver.Options{Quirks: []string{"case-sensitive-ids"}}, func(t *testing.T, srv *refserver.Server) {
			require.NotEqual(t, strings.ToUpper(srv.ContactID), srv.ContactID, "the contact's id has hex letters to write in upper case")
			assert.Equal(t, http.StatusOK, get(t, srv, "/contact/"+srv.ContactID, bearer(srv)).status)
			assert.Equal(t, http.StatusNotFound, get(t, srv, "/contact/"+strings.ToUpper(srv.ContactID), bearer(srv)).status)
		}},
		{"empty lists", refserver.Options{Fixtures: fixtures(t, func(fx *refserver.Fixtures) {
			fx.PhoneNumbers, fx.Campaigns, fx.WebhookFlows = nil, nil, nil
		})}, func(t *testing.T, srv *refserver.Server) {
			for _, path := range []string{"/phone_number", "/campaign/list", "/webhook/flow/company/outbound"} {
				assert.Equal(t, []any{}, get(t, srv, path, bearer(srv)).body["data"], path)
			}
		}},
		{"a limit larger than the collection", refserver.Options{Fixtures: fixtures(t, func(fx *refserver.Fixtures) {
			fx.Campaigns = fx.Campaigns[:1]
		})}, func(t *testing.T, srv *refserver.Server) {
			assert.Len(t, get(t, srv, "/campaign/list?limit=2", bearer(srv)).body["data"], 1)
		}},
		{"the id asked for quoted in a 404's message, in upper case", refserver.Options{Quirks: []string{"id-in-message"}}, func(t *testing.T, srv *refserver.Server) {
			assert.Equal(t, "contact "+strings.ToUpper(srv.ForeignContactID)+" not found", get(t, srv, "/contact/"+srv.ForeignContactID, bearer(srv)).body["message"])
		}},
		{"an id of its own request in every error message", refserver.Options{Quirks: []string{"request-id-in-message"}}, func(t *testing.T, srv *refserver.Server) {
			first := get(t, srv, "/contact/"+srv.ForeignContactID, bearer(srv)).body["message"]
			assert.NotEqual(t, first, get(t, srv, "/contact/"+srv.ForeignContactID, bearer(srv)).body["message"])
		}},
		{"the time of the answer in every error message", refserver.Options{Quirks: []string{"time-in-message"}}, func(t *testing.T, srv *refserver.Server) {
			assert.Regexp(t, ` at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`, get(t, srv, "/contact/"+srv.ForeignContactID, bearer(srv)).body["message"])
		}},
		{"gzip-compressed answers", refserver.Options{Quirks: []string{"gzip"}}, func(t *testing.T, srv *refserver.Server) {
			assert.Equal(t, "gzip", get(t, srv, "/phone_number", bearer(srv), "Accept-Encoding", "gzip").header.Get("Content-Encoding"))
		}},
		{"every quirk and every nullable null at once", refserver.Options{Fixtures: everyNullableNull(t, contract), Quirks: quirkNames()}, func(t *testing.T, srv *refserver.Server) {
			data := get(t, srv, "/contact/"+srv.ContactID, bearer(srv)).body["data"].(map[string]any)
			assert.Equal(t, strings.ToUpper(srv.ContactID), data["id"])
			assert.Contains(t, data, "x_undocumented")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := refserver.Start(tt.opts)
			require.NoError(t, err)
			tt.witness(t, srv)
			srv.Close()
			requireAllPass(t, runSuite(t, contract, tt.opts, true))
			for seed := int64(1); seed <= 3; seed++ {
				generated, _ := runExplore(t, contract, tt.opts, seed)
				requireAllPass(t, generated)
			}
		})
	}
}

func quirkNames() []string {
	var names []string
	for _, q := range refserver.Quirks() {
		names = append(names, q.Name)
	}
	return names
}

func TestUnknownQuirkIsRefused(t *testing.T) {
	_, err := refserver.Start(refserver.Options{Quirks: []string{"no-such-quirk"}})
	require.ErrorContains(t, err, `unknown quirk "no-such-quirk"`)
}

// A check that has nothing to compare says so in the result rather than passing in silence.
func TestChecksSayWhenTheyCannotBite(t *testing.T) {
	contract := loadContract(t)
	notes := func(results []*engine.Result) map[string]string {
		out := map[string]string{}
		for _, r := range results {
			out[r.ID] = strings.Join(r.Notes, "; ")
		}
		return out
	}
	perRequest := notes(runSuite(t, contract, refserver.Options{Quirks: []string{"request-id-in-message"}}, true))
	assert.Contains(t, perRequest["unknown-id/foreign/getContactById"], "ID-005 compared the status only")

	small := notes(runSuite(t, contract, refserver.Options{Fixtures: fixtures(t, func(fx *refserver.Fixtures) {
		fx.Campaigns = fx.Campaigns[:2]
	})}, true))
	assert.Contains(t, small["list/limit-2/listCampaigns"], "the collection holds 2 items, so limit=2 cannot be told from no limit")
	assert.Contains(t, small["list/limit-5/listCampaigns"], "the collection holds 2 items, so limit=5 cannot be told from no limit")
	assert.Empty(t, small["list/limit-1/listCampaigns"], "with 2 items, limit=1 bites")

	clean := notes(runSuite(t, contract, refserver.Options{}, true))
	for id, n := range clean {
		assert.Empty(t, n, id)
	}
}
