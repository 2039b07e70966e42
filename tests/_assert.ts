// The assertions of every test: node:assert/strict under the names (and argument orders) of
// denoland/std's assert module, which `jsr:` imports cannot reach here. The optional `message`
// is passed on only when given: node:assert's typings (Deno's, or @types/node's, which
// discordeno and discord.js bring into the graph) have no overload taking `string | undefined`.
import assertStrict from "node:assert/strict";

// deno-lint-ignore no-explicit-any
type ErrorClass<E extends Error> = new (...args: any[]) => E;

/** Asserts deep strict equality (`Object.is` for primitives, structure for objects). */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  if (message === undefined) assertStrict.deepStrictEqual(actual, expected);
  else assertStrict.deepStrictEqual(actual, expected, message);
}

/** Asserts deep strict inequality (the negation of {@linkcode assertEquals}). */
export function assertNotEquals<T>(actual: T, expected: T, message?: string): void {
  if (message === undefined) assertStrict.notDeepStrictEqual(actual, expected);
  else assertStrict.notDeepStrictEqual(actual, expected, message);
}

/** Asserts a truthy value. */
export function assert(value: unknown, message?: string): asserts value {
  if (message === undefined) assertStrict.ok(value);
  else assertStrict.ok(value, message);
}

/** Asserts a string matches a pattern. */
export function assertMatch(actual: string, pattern: RegExp, message?: string): void {
  if (message === undefined) assertStrict.match(actual, pattern);
  else assertStrict.match(actual, pattern, message);
}

/** Checks a caught value against the expected class and message part; returns it typed. */
function expectError<E extends Error>(
  err: unknown,
  ErrorClass: ErrorClass<E>,
  includes: string | undefined,
  message: string | undefined,
): E {
  const prefix = message === undefined ? "" : `${message}: `;
  assertStrict.ok(err instanceof ErrorClass, `${prefix}expected ${ErrorClass.name}, got ${err}`);
  if (includes !== undefined) {
    assertStrict.ok(
      err.message.includes(includes),
      `${prefix}expected the message to include ${JSON.stringify(includes)}, got ${
        JSON.stringify(err.message)
      }`,
    );
  }
  return err;
}

/** Asserts `fn` throws (anything); returns what it threw. */
export function assertThrows(fn: () => unknown, message?: string): unknown;
/** Asserts `fn` throws an instance of `ErrorClass` whose message includes `includes`; returns it. */
export function assertThrows<E extends Error>(
  fn: () => unknown,
  ErrorClass: ErrorClass<E>,
  includes?: string,
  message?: string,
): E;
export function assertThrows<E extends Error>(
  fn: () => unknown,
  classOrMessage?: ErrorClass<E> | string,
  includes?: string,
  message?: string,
): unknown {
  const ErrorClass = typeof classOrMessage === "function" ? classOrMessage : undefined;
  if (typeof classOrMessage === "string") message = classOrMessage;
  try {
    fn();
  } catch (err) {
    return ErrorClass === undefined ? err : expectError(err, ErrorClass, includes, message);
  }
  const what = ErrorClass === undefined ? "an error" : ErrorClass.name;
  const prefix = message === undefined ? "" : `${message}: `;
  throw new assertStrict.AssertionError({ message: `${prefix}expected ${what} to be thrown` });
}

/** Asserts the promise `fn` returns rejects (with anything); returns the reason. */
export function assertRejects(fn: () => PromiseLike<unknown>, message?: string): Promise<unknown>;
/** Asserts the promise `fn` returns rejects with an `ErrorClass` including `includes`; returns it. */
export function assertRejects<E extends Error>(
  fn: () => PromiseLike<unknown>,
  ErrorClass: ErrorClass<E>,
  includes?: string,
  message?: string,
): Promise<E>;
export async function assertRejects<E extends Error>(
  fn: () => PromiseLike<unknown>,
  classOrMessage?: ErrorClass<E> | string,
  includes?: string,
  message?: string,
): Promise<unknown> {
  const ErrorClass = typeof classOrMessage === "function" ? classOrMessage : undefined;
  if (typeof classOrMessage === "string") message = classOrMessage;
  try {
    await fn();
  } catch (err) {
    return ErrorClass === undefined ? err : expectError(err, ErrorClass, includes, message);
  }
  const what = ErrorClass === undefined ? "a rejection" : `${ErrorClass.name} to be rejected`;
  const prefix = message === undefined ? "" : `${message}: `;
  throw new assertStrict.AssertionError({ message: `${prefix}expected ${what}` });
}

/** Waits until `check` returns a truthy value, polling; fails after `ms`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  ms = 8000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
