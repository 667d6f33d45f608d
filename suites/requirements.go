package suites

import "sort"

// The requirement catalogue. Each anchor is the sentence of docs/contract.md the requirement
// enforces, named after its id. Ids are stable: a published report names them, so an id is never
// renumbered or reused; a retired requirement keeps its id out of use.
var (
	ReqSpec = &Requirement{"SPEC-001", Must,
		"Every response conforms to the OpenAPI document: a documented status code, the documented headers and content type, and a body valid against the response's schema.",
		"docs/contract.md#spec-001"}
	ReqNoErrorIn200 = &Requirement{"ENV-001", Must,
		`An error is never answered with HTTP 200: a body with "status": "error" comes with a 4xx or 5xx status code.`,
		"docs/contract.md#env-001"}
	ReqErrorEnvelope = &Requirement{"ENV-002", Must,
		`An error response carries the error envelope: "status": "error", a non-empty "message" and "data": null.`,
		"docs/contract.md#env-002"}
	ReqContentType = &Requirement{"ENV-003", Must,
		"Every response is application/json (a charset parameter is allowed).",
		"docs/contract.md#env-003"}
	ReqAuthRejected = &Requirement{"AUTH-001", Must,
		"A request with missing, empty, malformed or wrong credentials is answered 401, whatever the path or id.",
		"docs/contract.md#auth-001"}
	ReqAuthChallenge = &Requirement{"AUTH-002", Should,
		"A 401 answer carries a WWW-Authenticate header with the Bearer scheme.",
		"docs/contract.md#auth-002"}
	ReqAuthSchemeCase = &Requirement{"AUTH-003", Must,
		`The authentication scheme name is case-insensitive: "bearer <token>" is accepted like "Bearer <token>".`,
		"docs/contract.md#auth-003"}
	ReqOK = &Requirement{"OK-001", Must,
		`A valid, authorised request is answered 200 with the success envelope ("status": "ok") and data valid against the operation's schema.`,
		"docs/contract.md#ok-001"}
	ReqSameRecord = &Requirement{"OK-002", Must,
		"The contact returned is the one asked for: data.id equals the requested id (UUIDs compare case-insensitively).",
		"docs/contract.md#ok-002"}
	ReqUnknownID = &Requirement{"ID-001", Must,
		"A well-formed UUID that matches no resource, of any version, nil or max, in either case, is answered 404 with the error envelope.",
		"docs/contract.md#id-001"}
	ReqForeignID = &Requirement{"ID-002", Must,
		"A resource of another company is answered 404 with the error envelope, like an unknown id, so the API does not leak which ids exist.",
		"docs/contract.md#id-002"}
	ReqForeignIndistinct = &Requirement{"ID-005", Should,
		"The answer to a resource of another company cannot be told from the answer to an unknown id: the same status and the same message once the id itself is masked.",
		"docs/contract.md#id-005"}
	ReqMalformedIDSafe = &Requirement{"ID-003", Must,
		"An id that is not a UUID is rejected as a client error: 400 (or 404), never 2xx, never 5xx.",
		"docs/contract.md#id-003"}
	ReqMalformedID400 = &Requirement{"ID-004", Should,
		"An id that is not a UUID is answered 400 with the error envelope.",
		"docs/contract.md#id-004"}
	ReqMethod = &Requirement{"METHOD-001", Must,
		"A method the path does not support is answered 405 with the error envelope and an Allow header listing the supported methods.",
		"docs/contract.md#method-001"}
	ReqLimitHonoured = &Requirement{"LIST-001", Must,
		"A list never holds more items than the limit asked for.",
		"docs/contract.md#list-001"}
	ReqListOneCompany = &Requirement{"LIST-003", Must,
		"A list holds only records of the token's company: every item that carries a company_id carries the configured contact's (without a contact id, all carry the same one).",
		"docs/contract.md#list-003"}
	ReqLimitInvalid = &Requirement{"LIST-002", Must,
		"A query parameter value its schema does not allow (a limit that is not a positive integer) is answered 400 with the error envelope.",
		"docs/contract.md#list-002"}
	ReqNoServerError = &Requirement{"INPUT-001", Must,
		"No request is answered with a server error (5xx), whatever its parameters or headers: an input the server cannot take is a client error.",
		"docs/contract.md#input-001"}
	ReqOpenInput = &Requirement{"INPUT-002", Must,
		"A value the contract leaves open (an integer spelled with a sign, leading zeros, an exponent, spaces or a zero fraction; a magnitude past 32 bits; a parameter given twice; a UUID of a variant without versions) is answered either as valid or as invalid, each as documented: 200 honouring it (404 for an id that matches nothing), or 400 with the error envelope.",
		"docs/contract.md#input-002"}
	ReqAccept = &Requirement{"ACCEPT-001", Must,
		"Whatever the Accept header, the answer is JSON: a request whose Accept admits application/json, or has none, is answered as without it; one whose Accept admits only other media types is answered as without it or 406 with the error envelope.",
		"docs/contract.md#accept-001"}
	ReqTimeOrder = &Requirement{"TIME-001", Should,
		"A record is not updated before it is created: of the timestamps its schema orders (x-conformance-order), none is earlier than the one before it.",
		"docs/contract.md#time-001"}
)

// Requirements returns the catalogue, ordered by id.
func Requirements() []*Requirement {
	all := []*Requirement{
		ReqSpec, ReqNoErrorIn200, ReqErrorEnvelope, ReqContentType,
		ReqAuthRejected, ReqAuthChallenge, ReqAuthSchemeCase,
		ReqOK, ReqSameRecord,
		ReqUnknownID, ReqForeignID, ReqMalformedIDSafe, ReqMalformedID400, ReqForeignIndistinct,
		ReqMethod, ReqLimitHonoured, ReqLimitInvalid, ReqListOneCompany,
		ReqNoServerError, ReqOpenInput, ReqAccept, ReqTimeOrder,
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	return all
}

// RequirementByID returns the requirement with the given id, or nil.
func RequirementByID(id string) *Requirement {
	for _, r := range Requirements() {
		if r.ID == id {
			return r
		}
	}
	return nil
}
