package refserver

import (
	"net/http"
	"sort"
	"strings"
)

// Fault is one named, single violation of the contract the reference server can be asked to
// commit. The repo's tests run the suites against each and require a failure naming Catches.
type Fault struct {
	Name        string
	Area        string
	Description string
	// Catches is the id of the requirement whose check must fail when this fault is injected.
	Catches string
	// authorize, when set, overrides the verdict on the credentials.
	authorize func(r *http.Request, correct bool) bool
	// rewrite, when set, changes the correct reply before it is written.
	rewrite func(h *Handler, r *http.Request, rep *reply)
}

var faults = map[string]*Fault{}

func register(fs ...*Fault) {
	for _, f := range fs {
		if faults[f.Name] != nil {
			panic("refserver: fault registered twice: " + f.Name)
		}
		faults[f.Name] = f
	}
}

// FaultByName returns the named fault, or nil.
func FaultByName(name string) *Fault { return faults[name] }

// Faults lists every fault, sorted by name.
func Faults() []*Fault {
	out := make([]*Fault, 0, len(faults))
	for _, f := range faults {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func init() {
	register(&Fault{
		Name: "wrong-record", Area: "ok", Catches: "OK-002",
		Description: "GET /contact/{id} answers with another contact of the same company",
		rewrite: func(h *Handler, r *http.Request, rep *reply) {
			env, ok := rep.body.(map[string]any)
			if !ok || rep.status != http.StatusOK || !strings.HasPrefix(r.URL.Path, h.prefix+"/contact/") {
				return
			}
			asked, _ := env["data"].(map[string]any)
			for _, id := range h.fixtures.OwnContactIDs() {
				if other := h.fixtures.contact(id); other != nil && !strings.EqualFold(id, asked["id"].(string)) {
					env["data"] = other
					return
				}
			}
		},
	})
}
