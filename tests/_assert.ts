// Test assertions: node:assert/strict wrapped in the names std users know.
import assertStrict from "node:assert/strict";

/** Asserts deep strict equality. */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  if (message === undefined) assertStrict.deepStrictEqual(actual, expected);
  else assertStrict.deepStrictEqual(actual, expected, message);
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

/** Asserts `fn` throws an instance of `ErrorClass` (whose message includes `includes`); returns it. */
export function assertThrows<E extends Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  ErrorClass: new (...args: any[]) => E,
  includes?: string,
): E {
  try {
    fn();
  } catch (err) {
    assertStrict.ok(err instanceof ErrorClass, `expected ${ErrorClass.name}, got ${err}`);
    if (includes !== undefined) {
      assertStrict.ok((err as E).message.includes(includes), (err as E).message);
    }
    return err as E;
  }
  throw new assertStrict.AssertionError({ message: `expected ${ErrorClass.name} to be thrown` });
}

/** Async variant of {@linkcode assertThrows}. */
export async function assertRejects<E extends Error>(
  fn: () => Promise<unknown>,
  // deno-lint-ignore no-explicit-any
  ErrorClass: new (...args: any[]) => E,
  includes?: string,
): Promise<E> {
  try {
    await fn();
  } catch (err) {
    assertStrict.ok(err instanceof ErrorClass, `expected ${ErrorClass.name}, got ${err}`);
    if (includes !== undefined) {
      assertStrict.ok((err as E).message.includes(includes), (err as E).message);
    }
    return err as E;
  }
  throw new assertStrict.AssertionError({ message: `expected ${ErrorClass.name} to be rejected` });
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
