// zod's issues, flattened through unions to the option the value came closest to, then worded
// as Discord words form errors (code and message per field, nested under `errors`).

/** One issue, its path from the checked value's root. */
export interface Issue {
  path: (string | number)[];
  code: string;
  message: string;
  // deno-lint-ignore no-explicit-any
  raw: any;
}

/** zod's issues, each union's replaced by those of the option the value came closest to. */
// deno-lint-ignore no-explicit-any
export function flatten(issues: readonly any[], prefix: (string | number)[] = []): Issue[] {
  const out: Issue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...(issue.path ?? []) as (string | number)[]];
    if (issue.code === "invalid_union" && Array.isArray(issue.errors) && issue.errors.length) {
      // The option the value came closest to: not refused on its `type` discriminator, then
      // the one that got deepest (nested unions included), then the one with the fewest
      // complaints.
      // deno-lint-ignore no-explicit-any
      const score = (errs: any[]) => {
        const onType = errs.some((e) =>
          e.code === "invalid_value" && e.path?.length === 1 && e.path[0] === "type"
        );
        const leaves = flatten(errs);
        const depth = Math.max(0, ...leaves.map((e) => e.path.length));
        return [onType ? 0 : 1, depth, -leaves.length];
      };
      // deno-lint-ignore no-explicit-any
      const best = (issue.errors as any[][]).reduce((a, b) => {
        const [sa, sb] = [score(a), score(b)];
        for (let i = 0; i < sa.length; i++) if (sa[i] !== sb[i]) return sa[i] > sb[i] ? a : b;
        return a;
      });
      out.push(...flatten(best, path));
      continue;
    }
    out.push({ path, code: issue.code, message: issue.message, raw: issue });
  }
  return out;
}

function repr(v: unknown): string {
  if (typeof v === "string") return v;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err; // a cycle or a BigInt
    return String(v);
  }
}

const SNOWFLAKE_SOURCE = "^(0|[1-9][0-9]*)$";

/** Discord's code and message for a value of the wrong type. */
function typeWords(expected: string, input: unknown): { code: string; message: string } {
  if (input === undefined || input === null) {
    return { code: "BASE_TYPE_REQUIRED", message: "This field is required" };
  }
  switch (expected) {
    case "string":
      return {
        code: "BASE_TYPE_STRING",
        message: `Could not interpret "${repr(input)}" as string.`,
      };
    case "number":
    case "int":
      return { code: "NUMBER_TYPE_COERCE", message: `Value "${repr(input)}" is not int.` };
    case "boolean":
      return {
        code: "BOOLEAN_TYPE_COERCE",
        message: `Value "${repr(input)}" is not a valid boolean.`,
      };
    case "array":
      return { code: "LIST_TYPE_CONVERT", message: "Only iterables may be used in a ListType" };
    case "record":
      return { code: "DICT_TYPE_CONVERT", message: "Only dictionaries may be used in a DictType" };
    default:
      return {
        code: "MODEL_TYPE_CONVERT",
        message: "Only dictionaries may be used in a ModelType",
      };
  }
}

/** Discord's code and message for one issue. */
export function discordWords(issue: Issue, input: unknown): { code: string; message: string } {
  const r = issue.raw;
  switch (issue.code) {
    case "invalid_type":
      return typeWords(r.expected, input);
    case "invalid_format":
      if (r.pattern !== undefined && String(r.pattern).includes(SNOWFLAKE_SOURCE)) {
        return { code: "NUMBER_TYPE_COERCE", message: `Value "${repr(input)}" is not snowflake.` };
      }
      return { code: "BASE_TYPE_INVALID", message: "Invalid value." };
    case "too_big":
      return r.origin === "number" || r.origin === "int" || r.origin === "bigint"
        ? {
          code: "NUMBER_TYPE_MAX",
          message: `int value should be less than or equal to ${r.maximum}.`,
        }
        : { code: "BASE_TYPE_MAX_LENGTH", message: `Must be ${r.maximum} or fewer in length.` };
    case "too_small":
      return r.origin === "number" || r.origin === "int" || r.origin === "bigint"
        ? {
          code: "NUMBER_TYPE_MIN",
          message: `int value should be greater than or equal to ${r.minimum}.`,
        }
        : { code: "BASE_TYPE_MIN_LENGTH", message: `Must be ${r.minimum} or more in length.` };
    case "invalid_value":
      return {
        code: "BASE_TYPE_CHOICES",
        message: `Value must be one of {${(r.values ?? []).map(repr).join(", ")}}.`,
      };
    default:
      return { code: "BASE_TYPE_INVALID", message: "Invalid value." };
  }
}

/** The value at a path. */
export function at(value: unknown, path: (string | number)[]): unknown {
  let v = value;
  for (const k of path) v = (v as Record<string | number, unknown> | undefined)?.[k];
  return v;
}

/** Adds an error at a path of Discord's nested `errors` tree. */
export function insert(
  tree: Record<string, unknown>,
  path: (string | number)[],
  err: object,
): void {
  let node = tree;
  for (const k of path) node = (node[String(k)] ??= {}) as Record<string, unknown>;
  ((node._errors ??= []) as object[]).push(err);
}
