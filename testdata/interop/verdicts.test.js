// Tests of verdicts.js, the part of make interop that decides; run with node --test.
'use strict';

const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const test = require('node:test');

const { verdictOf, parseGolden, formatGolden, compare, main } = require('./verdicts.js');

const result = (id, outcome, requirements = [], violations) => ({
  id,
  outcome,
  findings: requirements.map((requirement) => ({ requirement })),
  response: { status: 200, headers: violations ? { 'Sl-Violations': JSON.stringify(violations) } : {} },
});

const authViolation = { location: ['request'], code: 401, severity: 'Error', message: 'Invalid security scheme used' };
const bodyViolation = { location: ['response', 'body', 'data', 'id'], code: 'format', severity: 'Error', message: 'must match format "uuid"' };

test('a verdict is the outcome, the sorted requirements, then the sorted Prism violations', () => {
  const v = verdictOf(result('ok/known/getContactById', 'fail', ['SPEC-001', 'OK-002', 'SPEC-001'], [bodyViolation, authViolation]));
  assert.deepEqual(v, {
    id: 'ok/known/getContactById',
    outcome: 'fail',
    tokens: ['OK-002', 'SPEC-001', 'prism:request:401', 'prism:response.body.data.id:format'],
  });
});

test('an sl-violations header that is not JSON is a usage error, not a verdict', () => {
  const r = result('a/b/c', 'pass');
  r.response.headers['sl-violations'] = 'oops';
  assert.throws(() => verdictOf(r), /not JSON/);
});

const golden = `# header line
# second header line

# a note about the b cases
b/one/op  fail   AUTH-001
b/two/op  pass

# a note about c
c/one/op  pass   prism:request:401
`;

test('parsing keeps the header, and each note with the case below it', () => {
  const g = parseGolden(golden);
  assert.deepEqual(g.header, ['# header line', '# second header line']);
  assert.deepEqual(g.notes.get('b/one/op'), ['# a note about the b cases']);
  assert.deepEqual(g.notes.get('c/one/op'), ['# a note about c']);
  assert.equal(g.notes.has('b/two/op'), false);
  assert.deepEqual(g.verdicts.get('b/one/op'), { id: 'b/one/op', outcome: 'fail', tokens: ['AUTH-001'] });
});

test('rewriting with the same verdicts gives the same file', () => {
  const g = parseGolden(golden);
  assert.equal(formatGolden(g, [...g.verdicts.values()]), golden);
});

test('rewriting keeps notes with their cases, drops a vanished case and adds a new one', () => {
  const g = parseGolden(golden);
  const text = formatGolden(g, [
    { id: 'c/one/op', outcome: 'fail', tokens: ['AUTH-003'] },
    { id: 'a/new/op', outcome: 'pass', tokens: [] },
    { id: 'b/one/op', outcome: 'fail', tokens: ['AUTH-001'] },
  ]);
  assert.equal(text, `# header line
# second header line

a/new/op  pass

# a note about the b cases
b/one/op  fail   AUTH-001

# a note about c
c/one/op  fail   AUTH-003
`);
});

test('compare names every changed, missing and new case', () => {
  const g = parseGolden(golden);
  const diffs = compare(g, [
    { id: 'b/one/op', outcome: 'fail', tokens: ['AUTH-001'] },
    { id: 'b/two/op', outcome: 'fail', tokens: ['ID-001'] },
    { id: 'd/new/op', outcome: 'pass', tokens: [] },
  ]);
  assert.deepEqual(diffs, [
    'b/two/op: golden "pass", now "fail ID-001"',
    'c/one/op: in the golden file (pass prism:request:401) but not run',
    'd/new/op: new case (pass), not in the golden file',
  ]);
  assert.deepEqual(compare(g, [...g.verdicts.values()]), []);
});

test('a golden line with an unknown outcome or a repeated case is refused', () => {
  assert.throws(() => parseGolden('a/b/c  passed\n'), /not an outcome/);
  assert.throws(() => parseGolden('a/b/c  pass\na/b/c  fail\n'), /listed twice/);
});

// The commands, run on report files as run.sh runs them.
function withReport(results, fn) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'verdicts-'));
  const file = path.join(dir, 'report.json');
  fs.writeFileSync(file, JSON.stringify({ results }));
  const log = console.log;
  console.log = () => {};
  try {
    return fn(file, dir);
  } finally {
    console.log = log;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('clean-responses fails when a conformant response carries a Prism response violation', () => {
  const flaggedPass = [result('ok/known/x', 'pass', [], [bodyViolation])];
  assert.equal(withReport(flaggedPass, (f) => main(['clean-responses', f])), 1);
  const requestOnly = [result('auth/lowercase-scheme/x', 'pass', [], [authViolation]), result('ok/known/x', 'fail', ['SPEC-001'], [bodyViolation])];
  assert.equal(withReport(requestOnly, (f) => main(['clean-responses', f])), 0);
});

test('flagged-responses-fail needs at least one flagged response, and every one failed', () => {
  assert.equal(withReport([result('ok/known/x', 'fail', ['SPEC-001'], [bodyViolation])], (f) => main(['flagged-responses-fail', f])), 0);
  assert.equal(withReport([result('ok/known/x', 'pass', [], [authViolation])], (f) => main(['flagged-responses-fail', f])), 1);
  assert.equal(withReport([result('ok/known/x', 'warn', ['AUTH-002'], [bodyViolation])], (f) => main(['flagged-responses-fail', f])), 1);
});

test('golden compares, then --update rewrites so that it compares clean', () => {
  const results = [result('b/one/op', 'fail', ['AUTH-001']), result('b/two/op', 'fail', ['ID-001'])];
  withReport(results, (file, dir) => {
    const goldenPath = path.join(dir, 'x.golden');
    fs.writeFileSync(goldenPath, '# header\n\n# note\nb/one/op  fail  AUTH-001\nb/two/op  pass\n');
    assert.equal(main(['golden', file, goldenPath]), 1);
    assert.equal(main(['golden', file, goldenPath, '--update']), 0);
    assert.equal(main(['golden', file, goldenPath]), 0);
    assert.match(fs.readFileSync(goldenPath, 'utf8'), /# note\nb\/one\/op {2}fail {3}AUTH-001\nb\/two\/op {2}fail {3}ID-001\n/);
  });
});

test('a missing golden file or report is exit 2 with one line', () => {
  const err = console.error;
  console.error = () => {};
  try {
    assert.equal(main(['golden', '/nonexistent/report.json', '/nonexistent/x.golden']), 2);
    assert.equal(main(['nope']), 2);
  } finally {
    console.error = err;
  }
});
