package refserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func listCampaigns(t *testing.T, fx *Fixtures, query string) []map[string]any {
	t.Helper()
	h, err := NewHandler(Options{Fixtures: fx})
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodGet, "/campaign/list"+query, nil)
	req.Header.Set("Authorization", "Bearer "+fx.Token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code)
	var env struct{ Data []map[string]any }
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &env))
	return env.Data
}

func TestSetCampaignsServesAListOfAnySize(t *testing.T) {
	fx, err := EmbeddedFixtures()
	require.NoError(t, err)
	foreign := len(fx.Campaigns) - len(listCampaigns(t, fx, "?limit=1000"))
	require.Positive(t, foreign, "the fixtures hold campaigns of another company")

	require.NoError(t, fx.SetCampaigns(60))
	got := listCampaigns(t, fx, "?limit=1000")
	require.Len(t, got, 60)
	names := map[any]bool{}
	for _, c := range got {
		assert.Equal(t, fx.CompanyID, c["company_id"])
		names[c["name"]] = true
	}
	assert.Len(t, names, 60, "every generated campaign has its own name")
	assert.Len(t, fx.Campaigns, 60+foreign, "campaigns of other companies are kept, never served")
	assert.Len(t, listCampaigns(t, fx, ""), defaultCampaignPage, "the default page still applies")

	require.NoError(t, fx.SetCampaigns(0))
	assert.Empty(t, listCampaigns(t, fx, "?limit=1000"))
	assert.Error(t, fx.SetCampaigns(-1))
}
