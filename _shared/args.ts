// Private: command lines read with node:util's parseArgs, its refusals turned into one line
// that names the option as typed and the fix (`unknown option --chanel (did you mean
// --channel?)`) instead of parseArgs' own text, which explains the `--` convention.
import { parseArgs, type ParseArgsConfig } from "node:util";
import type * as Leven from "fastest-levenshtein";
import { UsageError } from "../errors.ts";

/**
 * The edit-distance library that finds the option meant, as loaded at run time: the version
 * deno.json's `fastest-levenshtein` pins. It is loaded only for a mistyped option, through a
 * specifier that is not a literal, so it stays out of the module graph of the entry points that
 * reach this file (notify.ts's command line is in the hooks' graph, where an npm package costs
 * every start; the hooks run with `--no-config`, hence the full `npm:` specifier).
 */
export const LEVENSHTEIN_LIBRARY = "npm:fastest-levenshtein@1.0.16";

/** The options of a command line, as parseArgs takes them. */
type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * Parses a command line (`strict`, as parseArgs defaults) or throws one clear line.
 *
 * @param config What parseArgs takes: `args`, `options`, `allowPositionals`…
 * @param hint Said after a refusal that names no fix of its own (an unknown option with none
 *   close, an unexpected argument): e.g. `see --help`; none by default (the caller adds one).
 * @returns What parseArgs returns.
 * @throws {UsageError} On an unknown option (with the closest known one, when one is close),
 *   an option without its value, a value given to a switch, or an unexpected argument.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readCommandLine } from "./args.ts";
 * import { UsageError } from "../errors.ts";
 *
 * const options = { channel: { type: "string" }, user: { type: "boolean" } } as const;
 * const { values } = await readCommandLine({ args: ["--channel", "1"], options });
 * assert.equal(values.channel, "1");
 * await assert.rejects(
 *   readCommandLine({ args: ["--chanel", "1"], options }),
 *   (err) => err instanceof UsageError &&
 *     err.message === "unknown option --chanel (did you mean --channel?)",
 * );
 * ```
 */
export async function readCommandLine<T extends ParseArgsConfig>(
  config: T,
  hint?: string,
): Promise<ReturnType<typeof parseArgs<T>>> {
  try {
    return parseArgs(config);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    const found = await explain(config.args ?? [], config.options ?? {}, config.allowPositionals);
    const line = found ?? { text: err.message.split(/\.\s/, 1)[0], fixed: false };
    throw new UsageError(line.fixed || !hint ? line.text : `${line.text}: ${hint}`, {
      cause: err,
    });
  }
}

/** A refusal in words, and whether it names its fix. */
interface Refusal {
  text: string;
  fixed: boolean;
}

/** What is wrong with `args`, found by reading them as parseArgs does; `undefined` if unsure. */
async function explain(
  args: readonly string[],
  options: Options,
  allowPositionals: boolean | undefined,
): Promise<Refusal | undefined> {
  const shorts = new Map(
    Object.entries(options).flatMap(([name, o]) => o.short ? [[o.short, name] as const] : []),
  );
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") return undefined;
    let name: string | undefined;
    let inline = false;
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      name = arg.slice(2, eq < 0 ? undefined : eq);
      inline = eq >= 0;
      if (!Object.hasOwn(options, name)) return await unknownOption(`--${name}`, name, options);
    } else if (arg.startsWith("-") && arg.length > 1) {
      name = shorts.get(arg[1]);
      if (name === undefined) return await unknownOption(arg.slice(0, 2), arg.slice(1, 2), options);
      inline = arg.length > 2;
    } else if (allowPositionals === false || allowPositionals === undefined) {
      return {
        text: `unexpected argument "${arg}": this command takes options only`,
        fixed: false,
      };
    } else continue;
    const option = options[name];
    if (option.type === "boolean" && inline) {
      return { text: `--${name} takes no value (leave out "=…")`, fixed: true };
    }
    if (option.type === "string" && !inline) {
      const next = args[i + 1];
      if (next === undefined || next.startsWith("-")) {
        return {
          text:
            `--${name} needs a value (--${name} VALUE, or --${name}=VALUE for one that starts with -)`,
          fixed: true,
        };
      }
      i++;
    }
  }
  return undefined;
}

/** `unknown option --chanel (did you mean --channel?)`, or without a guess when none is close. */
async function unknownOption(typed: string, name: string, options: Options): Promise<Refusal> {
  const known = Object.keys(options);
  const prefixed = known.filter((k) => k.startsWith(name));
  let guess = prefixed.length === 1 ? prefixed[0] : undefined;
  if (guess === undefined && known.length > 0 && name.length > 1) {
    const leven = await loadLeven();
    const near = leven?.closest(name, known);
    if (near && leven!.distance(name, near) <= Math.max(1, Math.floor(near.length / 3))) {
      guess = near;
    }
  }
  return guess === undefined
    ? { text: `unknown option ${typed}`, fixed: false }
    : { text: `unknown option ${typed} (did you mean --${guess}?)`, fixed: true };
}

/** The library, or `undefined` when it cannot be loaded (no guess then, the line stays). */
async function loadLeven(): Promise<typeof Leven | undefined> {
  const specifier: string = LEVENSHTEIN_LIBRARY;
  try {
    return await import(specifier) as typeof Leven;
  } catch (err) {
    // Not in Deno's cache and no network to fetch it, or no permission to read the cache:
    // the refusal is still one clear line, without the guess.
    if (err instanceof TypeError || err instanceof Deno.errors.NotCapable) return undefined;
    throw err;
  }
}
