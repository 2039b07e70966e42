// The helpers every test leans on: each assertion fails when it should (a wrapper that cannot
// fail would make every test that uses it pass), and tempDir removes what it made.
import { AssertionError } from "node:assert/strict";
import {
  assert,
  assertEquals,
  assertMatch,
  assertNotEquals,
  assertRejects,
  assertThrows,
  waitFor,
} from "./_assert.ts";
import { ROOT, tempDir } from "./_fixture.ts";

/** Runs `fn` and returns the AssertionError it throws (fails the test when it throws none). */
function failure(fn: () => unknown): AssertionError {
  try {
    fn();
  } catch (err) {
    if (err instanceof AssertionError) return err;
    throw err;
  }
  throw new Error("the assertion did not fail");
}

async function rejection(fn: () => Promise<unknown>): Promise<AssertionError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof AssertionError) return err;
    throw err;
  }
  throw new Error("the assertion did not fail");
}

Deno.test("assertEquals, assertNotEquals, assert, assertMatch: pass and fail as named, with the message", () => {
  assertEquals({ a: [1, "x"] }, { a: [1, "x"] });
  assertEquals(NaN, NaN);
  assertNotEquals<unknown>(1, "1");
  assert(1);
  assertMatch("hello", /^he/);
  assertMatch(failure(() => assertEquals<unknown>(1, "1", "why")).message, /^why/);
  failure(() => assertEquals({ a: 1 }, { a: 1, b: undefined } as { a: number }));
  failure(() => assertNotEquals({ a: [1] }, { a: [1] }));
  assertMatch(failure(() => assert(0, "zero")).message, /^zero/);
  failure(() => assert(""));
  failure(() => assertMatch("hello", /^lo/));
});

Deno.test("assertThrows: the class and the message part are checked; nothing thrown fails", () => {
  const err = assertThrows(
    () => {
      throw new RangeError("out of range: 7");
    },
    RangeError,
    "range: 7",
  );
  assertEquals(err.message, "out of range: 7");
  assertEquals(
    assertThrows(() => {
      throw "a string";
    }),
    "a string",
  );
  failure(() => assertThrows(() => {}));
  failure(() => assertThrows(() => {}, Error));
  failure(() =>
    assertThrows(() => {
      throw new TypeError("x");
    }, RangeError)
  );
  const wrongText = failure(() =>
    assertThrows(
      () => {
        throw new Error("abc");
      },
      Error,
      "xyz",
      "context",
    )
  );
  assertMatch(wrongText.message, /^context: expected the message to include "xyz", got "abc"/);
});

Deno.test("assertRejects: the class and the message part are checked; a resolved promise fails", async () => {
  const err = await assertRejects(() => Promise.reject(new TypeError("bad id")), TypeError, "id");
  assertEquals(err.message, "bad id");
  assertEquals(await assertRejects(() => Promise.reject(42)), 42);
  await rejection(() => assertRejects(() => Promise.resolve()));
  await rejection(() => assertRejects(() => Promise.resolve(), Error));
  await rejection(() => assertRejects(() => Promise.reject(new Error("a")), TypeError));
  await rejection(() => assertRejects(() => Promise.reject(new Error("a")), Error, "b"));
});

Deno.test("waitFor: returns the first truthy value; times out naming what it waited for", async () => {
  let n = 0;
  assertEquals(await waitFor("three calls", () => ++n >= 3 && n), 3);
  const err = await assertRejects(() => waitFor("never", () => false, 50), Error);
  assertEquals(err.message, "Timed out after 50 ms waiting for never");
});

Deno.test("tempDir: a fresh private directory, removed with its contents on dispose, even if already gone", async () => {
  let path: string;
  {
    await using dir = await tempDir("helpers-test-");
    path = dir.path;
    assertEquals(Deno.realPathSync(path), path);
    assertEquals(Deno.statSync(path).mode! & 0o777, 0o700);
    Deno.mkdirSync(`${path}/a/b`, { recursive: true });
    Deno.writeTextFileSync(`${path}/a/b/c.txt`, "x");
  }
  assertThrows(() => Deno.statSync(path), Deno.errors.NotFound);
  {
    await using gone = await tempDir("helpers-test-");
    Deno.removeSync(gone.path);
  }
  assert(Deno.statSync(`${ROOT}/deno.json`).isFile, "ROOT is the checkout");
});
