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
		"uuid":      quickFormat{isUUID, openapi3.NewRegexpFormatValidator(uuidPattern)},
		"date":      quickFormat{isDate, calendarFormat(openapi3.FormatOfStringDate)},
		"date-time": quickFormat{isDateTime, calendarFormat(openapi3.FormatOfStringDateTime)},
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

// isUUID reports whether s is a UUID in the 8-4-4-4-12 hex layout, in any case. The reference
// server has its own: it is an independent implementation of the contract, not a user of the
// validator.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case !isHex(c):
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// isDate accepts YYYY-MM-DD naming a day that exists.
func isDate(s string) bool {
	return len(s) == len(time.DateOnly) && isCalendarDay(s)
}

// isDateTime accepts what openapi3.FormatOfStringDateTime matches, on a day that exists:
// YYYY-MM-DDThh:mm:ss, an optional fraction, then Z or an offset ±hh:mm.
func isDateTime(s string) bool {
	const clock = len("2006-01-02T15:04:05")
	if len(s) < clock+1 || !isCalendarDay(s) || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
		!inRange(s[11:13], 0, 23) || !inRange(s[14:16], 0, 59) || !inRange(s[17:19], 0, 60) {
		return false
	}
	rest := s[clock:]
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && isDigit(rest[n]) {
			n++
		}
		if n == 1 {
			return false
		}
		rest = rest[n:]
	}
	switch {
	case rest == "Z":
		return true
	case len(rest) == len("+07:00") && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		return inRange(rest[1:3], 0, 23) && inRange(rest[4:6], 0, 59)
	}
	return false
}

// isCalendarDay checks the YYYY-MM-DD at the start of s, the day included (February 29th only in
// leap years).
func isCalendarDay(s string) bool {
	if len(s) < len(time.DateOnly) || s[4] != '-' || s[7] != '-' || !inRange(s[0:4], 0, 9999) {
		return false
	}
	year := twoDigits(s[0:2])*100 + twoDigits(s[2:4])
	if !inRange(s[5:7], 1, 12) {
		return false
	}
	return inRange(s[8:10], 1, daysIn(twoDigits(s[5:7]), year))
}

// daysIn is the length of a month of the proleptic Gregorian calendar, as time.Parse knows it.
func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// inRange reports whether digits is all decimal digits with a value in [lo, hi].
func inRange(digits string, lo, hi int) bool {
	n := 0
	for i := 0; i < len(digits); i++ {
		if !isDigit(digits[i]) {
			return false
		}
		n = n*10 + int(digits[i]-'0')
	}
	return lo <= n && n <= hi
}

func twoDigits(s string) int { return int(s[0]-'0')*10 + int(s[1]-'0') }

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
