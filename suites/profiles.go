package suites

import (
	"fmt"
	"slices"
	"strings"

	"github.com/contacts-conformance/suite/spec"
)

// Profiles are what a vendor claims conformance to: every operation of the document names its
// profile (x-conformance-profile), one per endpoint family, and "full" holds them all. A case
// belongs to its operation's profile; a case outside the claim is not claimed, and not sent.

// Profile is a named set of operations a vendor can claim.
type Profile struct {
	Name       string
	Operations []string
}

// Profiles lists the document's profiles by name, then full, each with its operations in the
// contract's order.
func Profiles(c *spec.Contract) []Profile {
	byName := map[string]*Profile{}
	var names []string
	full := Profile{Name: spec.FullProfile}
	for _, op := range c.Operations {
		p := byName[op.Profile]
		if p == nil {
			p = &Profile{Name: op.Profile}
			byName[op.Profile] = p
			names = append(names, op.Profile)
		}
		p.Operations = append(p.Operations, op.ID)
		full.Operations = append(full.Operations, op.ID)
	}
	slices.Sort(names)
	out := make([]Profile, 0, len(names)+1)
	for _, n := range names {
		out = append(out, *byName[n])
	}
	return append(out, full)
}

// ClaimedProfile is a profile a run claims, and whether strictly: a strict claim holds the
// SHOULD-level requirements too, whose findings then fail.
type ClaimedProfile struct {
	Name       string   `json:"name"`
	Strict     bool     `json:"strict"`
	Operations []string `json:"operations"`
}

// Claim is what a run claims. A nil claim is the full profile, not strict.
type Claim struct {
	Profiles []ClaimedProfile
}

// StrictSuffix marks a profile claimed strictly: --profile contacts:strict.
const StrictSuffix = ":strict"

// ParseClaim reads a --profile value: profile names separated by commas, each with :strict or
// not; empty is full. strict (--strict) makes every profile claimed strict. Profiles never share
// an operation, so full stands alone.
func ParseClaim(c *spec.Contract, value string, strict bool) (*Claim, error) {
	if strings.TrimSpace(value) == "" {
		value = spec.FullProfile
	}
	known := Profiles(c)
	claim := &Claim{}
	for _, part := range strings.Split(value, ",") {
		part = strings.TrimSpace(part)
		name, qualifier, qualified := strings.Cut(part, ":")
		i := slices.IndexFunc(known, func(p Profile) bool { return p.Name == name })
		switch {
		case part == "":
			return nil, fmt.Errorf("--profile %q names an empty profile; separate profile names with single commas", value)
		case i < 0:
			return nil, fmt.Errorf("--profile %q: %q is not a profile of this suite; the profiles are %s", value, name, profileNames(known))
		case qualified && ":"+qualifier != StrictSuffix:
			return nil, fmt.Errorf("--profile %q: %q is not a qualifier of a profile; the only one is %s (%s%s)", value, qualifier, StrictSuffix, name, StrictSuffix)
		case slices.ContainsFunc(claim.Profiles, func(p ClaimedProfile) bool { return p.Name == name }):
			return nil, fmt.Errorf("--profile %q names %s twice", value, name)
		}
		claim.Profiles = append(claim.Profiles, ClaimedProfile{Name: name, Strict: qualified || strict, Operations: known[i].Operations})
	}
	if len(claim.Profiles) > 1 && slices.ContainsFunc(claim.Profiles, func(p ClaimedProfile) bool { return p.Name == spec.FullProfile }) {
		return nil, fmt.Errorf("--profile %q: %s already holds every profile; give it alone, or the profiles one by one", value, spec.FullProfile)
	}
	return claim, nil
}

func profileNames(ps []Profile) string {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// profileOf is the claimed profile that holds the operation, or nil.
func (cl *Claim) profileOf(op string) *ClaimedProfile {
	if cl == nil {
		return &ClaimedProfile{Name: spec.FullProfile}
	}
	for i, p := range cl.Profiles {
		if slices.Contains(p.Operations, op) {
			return &cl.Profiles[i]
		}
	}
	return nil
}

// Covers reports whether the claim holds the operation.
func (cl *Claim) Covers(op string) bool { return cl.profileOf(op) != nil }

// StrictFor reports whether the operation is claimed strictly.
func (cl *Claim) StrictFor(op string) bool {
	p := cl.profileOf(op)
	return p != nil && p.Strict
}

// ProfileOf names the claimed profile that holds the operation, "" when none does.
func (cl *Claim) ProfileOf(op string) string {
	if p := cl.profileOf(op); p != nil {
		return p.Name
	}
	return ""
}

// String is the claim as reports name it: "contacts (strict), campaigns".
func (cl *Claim) String() string {
	if cl == nil {
		return spec.FullProfile
	}
	parts := make([]string, len(cl.Profiles))
	for i, p := range cl.Profiles {
		parts[i] = p.Name
		if p.Strict {
			parts[i] += " (strict)"
		}
	}
	return strings.Join(parts, ", ")
}

// unclaimed is why a case of the operation is not claimed, or "" when it is.
func (cl *Claim) unclaimed(op *spec.Operation) string {
	if cl.Covers(op.ID) {
		return ""
	}
	return fmt.Sprintf("not claimed: %s is in the %s profile, which the claim (%s) leaves out; nothing was sent", op.ID, op.Profile, cl)
}

// ReadsContacts reports whether the claim holds the operation that reads the configured
// contacts (--contact-id, --foreign-contact-id): without it, they are not to be given.
func (cl *Claim) ReadsContacts(c *spec.Contract) bool {
	op := configuredRead(c)
	return op != nil && cl.Covers(op.ID)
}
