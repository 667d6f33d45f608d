package spec

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// formatSamples are values of each format, valid and nearly valid; every one-character change of
// them is checked too.
var formatSamples = map[string][]string{
	"uuid": {"6f1c2a4e-8b3d-4c55-9e0a-2f7d9b1c3e40", "5B2E8F14-3C6D-4A7E-9F10-2B4C6D8E0A13", "00000000-0000-0000-0000-000000000000"},
	"date": {"2025-01-10", "2024-02-29", "2023-02-29", "1900-02-29", "2000-02-29", "0000-02-29", "2025-04-31", "2025-12-31", "9999-09-30"},
	"date-time": {
		"2025-01-08T16:02:11Z", "2025-03-14T09:30:02+01:00", "2025-03-14T09:30:02.123456-23:59", "2024-02-29T23:59:60Z",
		"2023-02-29T00:00:00Z", "2023-10-01T12:00:00", "2023-10-01 12:00:00Z", "2023-10-01t12:00:00z", "2025-06-31T10:00:00Z",
		"2025-01-08T16:02:11.Z", "2025-01-08T24:00:00Z", "2025-01-08T16:02:11+24:00", "2025-01-08T16:02:11+0100",
	},
}

// The quick format checks accept exactly what the full checks (kin-openapi's patterns and calendar)
// accept: they may only save time.
func TestQuickFormatsAgreeWithFullChecks(t *testing.T) {
	validators := formatValidators()
	alphabet := "0123456789aAfFgZzTt-+:. \x00é"
	for format, samples := range formatSamples {
		q := validators[format].(quickFormat)
		check := func(s string) {
			assert.Equal(t, q.full.Validate(s) == nil, q.accepts(s), "%s %q", format, s)
		}
		for _, s := range samples {
			check(s)
			check(s + "0")
			check(s + "\n")
			for i := range len(s) {
				check(s[:i])
				check(s[:i] + s[i+1:])
				for _, r := range alphabet {
					check(s[:i] + string(r) + s[i+1:])
				}
			}
		}
	}
}

func TestQuickFormatsAcceptTheDocumentedForms(t *testing.T) {
	assert.True(t, IsDateTime("2025-03-14T09:26:53Z"))
	assert.True(t, IsDateTime("2025-03-14T09:26:53.5+02:00"))
	assert.False(t, IsDateTime("2023-10-01T12:00:00"), "a zone is required")
	assert.True(t, IsDate("2024-02-29"))
	assert.False(t, IsDate("2023-02-29"), "not a leap year")
	assert.True(t, IsUUID("01936B2E-8F14-7C6D-9A7E-2B4C6D8E0A13"))
	assert.False(t, IsUUID("{01936b2e-8f14-7c6d-9a7e-2b4c6d8e0a13}"))
}

func FuzzQuickFormats(f *testing.F) {
	for format, samples := range formatSamples {
		for _, s := range samples {
			f.Add(format, s)
		}
	}
	validators := formatValidators()
	f.Fuzz(func(t *testing.T, format, s string) {
		q, ok := validators[format].(quickFormat)
		if !ok {
			return
		}
		if (q.full.Validate(s) == nil) != q.accepts(s) {
			t.Fatalf("%s %q: full check says %v, quick check %v", format, s, q.full.Validate(s), q.accepts(s))
		}
	})
}
