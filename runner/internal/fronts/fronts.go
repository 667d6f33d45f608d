// Package fronts holds what the tests put in front of the reference server to play a server that
// rewrites its own answers (a byte-order mark, a footer, a framework's one 404 for everything).
package fronts

import (
	"net/http"
	"net/http/httptest"
)

// RewriteBodies serves next, then writes rewrite's body for each answer in place of next's, with
// next's status and headers (the length dropped, since the body changed).
func RewriteBodies(next http.Handler, rewrite func(status int, body []byte) []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rewrite(rec.Code, rec.Body.Bytes()))
	})
}
