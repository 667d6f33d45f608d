package spec

import (
	"strings"
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

// dateTimePattern is kin-openapi's date-time pattern (openapi3.FormatOfStringDateTime) with the
// "T" and the "Z" in either case, as RFC 3339 section 5.6 allows (see IsDateTime).
const dateTimePattern = `^[0-9]{4}-(0[1-9]|10|11|12)-(0[1-9]|[12][0-9]|3[01])[Tt]([0-1][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?([Zz]|(\+|-)([0-1][0-9]|2[0-3]):[0-5][0-9])$`

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
		"date-time": quickFormat{IsDateTime, calendarFormat(dateTimePattern)},
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

// IsUUID reports whether s is a UUID in the contract's sense: the 8-4-4-4-12 layout of hex digits,
// in any case and of any version (v1 to v8, nil, max).
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return true
}

// IsDate reports whether s is an RFC 3339 full-date (YYYY-MM-DD) naming a day that exists.
func IsDate(s string) bool {
	return len(s) == 10 && validFullDate(s)
}

// IsDateTime reports whether s is an RFC 3339 date-time (section 5.6): a full-date, "T", a time
// with seconds and an optional fraction, and a zone ("Z" or an offset). The "T" and the "Z" may be
// in lower case: the RFC's grammar is case-insensitive there (section 5.6, and its NOTE), and the
// contract asks for RFC 3339, so a server writing "2024-02-20t10:00:00z" is conformant.
//
// It is not gojsonschema's own date-time checker, which disagrees with RFC 3339 and with
// kin-openapi (the differential test found each case): it accepts a date alone ("2025-03-14") and
// a time alone ("09:26:53"), and, going through time.Parse, accepts a comma before the fraction
// and an offset of +24:00, and rejects the leap second 23:59:60 that the RFC's grammar allows.
// This one follows the grammar: seconds up to 60, an offset of at most 23:59.
func IsDateTime(s string) bool {
	if len(s) < len("2006-01-02T15:04:05Z") || !validFullDate(s[:10]) || (s[10] != 'T' && s[10] != 't') {
		return false
	}
	rest := s[11:]
	if !twoDigits(rest[0:2], 23) || rest[2] != ':' || !twoDigits(rest[3:5], 59) || rest[5] != ':' || !twoDigits(rest[6:8], 60) {
		return false
	}
	rest = rest[8:]
	if strings.HasPrefix(rest, ".") {
		n := 1
		for n < len(rest) && isDigit(rest[n]) {
			n++
		}
		if n == 1 {
			return false
		}
		rest = rest[n:]
	}
	if rest == "Z" || rest == "z" {
		return true
	}
	return len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && twoDigits(rest[1:3], 23) && rest[3] == ':' && twoDigits(rest[4:6], 59)
}

func validFullDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for _, i := range []int{0, 1, 2, 3, 5, 6, 8, 9} {
		if !isDigit(s[i]) {
			return false
		}
	}
	year := atoi(s[0:4])
	month, day := atoi(s[5:7]), atoi(s[8:10])
	if month < 1 || month > 12 || day < 1 {
		return false
	}
	days := []int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[month-1]
	if month == 2 && year%4 == 0 && (year%100 != 0 || year%400 == 0) {
		days = 29
	}
	return day <= days
}

func twoDigits(s string, max int) bool {
	return len(s) == 2 && isDigit(s[0]) && isDigit(s[1]) && atoi(s) <= max
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// atoi reads a string of ASCII digits already checked by the caller.
func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
