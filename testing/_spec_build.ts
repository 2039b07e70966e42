/**
 * Builds `testing/_spec_operations.json`, the operation table of Discord's official HTTP API
 * description (npm `discord-api-spec`, pinned in deno.json): per method and path template, the
 * types of the path and query parameters, of the request body and of each response. The
 * package ships the description as TypeScript types (its `Paths` interface) and zod schemas
 * but no runtime table of operations, so this reads the `Paths` interface with the TypeScript
 * compiler's parser; type names become references to the package's `<Name>Schema` zod
 * schemas (see `_spec.ts`). Run it after changing the pinned version:
 *
 * ```sh
 * deno task spec
 * ```
 *
 * A test (tests/testing/spec_test.ts) fails while the committed table differs from what this
 * builds; `.gitattributes` marks the file generated.
 *
 * @module
 */
import ts from "typescript";

/** Where the table is written, relative to the repository root. */
export const OPERATIONS_PATH = "testing/_spec_operations.json";

/**
 * A type of the description: a primitive name, `{ref}` (a named schema of the package),
 * `{literal}`, `{array}`, `{union}`, `{allOf}`, `{record}` or `{object}` (with its properties).
 */
export type SpecType =
  | "string"
  | "number"
  | "boolean"
  | "null"
  | "unknown"
  | { ref: string }
  | { literal: string | number | boolean }
  | { array: SpecType }
  | { union: SpecType[] }
  | { allOf: SpecType[] }
  | { record: SpecType }
  | { object: Record<string, { type: SpecType; optional: boolean }> };

/** One operation of the description. */
export interface SpecOperation {
  /** Name of the operation (the package's `<Name>Params` alias without `Params`). */
  name: string;
  /** HTTP method, upper case. */
  method: string;
  /** Path template after `/api/v10`, with `{param}` segments. */
  path: string;
  /** Security alternatives (`""` = none needed, `BotToken`, `OAuth2`). */
  security: string[];
  /** Path parameters and their types. */
  pathParams: Record<string, SpecType>;
  /** Query parameters, their types and whether each may be left out. */
  query: Record<string, { type: SpecType; optional: boolean }>;
  /** The request body's type, or null when the operation takes none. */
  body: SpecType | null;
  /** Response types by status (`200`, `204`, `429`, `4XX`). */
  responses: Record<string, SpecType>;
}

/** The generated table. */
export interface SpecTable {
  /** `discord-api-spec@<version>`: the package the table was read from. */
  source: string;
  /** Every operation, in the package's order. */
  operations: SpecOperation[];
}

function propName(name: ts.PropertyName): string {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)) {
    return name.text;
  }
  throw new Error(`Unsupported property name: ${name.getText()}`);
}

function members(node: ts.TypeNode | undefined): Map<string, ts.PropertySignature> {
  const out = new Map<string, ts.PropertySignature>();
  if (!node || !ts.isTypeLiteralNode(node)) return out;
  for (const m of node.members) {
    if (ts.isPropertySignature(m)) out.set(propName(m.name), m);
  }
  return out;
}

function isNever(node: ts.TypeNode | undefined): boolean {
  return !node || node.kind === ts.SyntaxKind.NeverKeyword ||
    node.kind === ts.SyntaxKind.UndefinedKeyword;
}

/** Converts a type node of the `Paths` interface into a {@linkcode SpecType}. */
function typeOf(node: ts.TypeNode): SpecType {
  switch (node.kind) {
    case ts.SyntaxKind.StringKeyword:
      return "string";
    case ts.SyntaxKind.NumberKeyword:
      return "number";
    case ts.SyntaxKind.BooleanKeyword:
      return "boolean";
    case ts.SyntaxKind.UnknownKeyword:
    case ts.SyntaxKind.AnyKeyword:
      return "unknown";
  }
  if (ts.isParenthesizedTypeNode(node)) return typeOf(node.type);
  if (ts.isLiteralTypeNode(node)) {
    const lit = node.literal;
    if (lit.kind === ts.SyntaxKind.NullKeyword) return "null";
    if (lit.kind === ts.SyntaxKind.TrueKeyword) return { literal: true };
    if (lit.kind === ts.SyntaxKind.FalseKeyword) return { literal: false };
    if (ts.isStringLiteral(lit)) return { literal: lit.text };
    if (ts.isNumericLiteral(lit)) return { literal: Number(lit.text) };
    if (ts.isPrefixUnaryExpression(lit) && ts.isNumericLiteral(lit.operand)) {
      return { literal: -Number(lit.operand.text) };
    }
  }
  if (ts.isArrayTypeNode(node)) return { array: typeOf(node.elementType) };
  if (ts.isUnionTypeNode(node)) return { union: node.types.map(typeOf) };
  if (ts.isIntersectionTypeNode(node)) return { allOf: node.types.map(typeOf) };
  if (ts.isTypeReferenceNode(node) && ts.isIdentifier(node.typeName)) {
    const name = node.typeName.text;
    const args = node.typeArguments ?? [];
    if (name === "Array" && args.length === 1) return { array: typeOf(args[0]) };
    if (name === "Record" && args.length === 2) return { record: typeOf(args[1]) };
    if (args.length === 0) return { ref: name };
  }
  if (ts.isTypeLiteralNode(node)) {
    const object: Record<string, { type: SpecType; optional: boolean }> = {};
    for (const [k, m] of members(node)) {
      if (!m.type) throw new Error(`Property ${k} has no type`);
      object[k] = { type: typeOf(m.type), optional: m.questionToken !== undefined };
    }
    return { object };
  }
  throw new Error(`Unsupported type in the spec: ${node.getText()}`);
}

function securityOf(node: ts.TypeNode | undefined): string[] {
  if (!node || !ts.isTupleTypeNode(node)) return [];
  return node.elements.map((e) => {
    const keys = [...members(e as ts.TypeNode).keys()];
    return keys.join("+");
  });
}

/**
 * Reads the `Paths` interface of the package's TypeScript file into the operation table.
 *
 * @param source The text of `build/discord-api-spec.ts`.
 * @param version The package version, recorded in the table.
 * @returns The table.
 * @throws {Error} When the file has a shape this reader does not know (it never guesses).
 */
export function readOperations(source: string, version: string): SpecTable {
  const file = ts.createSourceFile("discord-api-spec.ts", source, ts.ScriptTarget.Latest, true);
  let paths: ts.InterfaceDeclaration | undefined;
  // `<Name>Params = Paths["/path"]["method"]["parameters"]` names each operation.
  const names = new Map<string, string>();
  for (const stmt of file.statements) {
    if (ts.isInterfaceDeclaration(stmt) && stmt.name.text === "Paths") paths = stmt;
    if (ts.isTypeAliasDeclaration(stmt) && stmt.name.text.endsWith("Params")) {
      const t = stmt.type;
      if (
        ts.isIndexedAccessTypeNode(t) && ts.isIndexedAccessTypeNode(t.objectType) &&
        ts.isIndexedAccessTypeNode(t.objectType.objectType)
      ) {
        const lit = (n: ts.TypeNode) =>
          ts.isLiteralTypeNode(n) && ts.isStringLiteral(n.literal) ? n.literal.text : "";
        const path = lit(t.objectType.objectType.indexType);
        const method = lit(t.objectType.indexType);
        names.set(`${method} ${path}`, stmt.name.text.slice(0, -"Params".length));
      }
    }
  }
  if (!paths) throw new Error("The spec has no Paths interface");
  const operations: SpecOperation[] = [];
  for (const entry of paths.members) {
    if (!ts.isPropertySignature(entry) || !entry.type) continue;
    const path = propName(entry.name);
    for (const [method, op] of members(entry.type)) {
      const parts = members(op.type);
      const params = members(parts.get("parameters")?.type);
      const pathNode = params.get("path")?.type;
      const queryNode = params.get("query")?.type;
      const pathParams: Record<string, SpecType> = {};
      if (!isNever(pathNode)) {
        for (const [k, m] of members(pathNode)) pathParams[k] = typeOf(m.type!);
      }
      const query: SpecOperation["query"] = {};
      if (!isNever(queryNode)) {
        for (const [k, m] of members(queryNode)) {
          query[k] = { type: typeOf(m.type!), optional: m.questionToken !== undefined };
        }
      }
      const bodyNode = parts.get("requestBody")?.type;
      const responses: Record<string, SpecType> = {};
      for (const [status, r] of members(parts.get("responses")?.type)) {
        responses[status] = typeOf(r.type!);
      }
      const name = names.get(`${method} ${path}`);
      if (!name) throw new Error(`No operation name for ${method} ${path}`);
      operations.push({
        name,
        method: method.toUpperCase(),
        path,
        security: securityOf(parts.get("security")?.type),
        pathParams,
        query,
        body: isNever(bodyNode) ? null : typeOf(bodyNode!),
        responses,
      });
    }
  }
  return { source: `discord-api-spec@${version}`, operations };
}

/** Every `{ref}` a type mentions. */
export function refsOf(t: SpecType, out: Set<string> = new Set()): Set<string> {
  if (typeof t === "string") return out;
  if ("ref" in t) out.add(t.ref);
  else if ("array" in t) refsOf(t.array, out);
  else if ("record" in t) refsOf(t.record, out);
  else if ("union" in t) t.union.forEach((u) => refsOf(u, out));
  else if ("allOf" in t) t.allOf.forEach((u) => refsOf(u, out));
  else if ("object" in t) Object.values(t.object).forEach((p) => refsOf(p.type, out));
  return out;
}

/**
 * Builds the table's file text from the pinned package.
 *
 * @returns The JSON text written to {@linkcode OPERATIONS_PATH}.
 * @throws {Error} When the package cannot be read or a type has no zod schema.
 */
export async function buildSpecOperations(): Promise<string> {
  const zodUrl = import.meta.resolve("discord-api-spec/zod");
  const schemas = await import("discord-api-spec/zod") as Record<string, unknown>;
  const pkg = JSON.parse(await Deno.readTextFile(new URL("../package.json", zodUrl)));
  const source = await Deno.readTextFile(new URL("discord-api-spec.ts", zodUrl));
  const table = readOperations(source, pkg.version);
  for (const op of table.operations) {
    const all = [
      ...Object.values(op.pathParams),
      ...Object.values(op.query).map((q) => q.type),
      ...(op.body ? [op.body] : []),
      ...Object.values(op.responses),
    ];
    for (const t of all) {
      for (const ref of refsOf(t)) {
        if (!(`${ref}Schema` in schemas)) {
          throw new Error(`${op.name}: the package has no ${ref}Schema`);
        }
      }
    }
  }
  // One operation a line: diffs of a version bump read operation by operation.
  const lines = table.operations.map((op) => "  " + JSON.stringify(op));
  return `{\n "source": ${JSON.stringify(table.source)},\n "operations": [\n${
    lines.join(",\n")
  }\n ]\n}\n`;
}

if (import.meta.main) {
  const root = new URL("..", import.meta.url);
  await Deno.writeTextFile(new URL(OPERATIONS_PATH, root), await buildSpecOperations());
  console.log(`wrote ${OPERATIONS_PATH}`);
}
