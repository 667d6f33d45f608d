package spec

import (
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// The string formats of the document, checked without a regular expression when the value is
// well formed: a list of 10,000 campaigns holds 100,000 formatted strings, and matching each
// against a regular expression costs more than the rest of its validation. A value the quick
// check does not accept goes to the full check (kin-openapi's own patterns), whose verdict and
// message stand, so that the quick check can only save time, never change a verdict.

// uuidPattern is any 8-4-4-4-12 hex layout, in any case: servers minting UUIDv7 ids, or printing
// them in upper case, are conformant.
const uuidPattern = `^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`

// quickFormat is a format validator with a fast path for the values it is sure of.
type quickFormat struct {
	accepts func(string) bool
	full    openapi3.StringFormatValidator
}

func (f quickFormat) Validate(value string) error {
	if f.accepts(value) {
		return nil
	}
	return f.full.Validate(value)
}

// formatValidators are scoped to the document rather than set in kin-openapi's global registry,
// so that embedding the suite in another program changes nothing there.
func formatValidators() map[string]openapi3.StringFormatValidator {
	return map[string]openapi3.StringFormatValidator{
		"uuid":      quickFormat{IsUUID, openapi3.NewRegexpFormatValidator(uuidPattern)},
		"date":      quickFormat{IsDate, calendarFormat(openapi3.FormatOfStringDate)},
		"date-time": quickFormat{IsDateTime, calendarFormat(openapi3.FormatOfStringDateTime)},
	}
}

// calendarFormat is kin-openapi's check of date and date-time (its pattern, then the day must
// exist in its month), built here so that it does not depend on what other code may have put in
// kin-openapi's global registry.
func calendarFormat(pattern string) openapi3.StringFormatValidator {
	matches := openapi3.NewRegexpFormatValidator(pattern)
	return openapi3.NewCallbackValidator(func(value string) error {
		if err := matches.Validate(value); err != nil {
			return err
		}
		_, err := time.Parse(time.DateOnly, value[:len(time.DateOnly)])
		return err
	})
}
