// Private: which REST library this package loads (rest_library.ts) and what its loading needs.
// No imports on purpose: _daemon/command.ts and settings.ts read these for the permissions of
// the processes that load the library, and the register hook reaches the former, so this file
// keeps every Discord library out of that hook's module graph (tests/architecture_test.ts).

/** The REST library as loaded at run time: the version deno.json's `@discordjs/rest` pins. */
export const REST_LIBRARY = "npm:@discordjs/rest@2.6.3";

/**
 * Environment variables the REST library's dependencies (undici, …) read while it loads: a
 * process whose `--allow-env` leaves them out cannot load it (_daemon/command.ts, settings.ts grant them).
 */
export const REST_LIBRARY_ENV: readonly string[] = [
  "NODE_V8_COVERAGE",
  "UNDICI_NO_FG",
  "JEST_WORKER_ID",
];
