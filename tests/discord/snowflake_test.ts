// _discord/snowflake.ts: ordering, and conversion to and from time.
import { compareIds, snowflakeAt, timeOfSnowflake } from "../../_discord/snowflake.ts";
import { assert, assertEquals } from "../_assert.ts";

Deno.test("snowflakes: compare numerically, and convert to and from time", () => {
  assert(compareIds("99", "100") < 0);
  assert(compareIds("1100000000000000002", "1100000000000000001") > 0);
  assertEquals(compareIds("5", "5"), 0);
  const t = Date.UTC(2026, 0, 2, 3, 4, 5, 6);
  assertEquals(timeOfSnowflake(snowflakeAt(t)), t);
  assert(compareIds(snowflakeAt(t), snowflakeAt(t + 1)) < 0);
});
