package suites

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/contacts-conformance/suite/spec"
)

// exchangeWith is a 200 answer whose probes all get the same answer or error.
func exchangeWith(body string, probed *Probed, err error) *Exchange {
	return &Exchange{
		Status: http.StatusOK, Body: []byte(body), Case: &Case{Request: Request{Path: "/contact/f"}},
		Probe: func(string, url.Values) (*Probed, error) { return probed, err },
	}
}

// A comparing check whose probe fails says so in a note rather than passing in silence.
func TestComparingChecksNoteAFailedProbe(t *testing.T) {
	timeout := errors.New("no complete answer within 10s")
	list := `{"status":"ok","message":"","data":[{"company_id":"e2d4c6b8-a0f1-4e3d-9c5b-7a9e1f3d5b70"}]}`
	tests := []struct {
		name   string
		check  Check
		body   string
		probed *Probed
		err    error
		note   string
	}{
		{"LIST-003, the contact unreadable", expectOneCompany("/contact/x"), list, nil, timeout,
			"LIST-003 compared the items with each other only: the configured contact could not be read: no complete answer within 10s"},
		{"LIST-003, the contact refused", expectOneCompany("/contact/x"), list, &Probed{Status: http.StatusTooManyRequests}, nil,
			"LIST-003 compared the items with each other only: the configured contact was answered 429 Too Many Requests"},
		{"LIST-001, the larger page unreadable", expectAtMost(5, "/campaign/list"), list, nil, timeout,
			"LIST-001 could not learn whether the collection holds more than 5 items: limit=6 could not be read: no complete answer within 10s"},
		{"ID-005, the unknown id answered 500", expectSameAsUnknown([2]string{"/contact/a", "/contact/b"}), `{"status":"error","message":"x","data":null}`, &Probed{Status: http.StatusInternalServerError}, nil,
			"ID-005 could not compare: an unknown id was answered 500 Internal Server Error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ex := exchangeWith(tt.body, tt.probed, tt.err)
			if tt.check.Req == ReqForeignIndistinct {
				ex.Status = http.StatusNotFound
			}
			assert.Nil(t, tt.check.Verify(ex), "nothing to judge, so no finding")
			assert.Equal(t, []string{tt.note}, ex.Notes)
		})
	}
}

// ID-005 asks for an unknown id, the resource and another unknown id one after the other: a message
// that quotes the time of the answer matches when they are answered within the same second, and is
// compared by status alone when they are not.
func TestForeignAnswerIsComparedWithUnknownIdsAskedAround(t *testing.T) {
	envelope := func(status int, message string) *Probed {
		return &Probed{Status: status, Body: map[string]any{"status": "error", "message": message, "data": nil}}
	}
	for _, tt := range []struct {
		name    string
		answers []*Probed
		finding string
		note    string
	}{
		{"the same second", []*Probed{envelope(404, "not found at 10:00:01"), envelope(404, "not found at 10:00:01"), envelope(404, "not found at 10:00:01")}, "", ""},
		{"a second ticks between", []*Probed{envelope(404, "not found at 10:00:01"), envelope(404, "not found at 10:00:02"), envelope(404, "not found at 10:00:02")}, "",
			`ID-005 compared the status only: the message for an unknown id changes from one request to the next ("not found at 10:00:01", then "not found at 10:00:02")`},
		{"a message of its own", []*Probed{envelope(404, "not found"), envelope(404, "not accessible with this token"), envelope(404, "not found")},
			`404 with message "not accessible with this token": the answer tells that the resource exists`, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var asked []string
			ex := &Exchange{Status: http.StatusNotFound, Case: &Case{Request: Request{Path: "/contact/f"}}, Fresh: func(path string) (*Probed, error) {
				asked = append(asked, path)
				return tt.answers[len(asked)-1], nil
			}}
			f := expectSameAsUnknown([2]string{"/contact/a", "/contact/b"}).Verify(ex)
			assert.Equal(t, []string{"/contact/a", "/contact/f", "/contact/b"}, asked, "an unknown id on either side of the resource")
			if tt.finding == "" {
				assert.Nil(t, f)
			} else if assert.NotNil(t, f) {
				assert.Equal(t, tt.finding, f.Actual)
			}
			if tt.note != "" {
				assert.Equal(t, []string{tt.note}, ex.Notes)
			}
		})
	}
}

// With the contact read, a list of another company's records alone fails LIST-003.
func TestOneCompanyComparesWithTheConfiguredContact(t *testing.T) {
	contact := &Probed{Status: http.StatusOK, Body: map[string]any{"data": map[string]any{"company_id": "0b8e4d9a-1c2f-4e3a-8d5b-7a6c9e0f1b2d"}}}
	ex := exchangeWith(`{"status":"ok","message":"","data":[{"company_id":"e2d4c6b8-a0f1-4e3d-9c5b-7a9e1f3d5b70"}]}`, contact, nil)
	f := expectOneCompany("/contact/x").Verify(ex)
	if assert.NotNil(t, f) {
		assert.Equal(t, "item 0 belongs to company e2d4c6b8-a0f1-4e3d-9c5b-7a9e1f3d5b70: records of another company are listed", f.Actual)
	}
	assert.Empty(t, ex.Notes)
}

// A Bearer challenge is a scheme at the start of a challenge, never a word inside a quoted value.
func TestOffersBearerReadsChallengesNotQuotedStrings(t *testing.T) {
	for field, want := range map[string]bool{
		`Bearer realm="contacts"`:                       true,
		`bearer`:                                        true,
		`Basic realm="a", Bearer realm="b"`:             true,
		`Basic realm="a, Bearer b"`:                     false,
		`Basic realm="say \"x, Bearer y\"", charset=u8`: false,
		`Digest realm="a", nonce="b"`:                   false,
	} {
		assert.Equal(t, want, offersBearer(field), field)
	}
}

// The record of any 2xx answer is the one the path names, UUIDs compared case-insensitively; an
// answer with no record, or to an id that names none, is other requirements' business.
func TestRecordAskedForIsJudgedOnEvery2xxAnswer(t *testing.T) {
	const asked = "6f1c2a4e-8b3d-4c55-9e0a-2f7d9b1c3e40"
	record := func(id string) string { return `{"status":"ok","message":"","data":{"id":"` + id + `"}}` }
	for _, tt := range []struct {
		name   string
		asked  string
		status int
		body   string
		actual string
	}{
		{"the record asked for", asked, http.StatusOK, record(asked), ""},
		{"the record asked for, in upper case", strings.ToUpper(asked), http.StatusOK, record(asked), ""},
		{"another record", asked, http.StatusOK, record("f0e1d2c3-b4a5-4968-8776-655443322110"), `data.id "f0e1d2c3-b4a5-4968-8776-655443322110": a different record than the one asked for`},
		{"another record under a 203", asked, http.StatusNonAuthoritativeInfo, record("f0e1d2c3-b4a5-4968-8776-655443322110"), `data.id "f0e1d2c3-b4a5-4968-8776-655443322110": a different record than the one asked for`},
		{"a record without an id", asked, http.StatusOK, `{"status":"ok","message":"","data":{}}`, `data.id missing: a different record than the one asked for`},
		{"no record", asked, http.StatusOK, `{"status":"ok","message":"","data":null}`, ""},
		{"an error", asked, http.StatusNotFound, record("f0e1d2c3-b4a5-4968-8776-655443322110"), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := expectRecordAskedFor(tt.asked).Verify(&Exchange{Status: tt.status, Body: []byte(tt.body)})
			if tt.actual == "" {
				assert.Nil(t, f)
			} else if assert.NotNil(t, f) {
				assert.Equal(t, tt.actual, f.Actual)
			}
		})
	}
}

// Content-Type is a singleton: two fields fail ENV-003 even when the first is JSON.
func TestTwoContentTypeFieldsFail(t *testing.T) {
	ex := &Exchange{Status: http.StatusOK, Header: http.Header{"Content-Type": {"application/json", "text/html"}}, Body: []byte(`{}`)}
	f := expectJSONContentType.Verify(ex)
	if assert.NotNil(t, f) {
		assert.Equal(t, `2 Content-Type fields ("application/json", "text/html"): a client may read any of them (RFC 9110 section 5.3)`, f.Actual)
	}
	ex.Header = http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	assert.Nil(t, expectJSONContentType.Verify(ex))
}

// A body whose object gives a name twice breaks the document, whatever its schema says of the
// value decoded.
func TestRepeatedNameFailsTheDocument(t *testing.T) {
	ex := &Exchange{Status: http.StatusNotFound, Case: &Case{Operation: &spec.Operation{ID: "getContactById"}},
		Body: []byte(`{"status":"ok","message":"contact not found","data":null,"status":"error"}`)}
	f := expectSpec.Verify(ex)
	if assert.NotNil(t, f) {
		assert.Equal(t, []string{`the key "status" appears twice in the body's object: a client may read either value (RFC 8259 section 4)`}, f.Details)
	}
	ex = &Exchange{Status: http.StatusNotFound, Case: ex.Case, Body: []byte(`{"status":"error","message":"contact not found","data":null}`)}
	assert.Nil(t, expectSpec.Verify(ex))
}
