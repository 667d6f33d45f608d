package refserver

import (
	"net/http"
	"sort"
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
