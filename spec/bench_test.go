package spec

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/contacts-conformance/suite/spec/refserver"
)

// The validation benchmarks measure what each response costs the suite, from the body's bytes to
// the verdict: JSON decoding, status and header checks, and the schema walk. The bodies are the
// reference server's own answers, so they are exactly what a run validates. `make bench` runs them
// with -benchmem and prints the per-item ratio between list sizes.

// serveReference returns the reference server's answer to one request, with fixtures holding the
// given number of campaigns of the token's company (0 keeps the embedded ones).
func serveReference(tb testing.TB, campaigns int, method, path string, authorized bool) (*http.Request, *httptest.ResponseRecorder) {
	tb.Helper()
	fx, err := refserver.EmbeddedFixtures()
	if err != nil {
		tb.Fatal(err)
	}
	if campaigns > 0 {
		if err := fx.SetCampaigns(campaigns); err != nil {
			tb.Fatal(err)
		}
	}
	h, err := refserver.NewHandler(refserver.Options{Fixtures: fx})
	if err != nil {
		tb.Fatal(err)
	}
	req := httptest.NewRequest(method, path, nil)
	if authorized {
		req.Header.Set("Authorization", "Bearer "+fx.Token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return req, rec
}

func benchmarkValidation(b *testing.B, opID, path string, campaigns, items int) {
	c, err := Load()
	if err != nil {
		b.Fatal(err)
	}
	op := c.Operation(opID)
	req, rec := serveReference(b, campaigns, http.MethodGet, path, true)
	if rec.Code != http.StatusOK {
		b.Fatalf("GET %s: the reference server answered %d", path, rec.Code)
	}
	body, header := rec.Body.Bytes(), rec.Header()
	// A benchmark of a response that fails validation would measure the error path instead.
	if v := c.ValidateResponse(op, req, rec.Code, header, body); len(v) > 0 {
		b.Fatalf("the reference answer is not valid: %v", v)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		c.ValidateResponse(op, req, rec.Code, header, body)
	}
	if items > 0 {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(items), "ns/item")
	}
}

func BenchmarkValidateContact(b *testing.B) {
	fx, err := refserver.EmbeddedFixtures()
	if err != nil {
		b.Fatal(err)
	}
	benchmarkValidation(b, "getContactById", "/contact/"+fx.OwnContactIDs()[0], 0, 0)
}

func BenchmarkValidateCampaignList(b *testing.B) {
	for _, n := range []int{1000, 5000, 10000} {
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) {
			benchmarkValidation(b, "listCampaigns", fmt.Sprintf("/campaign/list?limit=%d", n), n, n)
		})
	}
}
