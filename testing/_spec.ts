// Discord's official HTTP API description (npm `discord-api-spec`, pinned in deno.json) as the
// local server's referee: every request is checked against its operation (path, query, body),
// an invalid one answered as Discord answers it (400, code 50035, field errors); every response
// can be checked too (types, required fields, and no field the spec does not know). The
// operation table is generated (`_spec_build.ts`); the schemas are the package's zod schemas,
// loaded on first use and compiled once per operation for the whole process.
import * as z from "zod-mini";
import table from "./_spec_operations.json" with { type: "json" };
import type { SpecOperation, SpecTable, SpecType } from "./_spec_build.ts";
import { DiscordHttpError } from "./_errors.ts";
import { exceptionFor } from "./_spec_exceptions.ts";
import { at, discordWords, flatten, insert } from "./_spec_words.ts";

export type { SpecOperation } from "./_spec_build.ts";

/** The pinned package the table was generated from (`discord-api-spec@<version>`). */
export const SPEC_SOURCE: string = (table as unknown as SpecTable).source;

/** Every operation of the description. */
export const SPEC_OPERATIONS: readonly SpecOperation[] = (table as unknown as SpecTable).operations;

// deno-lint-ignore no-explicit-any
type Schema = z.ZodMiniType<any, any>;
type Schemas = Record<string, Schema>;

let schemas: Schemas | undefined;
let loading: Promise<Schemas> | undefined;

/** Loads the package's zod schemas once per process (539 schemas: 0.1-0.2 s). */
export function loadSpecSchemas(): Promise<Schemas> {
  loading ??= import("discord-api-spec/zod").then((m) => (schemas = m as unknown as Schemas));
  return loading;
}

function named(name: string): Schema {
  const s = schemas![`${name}Schema`];
  if (!s) throw new Error(`discord-api-spec has no ${name}Schema`);
  return s;
}

/** The zod schema of a type of the table (the package's schemas must be loaded). */
function schemaOf(t: SpecType): Schema {
  if (t === "string") return z.string();
  if (t === "number") return z.number();
  if (t === "boolean") return z.boolean();
  if (t === "null") return z.null();
  if (t === "unknown") return z.unknown();
  if ("ref" in t) return named(t.ref);
  if ("literal" in t) return z.literal(t.literal);
  if ("array" in t) return z.array(schemaOf(t.array));
  if ("record" in t) return z.record(z.string(), schemaOf(t.record));
  if ("union" in t) return z.union(t.union.map(schemaOf));
  if ("allOf" in t) return t.allOf.map(schemaOf).reduce((a, b) => z.intersection(a, b));
  const shape: Record<string, Schema> = {};
  for (const [k, p] of Object.entries(t.object)) {
    shape[k] = p.optional ? z.optional(schemaOf(p.type)) : schemaOf(p.type);
  }
  return z.object(shape);
}

interface Compiled {
  body?: Schema;
  responses: Map<string, Schema>;
  params: Map<string, { type: SpecType; schema: Schema; optional: boolean }>;
}

const compiled = new Map<SpecOperation, Compiled>();

function compiledOf(op: SpecOperation): Compiled {
  let c = compiled.get(op);
  if (c) return c;
  const params = new Map<string, { type: SpecType; schema: Schema; optional: boolean }>();
  for (const [k, t] of Object.entries(op.pathParams)) {
    params.set(`path:${k}`, { type: t, schema: schemaOf(t), optional: false });
  }
  for (const [k, q] of Object.entries(op.query)) {
    params.set(`query:${k}`, { type: q.type, schema: schemaOf(q.type), optional: q.optional });
  }
  const responses = new Map<string, Schema>();
  for (const [status, t] of Object.entries(op.responses)) responses.set(status, schemaOf(t));
  c = { body: op.body ? schemaOf(op.body) : undefined, responses, params };
  compiled.set(op, c);
  return c;
}

// ---------------------------------------------------------------------------------------------
// Finding the operation of a request: literal segments win over parameters, as on Discord
// (`/users/@me` is not `/users/{user_id}`, `messages/@original` not `messages/{message_id}`).

interface Node {
  literal: Map<string, Node>;
  param?: Node;
  ops: Map<string, SpecOperation>;
}

function newNode(): Node {
  return { literal: new Map(), ops: new Map() };
}

const root: Node = newNode();
for (const op of SPEC_OPERATIONS) {
  let node = root;
  for (const seg of op.path.split("/").slice(1)) {
    if (/^\{\w+\}$/.test(seg)) {
      node = node.param ??= newNode();
    } else {
      let next = node.literal.get(seg);
      if (!next) node.literal.set(seg, next = newNode());
      node = next;
    }
  }
  node.ops.set(op.method, op);
}

/** The nodes a path reaches, those through literal segments first. */
function walk(node: Node, segs: string[], i: number): Node[] {
  if (i === segs.length) return node.ops.size > 0 ? [node] : [];
  const lit = node.literal.get(segs[i]);
  return [
    ...(lit ? walk(lit, segs, i + 1) : []),
    ...(node.param && segs[i] !== "" ? walk(node.param, segs, i + 1) : []),
  ];
}

/** The result of {@linkcode findOperation}. */
export type OperationMatch =
  | { op: SpecOperation; params: Record<string, string> }
  | "method"
  | undefined;

/**
 * The operation of a method and path (after `/api/v10`), with its path parameters decoded;
 * `"method"` when the path exists with other methods only; undefined for an unknown path.
 */
export function findOperation(method: string, path: string): OperationMatch {
  const segs = path.split("/").slice(1).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch (err) {
      if (!(err instanceof URIError)) throw err;
      return s;
    }
  });
  for (const node of walk(root, segs, 0)) {
    const op = node.ops.get(method);
    if (!op) continue;
    // Parameters again, along this operation's own template.
    const params: Record<string, string> = {};
    op.path.split("/").slice(1).forEach((seg, i) => {
      const m = /^\{(\w+)\}$/.exec(seg);
      if (m) params[m[1]] = segs[i];
    });
    return { op, params };
  }
  return walk(root, segs, 0).length > 0 ? "method" : undefined;
}

/** The operation named `name`, or a thrown Error. */
export function operationNamed(name: string): SpecOperation {
  const op = SPEC_OPERATIONS.find((o) => o.name === name);
  if (!op) throw new Error(`discord-api-spec has no operation ${name}`);
  return op;
}

// ---------------------------------------------------------------------------------------------
// Requests.

/** A request as the validator sees it. */
export interface SpecRequest {
  /** Path parameters from {@linkcode findOperation}. */
  params: Record<string, string>;
  /** The query string. */
  query: URLSearchParams;
  /** The JSON body or multipart `payload_json` (undefined when the request had none). */
  body?: unknown;
}

/** Coerces a query or path string as Discord reads it, for a parameter of type `t`. */
function candidates(raw: string): unknown[] {
  const out: unknown[] = [raw];
  if (/^-?\d+(\.\d+)?$/.test(raw)) out.push(Number(raw));
  if (/^(true|True|1)$/.test(raw)) out.push(true);
  if (/^(false|False|0)$/.test(raw)) out.push(false);
  return out;
}

function paramError(type: SpecType, raw: string): { code: string; message: string } {
  if (typeof type === "object" && "ref" in type && type.ref === "SnowflakeType") {
    return { code: "NUMBER_TYPE_COERCE", message: `Value "${raw}" is not snowflake.` };
  }
  if (type === "boolean") {
    return { code: "BOOLEAN_TYPE_COERCE", message: `Value "${raw}" is not a valid boolean.` };
  }
  if (type === "number") {
    return { code: "NUMBER_TYPE_COERCE", message: `Value "${raw}" is not int.` };
  }
  return { code: "BASE_TYPE_CHOICES", message: `Value "${raw}" is not a valid choice.` };
}

/**
 * Checks a request against its operation: path and query parameters (read as Discord coerces
 * query strings), then the body. Unknown body fields and query parameters are ignored, as
 * Discord ignores them.
 *
 * @returns The 400 (50035, field errors) Discord would answer, or undefined when it conforms.
 */
export async function checkRequest(
  op: SpecOperation,
  req: SpecRequest,
): Promise<DiscordHttpError | undefined> {
  await loadSpecSchemas();
  const c = compiledOf(op);
  const errors: Record<string, unknown> = {};
  let failed = false;
  for (const [key, p] of c.params) {
    const [where, name] = key.split(":") as ["path" | "query", string];
    const raw = where === "path" ? req.params[name] : req.query.get(name) ?? undefined;
    if (raw === undefined) {
      if (!p.optional) {
        insert(errors, [name], { code: "BASE_TYPE_REQUIRED", message: "This field is required" });
        failed = true;
      }
      continue;
    }
    const ok = candidates(raw).some((v) => z.safeParse(p.schema, v).success);
    if (!ok && !exceptionFor(op.name, "request", [name])) {
      insert(errors, [name], paramError(p.type, raw));
      failed = true;
    }
  }
  if (c.body && req.body !== undefined) {
    const r = z.safeParse(c.body, req.body);
    if (!r.success) {
      for (const issue of flatten(r.error.issues)) {
        if (exceptionFor(op.name, "request", issue.path)) continue;
        insert(errors, issue.path, discordWords(issue, at(req.body, issue.path)));
        failed = true;
      }
    }
  }
  return failed ? new DiscordHttpError(400, 50035, "Invalid Form Body", errors) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Responses.

// deno-lint-ignore no-explicit-any
type Def = any;

/** zod's English messages, for this check only (zod/mini loads no locale by itself). */
const ENGLISH = z.locales.en().localeError;

function defOf(s: Schema): Def {
  return (s as unknown as { _zod: { def: Def } })._zod.def;
}

/** Fields of `value` that `schema` does not know (zod's objects strip them silently). */
function unknownFields(
  schema: Schema,
  value: unknown,
  path: (string | number)[],
  out: (string | number)[][],
  depth = 0,
): void {
  if (depth > 64 || value === null || value === undefined) return;
  const def = defOf(schema);
  switch (def.type) {
    case "lazy":
      return unknownFields(def.getter(), value, path, out, depth + 1);
    case "optional":
    case "nullable":
    case "default":
    case "readonly":
    case "nonoptional":
    case "catch":
      return unknownFields(def.innerType, value, path, out, depth + 1);
    case "pipe":
      return unknownFields(def.in, value, path, out, depth + 1);
    case "array":
      if (Array.isArray(value)) {
        value.forEach((v, i) => unknownFields(def.element, v, [...path, i], out, depth + 1));
      }
      return;
    case "record":
      if (typeof value === "object") {
        for (const [k, v] of Object.entries(value as object)) {
          unknownFields(def.valueType, v, [...path, k], out, depth + 1);
        }
      }
      return;
    case "union": {
      // The option that accepts the value and knows most of its fields.
      let best: (string | number)[][] | undefined;
      for (const option of def.options as Schema[]) {
        if (!z.safeParse(option, value).success) continue;
        const mine: (string | number)[][] = [];
        unknownFields(option, value, path, mine, depth + 1);
        if (!best || mine.length < best.length) best = mine;
        if (best.length === 0) break;
      }
      out.push(...(best ?? []));
      return;
    }
    case "intersection": {
      const shape = { ...shapeOf(def.left), ...shapeOf(def.right) };
      return objectFields(shape, value, path, out, depth);
    }
    case "object":
      if (def.catchall && defOf(def.catchall).type !== "never") return;
      return objectFields(def.shape, value, path, out, depth);
  }
}

function shapeOf(s: Schema): Record<string, Schema> {
  const def = defOf(s);
  if (def.type === "lazy") return shapeOf(def.getter());
  if (def.type === "object") return def.shape;
  if (def.type === "intersection") return { ...shapeOf(def.left), ...shapeOf(def.right) };
  return {};
}

function objectFields(
  shape: Record<string, Schema>,
  value: unknown,
  path: (string | number)[],
  out: (string | number)[][],
  depth: number,
): void {
  if (typeof value !== "object" || Array.isArray(value)) return;
  for (const [k, v] of Object.entries(value as object)) {
    const field = shape[k];
    if (!field) out.push([...path, k]);
    else unknownFields(field, v, [...path, k], out, depth + 1);
  }
}

function typeName(t: SpecType | undefined): string {
  if (t === undefined) return "?";
  if (typeof t === "string") return t;
  if ("ref" in t) return t.ref;
  if ("array" in t) return `${typeName(t.array)}[]`;
  if ("union" in t) return t.union.map(typeName).join(" | ");
  return "object";
}

/**
 * {@linkcode checkResponse} on an answer about to be sent: its body is read from a clone, as
 * JSON, or as text when it is not JSON.
 *
 * @returns One line per violation.
 */
export async function checkAnswer(op: SpecOperation, res: Response): Promise<string[]> {
  const text = await res.clone().text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    body = text;
  }
  return await checkResponse(op, res.status, body);
}

/**
 * Checks a response against its operation: the status is one the operation answers, the body
 * has the schema's types and required fields and no field the schema does not know.
 *
 * @returns One line per violation, naming the operation, status, schema and field path.
 */
export async function checkResponse(
  op: SpecOperation,
  status: number,
  body: unknown,
): Promise<string[]> {
  await loadSpecSchemas();
  const c = compiledOf(op);
  const key = c.responses.has(String(status))
    ? String(status)
    : status >= 400 && status < 500 && c.responses.has("4XX")
    ? "4XX"
    : undefined;
  const where = `${op.method} ${op.path} (${op.name})`;
  if (key === undefined) {
    return [`${where}: status ${status} is not one it answers (${[...c.responses.keys()]})`];
  }
  const type = op.responses[key];
  if (type === "unknown") {
    return body === undefined ? [] : [`${where} → ${status}: the body should be empty`];
  }
  const schema = c.responses.get(key)!;
  const head = `${where} → ${status} ${typeName(type)}`;
  const out: string[] = [];
  const r = z.safeParse(schema, body, { error: ENGLISH });
  if (!r.success) {
    for (const issue of flatten(r.error.issues)) {
      if (exceptionFor(op.name, "response", issue.path, status)) continue;
      out.push(`${head} at ${issue.path.join(".") || "(root)"}: ${issue.message}`);
    }
  }
  const extra: (string | number)[][] = [];
  unknownFields(schema, body, [], extra);
  for (const path of extra) {
    if (exceptionFor(op.name, "response", path, status)) continue;
    out.push(`${head} at ${path.join(".")}: a field the spec does not have`);
  }
  return out;
}
