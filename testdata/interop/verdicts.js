#!/usr/bin/env node
// Reads the runner's JSON results and checks them the way make interop needs (see run.sh):
//
//   node verdicts.js golden REPORT.json GOLDEN [--update]
//       the verdict of every case (outcome, the requirements it missed, what Prism said about the
//       exchange) must be exactly the one the golden file records; --update rewrites the verdicts
//       and keeps the notes written about them.
//   node verdicts.js clean-responses REPORT.json
//       no response the suite judged conformant (pass or warn) carries a Prism response violation.
//   node verdicts.js flagged-responses-fail REPORT.json
//       Prism flagged at least one response, and the suite failed every case whose response it
//       flagged: the proof that the first check reads Prism's verdicts and is not vacuous.
//
// Exit codes: 0 the check holds, 1 it does not, 2 it could not be made (bad arguments, unreadable
// files).
'use strict';

const fs = require('fs');

const OUTCOMES = new Set(['pass', 'fail', 'warn', 'skip', 'error']);

class UsageError extends Error {}

// Prism's validator reports on each exchange in an sl-violations header: a JSON array of
// {location: ["request"|"response", ...], code, severity, message}.
function prismViolations(result) {
  const headers = (result.response && result.response.headers) || {};
  const name = Object.keys(headers).find((k) => k.toLowerCase() === 'sl-violations');
  if (!name) return [];
  let list;
  try {
    list = JSON.parse(headers[name]);
  } catch (err) {
    throw new UsageError(`${result.id}: the sl-violations header is not JSON: ${err.message}`);
  }
  if (!Array.isArray(list)) throw new UsageError(`${result.id}: the sl-violations header is not a JSON array`);
  return list.map((v) => `prism:${(v.location || []).join('.')}:${v.code}`);
}

const uniqueSorted = (xs) => [...new Set(xs)].sort();

// A verdict is what the golden file pins for one case: its outcome, then the requirement ids of
// its findings, then Prism's violations, each list sorted so that concurrency cannot reorder them.
function verdictOf(result) {
  const requirements = uniqueSorted((result.findings || []).map((f) => f.requirement));
  return { id: result.id, outcome: result.outcome, tokens: [...requirements, ...uniqueSorted(prismViolations(result))] };
}

function readReport(path) {
  let run;
  try {
    run = JSON.parse(fs.readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read the report ${path}: ${err.message}`);
  }
  if (!run || !Array.isArray(run.results) || run.results.length === 0) {
    throw new UsageError(`${path} holds no results`);
  }
  return run.results;
}

// The golden file: '#' lines are notes, blank lines are for the eye, every other line is
// "CASE-ID OUTCOME TOKEN...". The first block of notes (up to the first blank line) is the
// header; any other note belongs to the verdict line below it, so a rewrite keeps each note with
// its case.
function parseGolden(text) {
  const golden = { header: [], verdicts: new Map(), notes: new Map(), trailer: [] };
  const lines = text.split('\n');
  let i = 0;
  while (i < lines.length && lines[i].startsWith('#')) golden.header.push(lines[i++]);
  let pending = [];
  for (; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      pending.push(line);
      continue;
    }
    const [id, outcome, ...tokens] = line.split(/\s+/);
    if (!OUTCOMES.has(outcome)) throw new UsageError(`golden line ${i + 1}: "${outcome}" is not an outcome`);
    if (golden.verdicts.has(id)) throw new UsageError(`golden line ${i + 1}: ${id} is listed twice`);
    golden.verdicts.set(id, { id, outcome, tokens });
    if (pending.length) golden.notes.set(id, pending);
    pending = [];
  }
  golden.trailer = pending;
  return golden;
}

const verdictLine = (v, width) => `${v.id.padEnd(width)}  ${v.outcome.padEnd(5)}  ${v.tokens.join(' ')}`.trimEnd();

// formatGolden writes verdicts sorted by case id, so that the cases of one kind sit together
// under one note, each note above the first case it was written for.
function formatGolden(golden, verdicts) {
  const sorted = [...verdicts].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const width = Math.max(...sorted.map((v) => v.id.length));
  const out = [...golden.header];
  if (out.length) out.push('');
  for (const v of sorted) {
    const notes = golden.notes.get(v.id);
    if (notes) {
      if (out.length && out[out.length - 1] !== '') out.push('');
      out.push(...notes);
    }
    out.push(verdictLine(v, width));
  }
  if (golden.trailer.length) out.push('', ...golden.trailer);
  return out.join('\n') + '\n';
}

// compare returns one line per difference between the golden verdicts and the actual ones.
function compare(golden, verdicts) {
  const diffs = [];
  const actual = new Map(verdicts.map((v) => [v.id, v]));
  const show = (v) => `${v.outcome} ${v.tokens.join(' ')}`.trim();
  for (const [id, want] of golden.verdicts) {
    const got = actual.get(id);
    if (!got) diffs.push(`${id}: in the golden file (${show(want)}) but not run`);
    else if (show(got) !== show(want)) diffs.push(`${id}: golden "${show(want)}", now "${show(got)}"`);
  }
  for (const [id, got] of actual) {
    if (!golden.verdicts.has(id)) diffs.push(`${id}: new case (${show(got)}), not in the golden file`);
  }
  return diffs;
}

const conformant = (r) => r.outcome === 'pass' || r.outcome === 'warn';
const responseViolations = (r) => prismViolations(r).filter((t) => t.startsWith('prism:response'));

function cmdGolden(args) {
  const [reportPath, goldenPath, flag] = args;
  if (!reportPath || !goldenPath || (flag && flag !== '--update')) throw new UsageError('usage: golden REPORT.json GOLDEN [--update]');
  const verdicts = readReport(reportPath).map(verdictOf);
  let text = '';
  if (fs.existsSync(goldenPath)) text = fs.readFileSync(goldenPath, 'utf8');
  else if (!flag) throw new UsageError(`${goldenPath} does not exist: create it with UPDATE_GOLDEN=1`);
  const golden = parseGolden(text);
  if (flag === '--update') {
    const gone = [...golden.notes.keys()].filter((id) => !verdicts.some((v) => v.id === id));
    for (const id of gone) console.error(`note dropped with case ${id}, which no longer runs: ${golden.notes.get(id).join(' ')}`);
    fs.writeFileSync(goldenPath, formatGolden(golden, verdicts));
    console.log(`${goldenPath}: ${verdicts.length} verdicts written; review the diff and explain new ones in its notes`);
    return 0;
  }
  const diffs = compare(golden, verdicts);
  if (diffs.length === 0) {
    console.log(`${goldenPath}: all ${verdicts.length} verdicts as recorded`);
    return 0;
  }
  console.log(`${goldenPath}: ${diffs.length} verdict(s) differ from the golden file:`);
  for (const d of diffs) console.log(`  ${d}`);
  console.log('If the change is intended, run make interop UPDATE_GOLDEN=1 and explain it in the notes of the golden file.');
  return 1;
}

function cmdCleanResponses(args) {
  if (args.length !== 1) throw new UsageError('usage: clean-responses REPORT.json');
  const results = readReport(args[0]);
  const bad = results.filter((r) => conformant(r) && responseViolations(r).length > 0);
  for (const r of bad) console.log(`  ${r.id} (${r.outcome}): Prism reports ${responseViolations(r).join(' ')}`);
  if (bad.length) {
    console.log(`${bad.length} response(s) judged conformant by the suite are violations for Prism`);
    return 1;
  }
  console.log(`Prism reports no violation on any of the ${results.filter(conformant).length} responses the suite judged conformant`);
  return 0;
}

function cmdFlaggedResponsesFail(args) {
  if (args.length !== 1) throw new UsageError('usage: flagged-responses-fail REPORT.json');
  const flagged = readReport(args[0]).filter((r) => responseViolations(r).length > 0);
  if (flagged.length === 0) {
    console.log('Prism flagged no response: the check of Prism\'s response violations cannot see them');
    return 1;
  }
  const passed = flagged.filter(conformant);
  for (const r of passed) console.log(`  ${r.id} (${r.outcome}): Prism reports ${responseViolations(r).join(' ')}`);
  if (passed.length) {
    console.log(`the suite judged ${passed.length} of the ${flagged.length} responses Prism flagged conformant`);
    return 1;
  }
  console.log(`the suite failed all ${flagged.length} cases whose response Prism flagged`);
  return 0;
}

function main(argv) {
  const commands = { golden: cmdGolden, 'clean-responses': cmdCleanResponses, 'flagged-responses-fail': cmdFlaggedResponsesFail };
  const [name, ...args] = argv;
  try {
    if (!commands[name]) throw new UsageError(`usage: verdicts.js ${Object.keys(commands).join('|')} ...`);
    return commands[name](args);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`verdicts: ${err.message}`);
    return 2;
  }
}

module.exports = { prismViolations, verdictOf, parseGolden, formatGolden, compare, main };

if (require.main === module) process.exitCode = main(process.argv.slice(2));
