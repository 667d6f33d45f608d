// Package docs holds no code: its tests read the README and the pages of docs/ as a reader follows
// them, so that a link never leads nowhere and nothing points outside the repository.
package docs

import (
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// root is the repository's root, seen from this package's directory, where go test runs.
const root = ".."

// readmeScreen is the README's first screen: what a newcomer reads before scrolling.
const readmeScreen = 40

// readmeMaxLines keeps the README an entry point: reference material goes to a page of docs/.
const readmeMaxLines = 150

// A link is one link destination in a Markdown page, with the line it is on.
type link struct {
	line int
	dest string
}

var (
	inlineLink    = regexp.MustCompile(`\]\(\s*(<[^>\n]*>|[^()\s]*)(?:\s+(?:"[^"\n]*"|'[^'\n]*'|\([^)\n]*\)))?\s*\)`)
	referenceDef  = regexp.MustCompile(`(?m)^ {0,3}\[([^\]\n]+)\]:[ \t]*(<[^>\n]*>|\S+)`)
	referenceUse  = regexp.MustCompile(`\[([^\]\n]*)\]\[([^\]\n]*)\]`)
	htmlLink      = regexp.MustCompile(`<(?:a|img)\s[^>]*?(?:href|src)="([^"]*)"`)
	htmlAnchor    = regexp.MustCompile(`<a\s(?:[^>]*\s)?(?:id|name)="([^"]+)"`)
	atxHeading    = regexp.MustCompile(`^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$`)
	setextLine    = regexp.MustCompile(`^ {0,3}(=+|-+)[ \t]*$`)
	notParagraph  = regexp.MustCompile(`^(?: {4}|\t| {0,3}(?:[-*+>|#]|\d+[.)])(?:\s|$))`)
	fence         = regexp.MustCompile("^[ \t]*(`{3,}|~{3,})")
	uriScheme     = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:`)
	inlineInTitle = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)|<[^>]*>`)
)

// blankFences returns the page with the content of every fenced code block replaced by spaces,
// newlines kept, so that offsets and line numbers stay those of the page.
func blankFences(page string) string {
	lines := strings.SplitAfter(page, "\n")
	open := ""
	for i, l := range lines {
		m := fence.FindStringSubmatch(l)
		switch {
		case open == "" && m != nil:
			open = m[1]
		case open != "" && m != nil && m[1][0] == open[0] && len(m[1]) >= len(open) && strings.TrimSpace(l[len(m[0]):]) == "":
			open = ""
		case open == "":
			continue
		}
		lines[i] = blank(l)
	}
	return strings.Join(lines, "")
}

// blankCodeSpans returns the text with every code span (a run of backticks up to the next run of
// the same length, within a paragraph) replaced by spaces, newlines kept.
func blankCodeSpans(text string) string {
	out := []byte(text)
	for i := 0; i < len(text); {
		if text[i] != '`' || (i > 0 && text[i-1] == '\\') {
			i++
			continue
		}
		n := 0
		for i+n < len(text) && text[i+n] == '`' {
			n++
		}
		end := closingRun(text, i+n, n)
		if end < 0 {
			i += n // no closing run: the backticks are literal
			continue
		}
		copy(out[i:end], blank(text[i:end]))
		i = end
	}
	return string(out)
}

// closingRun is the end of the first run of exactly n backticks from start, before the paragraph
// ends; -1 when there is none.
func closingRun(text string, start, n int) int {
	for j := start; j < len(text); {
		if strings.HasPrefix(text[j:], "\n\n") {
			return -1
		}
		if text[j] != '`' {
			j++
			continue
		}
		k := j
		for k < len(text) && text[k] == '`' {
			k++
		}
		if k-j == n {
			return k
		}
		j = k
	}
	return -1
}

func blank(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' {
			return r
		}
		return ' '
	}, s)
}

// prose is the page without its code: fenced blocks and code spans blanked.
func prose(page string) string {
	return blankCodeSpans(blankFences(page))
}

func lineOf(text string, offset int) int {
	return strings.Count(text[:offset], "\n") + 1
}

// linksOf returns every link destination of a page outside code: inline links and images,
// reference definitions, and the href or src of an HTML a or img element. A reference a link uses
// without a definition is returned as a destination that cannot resolve.
func linksOf(page string) []link {
	text := prose(page)
	var links []link
	for _, m := range inlineLink.FindAllStringSubmatchIndex(text, -1) {
		links = append(links, link{lineOf(text, m[0]), strings.Trim(text[m[2]:m[3]], "<>")})
	}
	defined := map[string]bool{}
	for _, m := range referenceDef.FindAllStringSubmatchIndex(text, -1) {
		defined[referenceLabel(text[m[2]:m[3]])] = true
		links = append(links, link{lineOf(text, m[0]), strings.Trim(text[m[4]:m[5]], "<>")})
	}
	for _, m := range referenceUse.FindAllStringSubmatchIndex(text, -1) {
		label := text[m[4]:m[5]]
		if label == "" {
			label = text[m[2]:m[3]]
		}
		if !defined[referenceLabel(label)] {
			links = append(links, link{lineOf(text, m[0]), "[" + label + "]: a reference with no definition"})
		}
	}
	for _, m := range htmlLink.FindAllStringSubmatchIndex(text, -1) {
		links = append(links, link{lineOf(text, m[0]), text[m[2]:m[3]]})
	}
	return links
}

func referenceLabel(label string) string {
	return strings.ToLower(strings.Join(strings.Fields(label), " "))
}

// anchorsOf returns the fragments a link may name in a page: the GitHub slug of every heading
// (the second "Usage" is usage-1, the third usage-2) and every explicit <a id> or <a name>.
func anchorsOf(page string) map[string]bool {
	anchors := map[string]bool{}
	seen := map[string]int{}
	add := func(title string) {
		slug := headingSlug(title)
		anchor := slug
		if n, ok := seen[slug]; ok {
			for {
				n++
				anchor = fmt.Sprintf("%s-%d", slug, n)
				if !anchors[anchor] {
					break
				}
			}
			seen[slug] = n
		} else {
			seen[slug] = 0
		}
		anchors[anchor] = true
	}
	lines := strings.Split(blankFences(page), "\n")
	for i, l := range lines {
		if m := atxHeading.FindStringSubmatch(l); m != nil {
			add(m[2])
			continue
		}
		if i > 0 && setextLine.MatchString(l) && strings.TrimSpace(lines[i-1]) != "" &&
			!notParagraph.MatchString(lines[i-1]) && !setextLine.MatchString(lines[i-1]) {
			add(lines[i-1])
		}
	}
	for _, m := range htmlAnchor.FindAllStringSubmatch(prose(page), -1) {
		anchors[m[1]] = true
	}
	return anchors
}

// headingSlug is the fragment GitHub gives a heading: its text as rendered (a link's text, no
// HTML tag, no backtick), lower-cased, with every character but letters, digits, spaces, hyphens
// and underscores dropped, and each space a hyphen.
func headingSlug(title string) string {
	text := inlineInTitle.ReplaceAllString(strings.TrimSpace(title), "$1")
	var b strings.Builder
	for _, r := range strings.ToLower(text) {
		switch {
		case r == ' ':
			b.WriteRune('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.IsMark(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// repository is the repository as git knows it: every file tracked or about to be (untracked,
// not ignored), and every directory holding one. The file names are slash-separated and
// relative to the root.
type repository struct {
	files, dirs map[string]bool
}

func listRepository(t *testing.T) repository {
	t.Helper()
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	cmd.Dir = root
	out, err := cmd.Output()
	require.NoError(t, err, "git ls-files: the documentation tests need the repository's git checkout")
	repo := repository{files: map[string]bool{}, dirs: map[string]bool{}}
	for name := range strings.SplitSeq(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(name))); err != nil {
			continue // deleted in the work tree, not yet in the index
		}
		repo.files[name] = true
		for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
			repo.dirs[dir] = true
		}
	}
	require.NotEmpty(t, repo.files, "git ls-files listed no file")
	return repo
}

// pages are the Markdown pages a reader follows: the README and every page of docs/.
func pages(t *testing.T, repo repository) []string {
	t.Helper()
	names := []string{"README.md"}
	for name := range repo.files {
		if path.Dir(name) == "docs" && path.Ext(name) == ".md" {
			names = append(names, name)
		}
	}
	slices.Sort(names[1:])
	require.Contains(t, repo.files, "README.md")
	return names
}

// textFiles are the repository's files but the binary ones (a NUL byte near the start), by name.
func textFiles(t *testing.T, repo repository) map[string]string {
	t.Helper()
	texts := map[string]string{}
	for name := range repo.files {
		content := read(t, name)
		if !strings.ContainsRune(content[:min(len(content), 8000)], 0) {
			texts[name] = content
		}
	}
	require.Greater(t, len(texts), 100, "far fewer text files than the repository holds were read")
	return texts
}

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
	require.NoError(t, err)
	return string(b)
}

// resolve follows a link of the page from: the file it names (from itself for a bare fragment)
// and the fragment, or why it cannot be followed. skip is true for a link out of the repository
// (http, https, mailto), which the test does not follow.
func resolve(repo repository, from, dest string) (target, fragment string, skip bool, problem string) {
	lower := strings.ToLower(dest)
	if strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://") || strings.HasPrefix(lower, "mailto:") {
		return "", "", true, ""
	}
	if uriScheme.MatchString(dest) || strings.HasPrefix(dest, "/") || strings.Contains(dest, " ") {
		return "", "", false, "not a path relative to the page"
	}
	rel, fragment, _ := strings.Cut(dest, "#")
	rel, err := url.PathUnescape(rel)
	if err != nil {
		return "", "", false, "its path is not valid percent-encoding"
	}
	if fragment, err = url.PathUnescape(fragment); err != nil {
		return "", "", false, "its fragment is not valid percent-encoding"
	}
	if rel == "" {
		return from, fragment, false, ""
	}
	target = path.Clean(path.Join(path.Dir(from), rel))
	switch {
	case target == ".." || strings.HasPrefix(target, "../"):
		return "", "", false, "it leads out of the repository"
	case !repo.files[target] && !repo.dirs[target]:
		return "", "", false, target + " is not a file of the repository"
	}
	return target, fragment, false, ""
}

// pageAnchors reads each Markdown page's anchors once, for the many links into it.
type pageAnchors map[string]map[string]bool

func (a pageAnchors) has(t *testing.T, page, fragment string) bool {
	t.Helper()
	if a[page] == nil {
		a[page] = anchorsOf(read(t, page))
	}
	return a[page][fragment]
}

// Every relative link of the README and of docs/ leads to a file of the repository, and every
// fragment of a link into a Markdown page to a heading or an explicit anchor of that page.
func TestEveryRelativeLinkResolves(t *testing.T) {
	repo := listRepository(t)
	anchors := pageAnchors{}
	followed := 0
	for _, from := range pages(t, repo) {
		for _, l := range linksOf(read(t, from)) {
			target, fragment, skip, problem := resolve(repo, from, l.dest)
			if skip {
				continue
			}
			followed++
			if problem != "" {
				t.Errorf("%s:%d: the link %q leads nowhere: %s", from, l.line, l.dest, problem)
				continue
			}
			if fragment == "" || path.Ext(target) != ".md" {
				continue // a fragment of a source file (#L10) is the forge's, not the file's
			}
			if !anchors.has(t, target, fragment) {
				t.Errorf("%s:%d: the link %q leads nowhere: %s has no heading or anchor %q", from, l.line, l.dest, target, fragment)
			}
		}
	}
	assert.Greater(t, followed, 100, "far fewer relative links than the pages hold were found: the link parser is broken")
}

// forbiddenReferences are the places outside the repository it once cited: the team's shared
// notes. They are spelled in pieces, so that this file does not refer to them itself.
var forbiddenReferences = []string{
	"../" + "shared",
	"shared" + "/reference",
	"api" + "-notes",
	"seed-get-contact" + "-by-id",
	"design" + ".md",
	"style" + ".md",
}

// Nothing in the repository refers to a document outside it, which no user, vendor or reader of a
// published report has.
func TestNothingRefersOutsideTheRepository(t *testing.T) {
	for name, content := range textFiles(t, listRepository(t)) {
		for i, line := range strings.Split(strings.ToLower(content), "\n") {
			for _, ref := range forbiddenReferences {
				if strings.Contains(line, ref) {
					t.Errorf("%s:%d refers to %q, outside the repository: cite docs/contract.md or a page of docs/ instead", name, i+1, ref)
				}
			}
		}
	}
}

var (
	pageMention    = regexp.MustCompile(`(?:^|[^\w./-])(docs/[\w-]+\.md)(?:#([\w-]+))?`)
	sectionMention = regexp.MustCompile(`(README|docs/[\w-]+\.md),? \\?"([^"\\\n]+)\\?"`)
)

// Wherever the repository names a page of docs/ (a comment, a message, a help text), the page
// exists, and so does the section it names: docs/running.md#the-preflight, or
// (docs/running.md, "Flags and environment") and (README, "Exit codes") by title.
func TestEveryMentionOfAPageResolves(t *testing.T) {
	repo := listRepository(t)
	anchors := pageAnchors{}
	mentions := 0
	for name, content := range textFiles(t, repo) {
		for _, m := range pageMention.FindAllStringSubmatchIndex(content, -1) {
			mentions++
			page := content[m[2]:m[3]]
			if !repo.files[page] {
				t.Errorf("%s:%d names %s, which does not exist", name, lineOf(content, m[2]), page)
			} else if m[4] >= 0 && !anchors.has(t, page, content[m[4]:m[5]]) {
				t.Errorf("%s:%d names %s, which has no heading or anchor %q", name, lineOf(content, m[2]), page+"#"+content[m[4]:m[5]], content[m[4]:m[5]])
			}
		}
		for _, m := range sectionMention.FindAllStringSubmatchIndex(content, -1) {
			mentions++
			page, title := content[m[2]:m[3]], content[m[4]:m[5]]
			if page == "README" {
				page = "README.md"
			}
			if repo.files[page] && !anchors.has(t, page, headingSlug(title)) {
				t.Errorf("%s:%d names the section %q of %s, which has no such heading", name, lineOf(content, m[2]), title, page)
			}
		}
	}
	assert.Greater(t, mentions, 30, "far fewer mentions of docs/ than the repository holds were found")
}

// A newcomer finds the two commands on the README's first screen, and a link to the quick start
// of each kind of user.
func TestReadmeFirstScreen(t *testing.T) {
	readme := read(t, "README.md")
	lines := strings.Split(readme, "\n")
	screen := strings.Join(lines[:min(len(lines), readmeScreen)], "\n")
	for _, command := range []string{"make run", "make test"} {
		assert.True(t, strings.Contains(screen, command), "the README's first %d lines do not show `%s`", readmeScreen, command)
	}
	_, quickStarts, found := strings.Cut(readme, "\n## Quick starts\n")
	require.True(t, found, "the README has no section \"Quick starts\"")
	quickStarts, _, _ = strings.Cut(quickStarts, "\n## ")
	titles := regexp.MustCompile(`(?m)^### (.+)$`).FindAllStringSubmatch(quickStarts, -1)
	require.GreaterOrEqual(t, len(titles), 3, "the README's quick starts are fewer than its three kinds of user")
	for _, title := range titles {
		assert.True(t, strings.Contains(screen, "](#"+headingSlug(title[1])+")"), "the README's first %d lines do not link the quick start %q", readmeScreen, title[1])
	}
	assert.LessOrEqual(t, len(lines)-1, readmeMaxLines, "the README is %d lines: move reference material to a page of docs/ and link it", len(lines)-1)
}

// The README's index of docs/ is complete: it links every page.
func TestReadmeLinksEveryPage(t *testing.T) {
	repo := listRepository(t)
	linked := map[string]bool{}
	for _, l := range linksOf(read(t, "README.md")) {
		if target, _, skip, problem := resolve(repo, "README.md", l.dest); !skip && problem == "" {
			linked[target] = true
		}
	}
	for _, page := range pages(t, repo)[1:] {
		assert.True(t, linked[page], "the README does not link %s: add it to the index of docs/", page)
	}
}

// The slugs are GitHub's, on the headings these pages have.
func TestHeadingSlug(t *testing.T) {
	for title, slug := range map[string]string{
		"Pointing it at staging":                              "pointing-it-at-staging",
		"`go test` against staging":                           "go-test-against-staging",
		"Publishing a vendor's conformance report":            "publishing-a-vendors-conformance-report",
		"Interoperability: checked by tools we did not write": "interoperability-checked-by-tools-we-did-not-write",
		"GET /contact/{id}":                                   "get-contactid",
		"What `verify` checks":                                "what-verify-checks",
		"Flags and environment  ":                             "flags-and-environment",
		"snake_case and CamelCase":                            "snake_case-and-camelcase",
		"[A link](other.md) in a title":                       "a-link-in-a-title",
		"Één <a id=\"x\"></a>ünïcode":                         "één-ünïcode",
		"1.07 × the limit":                                    "107--the-limit",
	} {
		assert.Equal(t, slug, headingSlug(title), "%q", title)
	}
}

func TestAnchorsOf(t *testing.T) {
	page := "# Usage\n\n## Usage\n\nUsage\n-----\n\n- a list item\n---\n\n```\n# not a heading\n```\n\n" +
		"<a id=\"explicit\"></a>\n<a name=\"named\"></a>\n`<a id=\"in-code\"></a>`\n## Closed ##\n"
	got := anchorsOf(page)
	want := map[string]bool{"usage": true, "usage-1": true, "usage-2": true, "explicit": true, "named": true, "closed": true}
	assert.Equal(t, want, got)
}

func TestLinksOf(t *testing.T) {
	page := strings.Join([]string{
		"[one](running.md#the-preflight) and ![an image](img.png \"title\")",
		"`[in a span](nowhere.md)` and ``[a double span ` ](nowhere.md)``",
		"```sh",
		"[in a fence](nowhere.md)",
		"```",
		"a span across `two",
		"lines [x](nowhere.md)` then [two](#local)",
		"[by reference][ref], [undefined][nothing], <a href=\"../spec/openapi.yaml\">html</a>",
		"",
		"[ref]: checks.md#outcomes",
		"[web](https://example.com/x)",
	}, "\n")
	want := []link{
		{1, "running.md#the-preflight"}, {1, "img.png"}, {7, "#local"}, {11, "https://example.com/x"},
		{10, "checks.md#outcomes"}, {8, "[nothing]: a reference with no definition"}, {8, "../spec/openapi.yaml"},
	}
	assert.Equal(t, want, linksOf(page))
}

func TestResolve(t *testing.T) {
	repo := repository{files: map[string]bool{"README.md": true, "docs/running.md": true, "runner/action/action.yml": true},
		dirs: map[string]bool{"docs": true, "runner": true, "runner/action": true}}
	for _, tt := range []struct {
		from, dest, target, fragment string
		skip                         bool
		problem                      string
	}{
		{"README.md", "docs/running.md#install", "docs/running.md", "install", false, ""},
		{"docs/running.md", "../runner/action/action.yml#L3", "runner/action/action.yml", "L3", false, ""},
		{"docs/running.md", "../runner/action/", "runner/action", "", false, ""},
		{"docs/running.md", "#flags", "docs/running.md", "flags", false, ""},
		{"docs/running.md", "https://example.com", "", "", true, ""},
		{"docs/running.md", "mailto:team@example.com", "", "", true, ""},
		{"docs/running.md", "checks.md%23outcomes", "", "", false, "docs/checks.md#outcomes is not a file of the repository"},
		{"docs/running.md", "checks.md", "", "", false, "docs/checks.md is not a file of the repository"},
		{"docs/running.md", "../../outside/notes.md", "", "", false, "it leads out of the repository"},
		{"README.md", "/docs/running.md", "", "", false, "not a path relative to the page"},
		{"README.md", "ftp://example.com/x", "", "", false, "not a path relative to the page"},
	} {
		target, fragment, skip, problem := resolve(repo, tt.from, tt.dest)
		assert.Equal(t, []any{tt.target, tt.fragment, tt.skip, tt.problem}, []any{target, fragment, skip, problem}, "%s -> %s", tt.from, tt.dest)
	}
}
