#!/usr/bin/env node
// Independent implementation of the Contacts API described in docs/contract.md, used as a test
// target for the conformance suite. Plain Node.js 20, no npm dependencies.
//
//   node server.js [--port N] [--violation NAME] [--prefix /v1]
//   node server.js --list-violations
//
// A clean server (no --violation) follows every decision of the contract. Each --violation
// breaks exactly one of them and leaves everything else untouched.
'use strict';

const http = require('node:http');
const fs = require('node:fs');

// ---------------------------------------------------------------------------------------------
// Violation catalogue. `decision` quotes the contract's sentence (or clause) the switch breaks.
// `level` is the strength of that decision: MUST (always a failure) or SHOULD (strict mode).
// ---------------------------------------------------------------------------------------------
const D = {
  realCodes: 'Errors use real HTTP status codes (400, 401, 404, 405, 429, 5xx) *and* the error envelope (`status: "error"`, a non-empty `message`, `data: null`).',
  wwwAuth: 'a 401 carries `WWW-Authenticate: Bearer ...` (RFC 6750 §3).',
  scheme: 'the auth scheme name is case-insensitive (RFC 7235 §2.1): `bearer <token>` is valid.',
  creds: 'Missing, empty, malformed or wrong credentials → **401** + error envelope, whatever the id.',
  foreign: "A contact that exists but belongs to another company than the token's → **404**, exactly like an unknown id (no existence leak; broken object-level authorization is the top API security risk).",
  unknown: 'Well-formed UUID that does not exist → **404** + error envelope.',
  malformed: 'An id that is not a UUID → **400** + error envelope (404 is tolerated at MUST level, 400 expected at SHOULD level; never 5xx, never 200).',
  allKeys: 'Contact fields (all 19 keys are present in every contact; "nullable" means the value may be `null`):',
  zone: "RFC 3339 date-time everywhere; the suite's message should name the zone-less form when it sees it.",
  echoId: '`data.id` equals the requested id.',
  envelope: 'Every JSON body is an envelope: `{"status": "ok" | "error", "message": string, "data": ...}`.',
  json: 'responses are `application/json` (a `charset` parameter is allowed).',
  methods: 'Methods other than GET on `/contact/{id}` → **405** with an `Allow` header.',
};
const VIOLATIONS = [
  ['error-as-200', 'Every error is answered with HTTP 200 and the error envelope.', D.realCodes],
  ['no-www-authenticate', '401 responses carry no WWW-Authenticate header.', D.wwwAuth, 'SHOULD'],
  ['lowercase-scheme-rejected', 'The scheme is compared case-sensitively: "bearer <token>" gives 401.', D.scheme],
  ['accept-any-token', 'Any non-empty bearer token is accepted.', D.creds],
  ['accept-missing-auth', 'A request without an Authorization header is accepted.', D.creds],
  ['401-as-403', 'Authentication failures are answered 403 instead of 401.', D.creds],
  ['validation-before-auth', 'GET /contact/{id} validates the id before checking credentials (malformed id without auth gives 400).', D.creds],
  ['foreign-contact-visible', "A contact of another company is returned with 200.", D.foreign],
  ['foreign-contact-403', 'A contact of another company is answered 403 (leaks its existence).', D.foreign],
  ['unknown-id-500', 'An unknown well-formed UUID gives 500.', D.unknown],
  ['404-html-router', 'Every 404 (unknown id, foreign contact, unknown path) has the HTML body <html>404 page not found</html> and Content-Type text/html.', D.unknown],
  ['malformed-id-500', 'A non-UUID contact id gives 500.', D.malformed],
  ['malformed-id-200', 'A non-UUID contact id gives 200 with some contact.', D.malformed],
  ['malformed-id-404', 'A non-UUID contact id gives 404 (tolerated at MUST level, 400 expected at SHOULD level).', D.malformed, 'SHOULD'],
  ['missing-key', 'Contacts lack the `notes` key.', D.allKeys],
  ['wrong-type', 'Contact last_call_duration is the string "187".', '| last_call_duration | integer (seconds, >= 0) | yes |'],
  ['bad-uuid-format', 'Contact company_id is "company-42".', '| company_id | string, uuid | no |'],
  ['zoneless-timestamp', 'created_at of contacts and phone numbers is zone-less, like 2023-10-01T12:00:00.', D.zone],
  ['null-not-nullable', 'Contact phone_number is null.', '| phone_number | string | no |'],
  ['bad-enum', 'The first campaign has status "running".', '`status` (`active` | `paused` | `completed`)'],
  ['wrong-record', 'GET /contact/{id} returns a different contact of the same company.', D.echoId],
  ['no-envelope', 'GET /contact/{id} returns the bare contact, without the envelope.', D.envelope],
  ['error-data-not-null', 'Error envelopes have "data": {} instead of null.', D.realCodes],
  ['empty-error-message', 'Error envelopes have "message": "".', D.realCodes],
  ['text-content-type', 'Every response has Content-Type text/plain; charset=utf-8.', D.json],
  ['method-200', 'DELETE on /contact/{id} answers 200 (nothing is deleted).', D.methods],
  ['405-without-allow', '405 responses carry no Allow header.', D.methods],
  ['limit-ignored', 'GET /campaign/list ignores limit and returns every campaign.', 'the list never holds more than `limit` items.'],
  ['bad-limit-200', 'A limit that is not a positive integer (abc, 0, -1, empty) gives 200 with every campaign.', 'a `limit` that is not a positive integer → 400'],
  ['phone-bad-type', 'The first phone number has nickname 42 (a number).', '`data`: array of objects with `nickname` (string)'],
  ['webhook-bad-direction', 'The first outbound webhook flow has flow_direction "SIDEWAYS".', '`flow_direction` (`INBOUND` | `OUTBOUND`)'],
].map(([name, description, decision, level]) => ({ name, description, decision, level: level || 'MUST' }));

// ---------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------
function usage(msg) {
  if (msg) process.stderr.write(`server.js: ${msg}\n`);
  process.stderr.write('usage: node server.js [--port N] [--violation NAME] [--prefix /path] | --list-violations\n');
  process.exit(2);
}

const opts = { port: 0, violation: null, prefix: '', list: false };
{
  const args = process.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    let [flag, value] = args[i].split(/=(.*)/s);
    const takeValue = () => {
      if (value === undefined) value = args[++i];
      if (value === undefined) usage(`${flag} needs a value`);
      return value;
    };
    if (flag === '--port') {
      const v = takeValue();
      if (!/^\d+$/.test(v) || Number(v) > 65535) usage(`bad port ${JSON.stringify(v)}`);
      opts.port = Number(v);
    } else if (flag === '--violation') {
      opts.violation = takeValue();
      if (!VIOLATIONS.some((v) => v.name === opts.violation)) {
        usage(`unknown violation ${JSON.stringify(opts.violation)}; known: ${VIOLATIONS.map((v) => v.name).join(', ')}`);
      }
    } else if (flag === '--prefix') {
      // Serve the API under a path prefix, e.g. /v1 (exercises base URLs with a path).
      opts.prefix = takeValue().replace(/\/+$/, '');
      if (opts.prefix && !opts.prefix.startsWith('/')) usage('--prefix must start with /');
    } else if (flag === '--list-violations') {
      opts.list = true;
    } else if (flag === '--help' || flag === '-h') {
      usage();
    } else {
      usage(`unknown argument ${JSON.stringify(args[i])}`);
    }
  }
}
if (opts.list) {
  process.stdout.write(JSON.stringify(VIOLATIONS, null, 2) + '\n');
  process.exit(0);
}
/** True when the named violation is switched on. */
const V = (name) => opts.violation === name;

// ---------------------------------------------------------------------------------------------
// Fixtures (read-only; nothing ever modifies them)
// ---------------------------------------------------------------------------------------------
const TOKEN = 'Indep-3f9C2a71D4e8b05c6a1f';
const COMPANY_ID = '5b1f0c2e-8a4d-4c7e-9f3a-2d6b8e1a7c40';
const OTHER_COMPANY_ID = 'e2c4a9d1-3f6b-4a8e-b5d7-91c0f2a4e6b3';
const CONTACT_ID = '8f14e45f-ceea-467f-a0e6-1d2c3b4a5f60';
const FOREIGN_CONTACT_ID = 'd3b8f2a6-9c1e-4f7d-a5b0-6e2c8d4f1a93';

/** Deterministic, well-formed (version 4 layout) UUIDs for generated fixtures. */
const uuid = (tag, n) => `${tag}-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
const OWNER_USER_ID = '0b7d5e3c-1a9f-4d2b-8e6c-5f4a3b2c1d0e';
const AI_AGENT_IDS = ['6a2e8c4f-0b1d-4e3a-9c5b-7d8f6e4a2b1c', 'f1e2d3c4-b5a6-4978-8a6b-5c4d3e2f1a0b'];
const PHONE_IDS = ['2c4e6a8b-0d1f-4a3c-8e5b-7a9c1d3e5f70', '9e8d7c6b-5a4f-4e3d-a2c1-b0a9f8e7d6c5'];
const FLOW_IDS = ['7c3a9e5b-1d2f-4c8a-b6e4-0f9d2a7c5e31', 'b4d6f8a0-2c4e-4a6b-9d1f-3e5a7c9b1d28'];
const CAMPAIGN_IDS = Array.from({ length: 27 }, (_, i) => uuid('c0a7ac70', i + 1));

const CONTACTS = [
  { // The main fixture: every field filled with a realistic value.
    id: CONTACT_ID, company_id: COMPANY_ID, firstname: 'Margaret', lastname: 'Okafor',
    phone_number: '+14155550123',
    metadata: { crm_id: 'HS-20931', preferred_language: 'en', lifetime_value: 1240.5, opted_in: true },
    number_country_code: 'US', last_call_status: 'completed', last_call_at: '2024-03-14T16:42:09Z',
    last_call_duration: 187, last_call_feedback: 'Interested in the annual plan; call back after the 20th.',
    source_name: 'HubSpot import', tag_name: 'warm-lead', category_name: 'Enterprise',
    notes: 'Prefers afternoon calls.', created_at: '2024-01-08T09:15:00Z',
    updated_at: '2024-03-14T16:45:31Z', campaign_id: CAMPAIGN_IDS[0], status: 'active',
  },
  { // Every nullable field null, metadata empty.
    id: '1c9a7d3e-4b2f-4e8a-9d6c-0a5b7e3f2c18', company_id: COMPANY_ID, firstname: null, lastname: null,
    phone_number: '+12025550147', metadata: {}, number_country_code: null, last_call_status: null,
    last_call_at: null, last_call_duration: null, last_call_feedback: null, source_name: null,
    tag_name: null, category_name: null, notes: null, created_at: '2024-02-01T00:00:00Z',
    updated_at: '2024-02-01T00:00:00Z', campaign_id: null, status: 'new',
  },
  { // Non-ASCII names and text (UTF-8 on the wire).
    id: 'a7e3c1b9-5d2f-4a6e-8c0b-3f9d1e7a5b24', company_id: COMPANY_ID, firstname: 'Zoë',
    lastname: 'Núñez-Østergård 山田', phone_number: '+4915112345678',
    metadata: { spitzname: 'Zö', interests: ['Café', 'Ski'] }, number_country_code: 'DE',
    last_call_status: 'no-answer', last_call_at: '2024-03-02T08:05:00.250Z', last_call_duration: 0,
    last_call_feedback: 'Mailbox voll — später erneut versuchen.', source_name: 'CSV „Messe 2024“',
    tag_name: 'vip ⭐', category_name: 'Kleinunternehmen', notes: 'Spricht Deutsch und 日本語.',
    created_at: '2023-11-20T14:30:00Z', updated_at: '2024-03-02T08:06:12Z',
    campaign_id: CAMPAIGN_IDS[1], status: 'active',
  },
  { // Belongs to another company: must be indistinguishable from an unknown id.
    id: FOREIGN_CONTACT_ID, company_id: OTHER_COMPANY_ID, firstname: 'Eve', lastname: 'Mallory',
    phone_number: '+13125550199', metadata: { crm_id: 'OTHER-7' }, number_country_code: 'US',
    last_call_status: 'completed', last_call_at: '2024-01-19T11:00:00Z', last_call_duration: 64,
    last_call_feedback: null, source_name: 'Manual entry', tag_name: null, category_name: null,
    notes: 'Other company; must never be visible.', created_at: '2023-12-01T10:00:00Z',
    updated_at: '2024-01-19T11:01:05Z', campaign_id: null, status: 'active',
  },
];

const PHONE_NUMBERS = [
  { nickname: 'Main line (SF)', phone_number: '+14155550100', number_country_code: 'US', created_at: '2023-10-01T12:00:00Z', updated_at: '2024-01-15T08:30:00Z' },
  { nickname: 'Berlin support', phone_number: '+4930901820', number_country_code: 'DE', created_at: '2023-10-05T09:00:00Z', updated_at: '2023-10-05T09:00:00Z' },
  { nickname: 'Legacy trunk', phone_number: '+442071838750', number_country_code: null, created_at: '2022-06-30T23:59:59Z', updated_at: '2023-02-11T17:20:00Z' },
];

const CAMPAIGN_NAMES = ['Spring renewal', 'Webinar follow-up', 'Churn save', 'Trial activation', 'NPS survey',
  'Event invite', 'Upsell premium', 'Payment reminder', 'Win-back'];
const STATUSES = ['active', 'paused', 'completed'];
const CAMPAIGNS = CAMPAIGN_IDS.map((_, i) => {
  const inbound = i % 4 === 3; // every fourth campaign is inbound
  const status = STATUSES[i % 3];
  const day = String(1 + (i % 28)).padStart(2, '0');
  return {
    name: `${CAMPAIGN_NAMES[i % CAMPAIGN_NAMES.length]} #${i + 1}`,
    notes: i % 5 === 4 ? null : `Campaign ${i + 1}: keep calls under five minutes.`,
    company_id: COMPANY_ID,
    owner_user_id: OWNER_USER_ID,
    status,
    campaign_type: inbound ? 'inbound' : 'outbound',
    contacts_list_source: i % 2 ? ['csv_upload'] : ['hubspot', 'manual'],
    contacts_list_tags: i % 6 === 5 ? [] : ['warm-lead', `batch-${i + 1}`],
    contacts_list_categories: i % 2 ? ['Enterprise'] : ['SMB', 'Kleinunternehmen'],
    contacts_list_source_metadata: i % 2 ? { file_name: `leads-${i + 1}.csv`, rows: 40 * (i + 1) } : { hubspot_list_id: 3100 + i },
    agent_variables_contact_metadata_mapping: { customer_name: 'firstname', account_id: 'metadata.crm_id' },
    ai_agent_id: AI_AGENT_IDS[i % 2],
    call_progress: status === 'completed' ? 100 : (i * 13) % 100,
    call_time_of_day_from: i % 2 ? '09:00:00' : '08:30:00',
    call_time_of_day_to: i % 2 ? '17:30:00' : '20:00:00',
    number_of_call_attempts: [1 + (i % 3)],
    retry_delay: [30, 120],
    retry_delay_unit: ['MINUTES', 'HOURS'],
    days_of_week: i % 3 === 2 ? [0, 6] : [1, 2, 3, 4, 5],
    time_zone: i % 2 ? 'Europe/Berlin' : 'America/Los_Angeles',
    inbound_phone_number_id: inbound ? PHONE_IDS[1] : null,
    outbound_phone_number_id: inbound ? null : PHONE_IDS[0],
    allow_non_local_calls: i % 2 === 0,
    created_at: `2024-01-${day}T10:00:00Z`,
    updated_at: i === 7 ? `2024-02-${day}T10:00:00.125Z` : `2024-02-${day}T10:00:00Z`,
    deleted_at: i === 8 ? '2024-03-01T18:00:00Z' : null,
    started_at: status === 'paused' && i % 2 ? null : `2024-02-${day}`,
    ended_at: status === 'completed' ? `2024-03-${day}` : null,
    webhook_mapping_variables: { call_outcome: 'last_call_status', duration: 'last_call_duration' },
    webhook_mapping_variables_sources: { call_outcome: 'contact', duration: 'call' },
    webhook_id: i % 3 === 1 ? null : FLOW_IDS[i % 2],
  };
});

const STEP_IDS = ['3a5c7e9b-1d3f-4a5c-8e7b-9d1f3a5c7e90', '4b6d8f0a-2e4a-4b6d-9f8a-0e2a4b6d8f01', '5c7e9a1b-3f5b-4c7e-a9b1-1f3b5c7e9a12'];
const WEBHOOK_FLOWS = [
  {
    id: FLOW_IDS[0], company_id: COMPANY_ID, created_by: 'margaret.admin@example.com',
    name: 'CRM sync after call', logo: 'https://cdn.example.com/logos/crm.png',
    retry_delay: 30, max_retries: 3, retry_delay_unit: 'SECONDS', status: 'SCHEDULED',
    created_at: '2024-01-10T12:00:00Z', updated_at: '2024-03-01T09:12:44Z', deleted_at: null,
    executions: [
      { id: '6d8f0b2c-4a6c-4d8f-b0c2-2a4c6d8f0b23', status: 'scheduled', attempt_number: 1,
        next_retry_at: '2024-03-14T16:50:00Z', executed_at: null, finished_at: null, error_message: null,
        created_at: '2024-03-14T16:45:31Z', updated_at: '2024-03-14T16:45:31Z' },
      { id: '7e9a1c3d-5b7d-4e9a-81c3-3b5d7e9a1c34', status: 'failed', attempt_number: 3,
        next_retry_at: null, executed_at: '2024-03-02T08:07:00Z', finished_at: '2024-03-02T08:07:05Z',
        error_message: 'upstream answered 502 Bad Gateway',
        created_at: '2024-03-02T08:06:12Z', updated_at: '2024-03-02T08:07:05Z' },
    ],
    steps: [
      { id: STEP_IDS[0], step_number: 1, webhook_url: 'https://crm.example.com/api/deals/lookup',
        webhook_url_params: { phone: '{{contact.phone_number}}' }, webhook_method: 'GET',
        // Fake secrets of the customer's own systems: reports must be able to redact them.
        webhook_headers: { Accept: 'application/json', Authorization: 'Bearer crm-FAKE-SECRET-1b2c3d4e' },
        webhook_body: null, success_condition: { status_code: 200 }, webhook_timeout: 10,
        depends_on_step: null, retry_limit: 2, timeout: 15,
        created_at: '2024-01-10T12:00:00Z', updated_at: '2024-01-10T12:00:00Z', deleted_at: null },
      { id: STEP_IDS[1], step_number: 2, webhook_url: 'https://crm.example.com/api/deals/{{deal_id}}/notes',
        webhook_url_params: {}, webhook_method: 'POST',
        webhook_headers: { 'Content-Type': 'application/json', 'X-Api-Key': 'whsec-FAKE-9f8e7d6c5b4a' },
        webhook_body: { text: 'Call {{call.status}} ({{call.duration}} s)', source: '{{source}}' },
        success_condition: { status_code: 201, body_contains: 'id' }, webhook_timeout: 10,
        depends_on_step: 1, retry_limit: 3, timeout: 30,
        created_at: '2024-01-10T12:00:00Z', updated_at: '2024-02-20T15:30:00Z', deleted_at: null },
    ],
    is_template: false, flow_direction: 'OUTBOUND',
    flow_mapping: { deal_id: { step: 1, path: 'data.deals[0].id' } },
    predefinedVariables: [{ name: 'contact_id', value: '{{contact.id}}' }, { name: 'campaign', value: 'Spring renewal' }],
    variables: [
      { name: 'deal_id', location: 'body', stepId: STEP_IDS[0], type: 'response', dataType: 'string', customValue: null },
      { name: 'source', location: 'header', stepId: null, type: 'custom', dataType: 'string', customValue: 'ai-dialer' },
    ],
    tag_name: 'crm', category_name: 'Sales',
  },
  {
    id: FLOW_IDS[1], company_id: COMPANY_ID, created_by: 'ops@example.com',
    name: 'Slack ping on missed call', logo: null,
    retry_delay: 5, max_retries: 0, retry_delay_unit: 'MINUTES', status: 'ACTIVE',
    created_at: '2023-12-05T08:00:00Z', updated_at: '2023-12-05T08:00:00Z', deleted_at: null,
    executions: [],
    steps: [
      { id: STEP_IDS[2], step_number: 1, webhook_url: 'https://hooks.slack.example.com/services/T000/B000/FAKE',
        webhook_url_params: {}, webhook_method: 'POST', webhook_headers: {},
        webhook_body: null, success_condition: null, webhook_timeout: 5,
        depends_on_step: null, retry_limit: 0, timeout: 5,
        created_at: '2023-12-05T08:00:00Z', updated_at: '2023-12-05T08:00:00Z', deleted_at: null },
    ],
    is_template: true, flow_direction: 'OUTBOUND', flow_mapping: {},
    predefinedVariables: [],
    variables: [{ name: 'channel', location: 'body', stepId: STEP_IDS[2], type: 'custom', dataType: 'string', customValue: '#sales-alerts' }],
    tag_name: null, category_name: null,
  },
];

// ---------------------------------------------------------------------------------------------
// Response helpers
// ---------------------------------------------------------------------------------------------
const JSON_TYPE = 'application/json; charset=utf-8';

function send(res, status, body, headers = {}, type = JSON_TYPE) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': V('text-content-type') ? 'text/plain; charset=utf-8' : type,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(text);
}

const ok = (res, message, data) => send(res, 200, { status: 'ok', message, data });

/** Every error goes through here, so the error-envelope switches act in one place. */
function fail(res, status, message, headers = {}) {
  if (status === 404 && V('404-html-router')) {
    return send(res, 404, '<html>404 page not found</html>', headers, 'text/html; charset=utf-8');
  }
  const body = {
    status: 'error',
    message: V('empty-error-message') ? '' : message,
    data: V('error-data-not-null') ? {} : null,
  };
  send(res, V('error-as-200') ? 200 : status, body, headers);
}

// ---------------------------------------------------------------------------------------------
// Authentication
// ---------------------------------------------------------------------------------------------
// RFC 7235 credentials: auth-scheme 1*SP token68.
const CREDENTIALS = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) +([A-Za-z0-9._~+/-]+=*)$/;

/** Returns null when the request is authenticated, otherwise the reason for the 401. */
function authProblem(req) {
  const header = req.headers.authorization;
  if (header === undefined) return V('accept-missing-auth') ? null : 'missing Authorization header';
  const m = CREDENTIALS.exec(header.trim());
  if (!m) return 'malformed Authorization header; expected "Bearer <token>"';
  const schemeOk = V('lowercase-scheme-rejected') ? m[1] === 'Bearer' : m[1].toLowerCase() === 'bearer';
  if (!schemeOk) return `unsupported authorization scheme "${m[1]}"; use Bearer`;
  if (m[2] !== TOKEN && !V('accept-any-token')) return 'invalid bearer token';
  return null;
}

function failAuth(res, reason) {
  const headers = V('no-www-authenticate') ? {} : { 'WWW-Authenticate': 'Bearer realm="independent"' };
  fail(res, V('401-as-403') ? 403 : 401, reason, headers);
}

// ---------------------------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------------------------
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The contact as served, with the contact-shape switches applied to a copy. */
function renderContact(c) {
  const out = { ...c };
  if (V('missing-key')) delete out.notes;
  if (V('wrong-type')) out.last_call_duration = '187';
  if (V('bad-uuid-format')) out.company_id = 'company-42';
  if (V('zoneless-timestamp')) out.created_at = '2023-10-01T12:00:00';
  if (V('null-not-nullable')) out.phone_number = null;
  return out;
}

function sendContact(res, contact) {
  const data = renderContact(contact);
  if (V('no-envelope')) return send(res, 200, data);
  ok(res, 'contact retrieved', data);
}

/** Validates the raw path segment; returns the decoded id, or null when it is not a UUID. */
function parseContactId(raw) {
  let id;
  try { id = decodeURIComponent(raw); } catch { return null; }
  return UUID_RE.test(id) ? id : null;
}

function badContactId(res) {
  if (V('malformed-id-500')) return fail(res, 500, 'internal error: could not parse id');
  if (V('malformed-id-200')) return sendContact(res, CONTACTS[0]);
  if (V('malformed-id-404')) return fail(res, 404, 'contact not found');
  fail(res, 400, 'id must be a UUID (8-4-4-4-12 hexadecimal digits)');
}

function getContact(res, rawId) {
  const id = parseContactId(rawId);
  if (id === null) return badContactId(res);
  // UUIDs compare case-insensitively; the stored (lowercase) id is what we return.
  const contact = CONTACTS.find((c) => c.id === id.toLowerCase());
  const notFound = () => fail(res, 404, 'contact not found');
  if (!contact) return V('unknown-id-500') ? fail(res, 500, 'internal error: contact lookup failed') : notFound();
  if (contact.company_id !== COMPANY_ID) {
    if (V('foreign-contact-visible')) return sendContact(res, contact);
    if (V('foreign-contact-403')) return fail(res, 403, 'this contact belongs to another company');
    return notFound(); // byte-for-byte the same answer as an unknown id
  }
  if (V('wrong-record')) {
    const own = CONTACTS.filter((c) => c.company_id === COMPANY_ID);
    return sendContact(res, own[(own.indexOf(contact) + 1) % own.length]);
  }
  sendContact(res, contact);
}

function listPhoneNumbers(res) {
  const data = PHONE_NUMBERS.map((p, i) => {
    const out = { ...p };
    if (V('phone-bad-type') && i === 0) out.nickname = 42;
    if (V('zoneless-timestamp')) out.created_at = out.created_at.replace(/Z$/, '');
    return out;
  });
  ok(res, 'phone numbers retrieved', data);
}

function listCampaigns(res, query) {
  let data = CAMPAIGNS.map((c, i) => (V('bad-enum') && i === 0 ? { ...c, status: 'running' } : c));
  const limits = query.getAll('limit');
  if (limits.length > 0) {
    const raw = limits[0];
    // Strict decimal digits only: "abc", "0", "-1", "1.5", "+2", "" and repeated limits are 400.
    const valid = limits.length === 1 && /^[0-9]+$/.test(raw) && Number(raw) >= 1;
    if (!valid && !V('bad-limit-200')) {
      return fail(res, 400, limits.length > 1 ? 'limit given more than once' : `limit must be an integer >= 1, got ${JSON.stringify(raw)}`);
    }
    if (valid && !V('limit-ignored')) data = data.slice(0, Number(raw));
  }
  ok(res, 'campaigns retrieved', data);
}

function listWebhookFlows(res) {
  const data = WEBHOOK_FLOWS.map((f, i) => (V('webhook-bad-direction') && i === 0 ? { ...f, flow_direction: 'SIDEWAYS' } : f));
  ok(res, 'webhook flows retrieved', data);
}

// ---------------------------------------------------------------------------------------------
// Routing
// ---------------------------------------------------------------------------------------------
/** Maps a path (prefix already removed) to a route, or null for an unknown path. */
function route(path) {
  if (path === '/phone_number') return { name: 'phone' };
  if (path === '/campaign/list') return { name: 'campaigns' };
  if (path === '/webhook/flow/company/outbound') return { name: 'webhooks' };
  const m = /^\/contact\/([^/]+)$/.exec(path);
  if (m) return { name: 'contact', id: m[1] };
  return null;
}

function handle(req, res) {
  req.resume(); // no endpoint reads a body; drain it so keep-alive connections stay usable
  // Split the request target by hand: new URL() would read "//x" as a host name.
  const target = req.url || '/';
  const q = target.indexOf('?');
  let path = q < 0 ? target : target.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : target.slice(q + 1));

  if (opts.prefix) {
    if (path !== opts.prefix && !path.startsWith(opts.prefix + '/')) return fail(res, 404, 'no such path');
    path = path.slice(opts.prefix.length);
  }
  const r = route(path);
  // An unknown path is answered 404 before authentication (it reveals nothing about data).
  if (!r) return fail(res, 404, `no such path: ${path}`);

  if (V('validation-before-auth') && r.name === 'contact' && parseContactId(r.id) === null) {
    return badContactId(res);
  }
  // Authentication comes before the method check and before any validation or lookup.
  const problem = authProblem(req);
  if (problem) return failAuth(res, problem);

  if (req.method !== 'GET') {
    if (V('method-200') && req.method === 'DELETE' && r.name === 'contact') {
      return ok(res, 'contact deleted', null); // a lie: nothing is ever deleted
    }
    // HEAD is refused too, so that "Allow: GET" is the exact truth.
    return fail(res, 405, `method ${req.method} not allowed; use GET`, V('405-without-allow') ? {} : { Allow: 'GET' });
  }

  switch (r.name) {
    case 'contact': return getContact(res, r.id);
    case 'phone': return listPhoneNumbers(res);
    case 'campaigns': return listCampaigns(res, query);
    case 'webhooks': return listWebhookFlows(res);
  }
}

// ---------------------------------------------------------------------------------------------
// Start-up and shutdown
// ---------------------------------------------------------------------------------------------
const server = http.createServer((req, res) => {
  try {
    handle(req, res);
  } catch (err) {
    process.stderr.write(`server.js: ${err && err.stack}\n`);
    if (!res.headersSent) fail(res, 500, 'internal error');
    else res.destroy();
  }
});

// Node's HTTP parser knows a fixed list of methods: any other token ("BREW") never reaches the
// 'request' event, and CONNECT goes to the 'connect' event. Both still deserve the contract's
// answer (401 or 405 with Allow), so they are run through handle() with a response object
// that writes the HTTP response to the socket by hand.
function rawResponse(socket) {
  let status = 500, headers = {};
  return {
    headersSent: false,
    writeHead(s, h) { status = s; headers = h; this.headersSent = true; },
    end(text) {
      const lines = [`HTTP/1.1 ${status} ${http.STATUS_CODES[status] || 'Unknown'}`];
      for (const [k, v] of Object.entries({ ...headers, Connection: 'close' })) lines.push(`${k}: ${v}`);
      socket.end(lines.join('\r\n') + '\r\n\r\n' + text);
    },
    destroy() { socket.destroy(); },
  };
}

/** Minimal parse of a raw request head: {method, url, headers}, or null if it is not one. */
function parseHead(raw) {
  const lines = String(raw || '').split('\r\n\r\n')[0].split('\r\n');
  const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+) (\S+) HTTP\/1\.[01]$/.exec(lines[0]);
  if (!m) return null;
  const headers = {};
  for (const line of lines.slice(1)) {
    const i = line.indexOf(':');
    const name = line.slice(0, i).toLowerCase();
    if (i > 0 && !(name in headers)) headers[name] = line.slice(i + 1).trim();
  }
  return { method: m[1], url: m[2], headers, resume() {} };
}

server.on('connect', (req, socket) => handle(req, rawResponse(socket)));
server.on('clientError', (err, socket) => {
  if (err.code === 'ECONNRESET' || !socket.writable) return socket.destroy();
  const head = err.code === 'HPE_INVALID_METHOD' ? parseHead(err.rawPacket) : null;
  if (head) return handle(head, rawResponse(socket));
  fail(rawResponse(socket), err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400, `malformed HTTP request (${err.code})`);
});

let stopping = false;
function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  server.close();
  server.closeAllConnections();
  process.exit(code);
}
process.on('SIGTERM', () => shutdown(0));
process.on('SIGINT', () => shutdown(0));
process.stdout.on('error', () => {}); // a parent that stopped reading must not crash us

// Exit when stdin closes, so a parent test process that dies never leaves us running. Only when
// stdin is a pipe or socket: with a terminal or /dev/null (e.g. `node server.js < /dev/null`)
// stdin would be "closed" from the start and the server would stop at once.
let watchStdin = false;
try {
  const st = fs.fstatSync(0);
  watchStdin = st.isFIFO() || st.isSocket();
} catch { /* no fd 0 at all: nothing to watch */ }
if (watchStdin) {
  process.stdin.on('end', () => shutdown(0));
  process.stdin.on('close', () => shutdown(0));
  process.stdin.on('error', () => shutdown(0));
  process.stdin.resume(); // read (and discard) anything the parent writes
}

server.on('error', (err) => {
  process.stderr.write(`server.js: cannot listen: ${err.message}\n`);
  process.exit(1);
});
server.listen(opts.port, '127.0.0.1', () => {
  const line = JSON.stringify({
    url: `http://127.0.0.1:${server.address().port}${opts.prefix}`,
    token: TOKEN,
    contact_id: CONTACT_ID,
    foreign_contact_id: FOREIGN_CONTACT_ID,
  });
  process.stdout.write(line + '\n');
});
