package refserver

import (
	"fmt"
	"maps"
)

// SetCampaigns replaces the campaigns of the token's company with n campaigns cloned from the
// fixture's own ones, each with a distinct name, so that benchmarks and load tests can ask for a
// list of any size. Campaigns of other companies are kept, so the company filter still has work.
// The clones share their nested arrays and objects with the templates: treat them as read-only.
func (fx *Fixtures) SetCampaigns(n int) error {
	if n < 0 {
		return fmt.Errorf("reference server: %d campaigns: the count cannot be negative", n)
	}
	var own, others []map[string]any
	for _, c := range fx.Campaigns {
		if c["company_id"] == fx.CompanyID {
			own = append(own, c)
		} else {
			others = append(others, c)
		}
	}
	if len(own) == 0 && n > 0 {
		return fmt.Errorf("reference server: the fixtures hold no campaign of the company to clone")
	}
	generated := make([]map[string]any, 0, n+len(others))
	for i := range n {
		c := maps.Clone(own[i%len(own)])
		c["name"] = fmt.Sprintf("%v #%d", c["name"], i+1)
		generated = append(generated, c)
	}
	fx.Campaigns = append(generated, others...)
	return nil
}
