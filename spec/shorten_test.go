package spec

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestShortenCutsOnACharacterAndMarksTheCut(t *testing.T) {
	assert.Equal(t, "abc", Shorten("abc", 3), "nothing to cut")
	assert.Equal(t, "ab"+CutMark, Shorten("abc", 2))
	assert.Equal(t, "h"+CutMark, Shorten("héllo", 2), "never half of é")
	assert.Equal(t, "hé"+CutMark, Shorten("héllo", 3))
}
