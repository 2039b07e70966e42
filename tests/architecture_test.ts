// The rules of the module graph, checked on every source module (all *.ts but tests/ and
// bench/). Each file's imports are read with TypeScript's parser: static imports and
// re-exports, type-only ones, dynamic `import("…")` and `import("…")` types; bare specifiers
// go through deno.json's import map. The rules, as ARCHITECTURE.md quotes them:
//
// | rule                   | modules                                        | may not import                                                   |
// | ---------------------- | ---------------------------------------------- | ---------------------------------------------------------------- |
// | no cycles              | every module                                   | itself, through any chain (type-only imports count)              |
// | shared internals       | `_shared/*`                                    | any project module but `errors.ts`                               |
// | one gateway            | all but `_discord/gateway.ts`                  | `npm:@discordeno/*`                                              |
// | private folders        | all but `x.ts` and `_x/*`                      | `_x/*` (`_shared/` and `_discord/` serve every module)           |
// | scripts stay entries   | all but the scripts                            | a script: `bridge.ts` `mcp.ts` `setup.ts` `hooks/hook.ts` `hooks/deliver.ts` `testing/sandbox.ts` |
// | testing/ stands alone  | `testing/*`                                    | a project module outside testing/ but `_discord/` leaves (Discord's numbers and shapes), `errors.ts` and `log.ts` (leaves: the exit-code rule, `describeError`) |
// | light per-call hooks   | all that `hooks/deliver.ts` or `hooks/_register.ts` reach | `npm:@discordeno/*`, `npm:@discordjs/*`, `npm:discord.js`, `npm:discord-api-types` (type-only imports included) |
// | light hook start-up    | what Deno loads to start `hooks/hook.ts` or `hooks/deliver.ts` (static and literal dynamic imports) | those packages (Discord's numbers come as types there: `_discord/numbers.ts`); bare specifiers (the hooks run with `--no-config`) |
// | light MCP start-up     | what Deno loads to start `mcp.ts`                | `npm:discord-api-types` (`_discord/numbers.ts` instead)          |
// | lean bridge            | what Deno loads to start `bridge.ts`           | any npm package but `@discordeno/gateway` (the REST library comes at the first call; Discord's numbers from `_discord/numbers.ts`) |
// | delivery alone         | all that `hooks/deliver.ts` reaches            | the other roles' modules, `sessions.ts`, `notify.ts`, `daemon.ts` |
// | tests stay outside     | every module                                   | `tests/*`, `bench/*` (they may import anything)                  |
import ts from "npm:typescript@5.9.3";
import { assert, assertEquals } from "./_assert.ts";
import { ROOT } from "./_fixture.ts";

/** How a module is imported. */
type Kind = "static" | "type" | "dynamic";

/** One import: a project module ("inbox.ts"), or an outside one ("npm:zod", "node:fs"). */
interface Edge {
  to: string;
  kind: Kind;
}

/** Folders that hold no source modules of the graph. */
const NOT_SOURCE = new Set(["tests", "bench", "node_modules", ".cache", ".ci", ".git", ".github"]);

/** The scripts: entry points that are run, not imported. */
const SCRIPTS = [
  "bridge.ts",
  "mcp.ts",
  "setup.ts",
  "hooks/hook.ts",
  "hooks/deliver.ts",
  "testing/sandbox.ts",
];

/**
 * npm packages the per-tool-call hooks never load: the gateway and the Discord libraries, and
 * discord-api-types (the other hook roles take Discord's numbers from it as types only).
 */
const DISCORD_LIBRARIES = /^npm:(@discordeno\/|@discordjs\/|discord\.js$|discord-api-types$)/;

/** Every source module, relative to the checkout, sorted. */
function sourceModules(dir = ""): string[] {
  const found: string[] = [];
  for (const entry of Deno.readDirSync(`${ROOT}/${dir}`)) {
    const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory && !NOT_SOURCE.has(path)) found.push(...sourceModules(path));
    else if (entry.isFile && path.endsWith(".ts")) found.push(path);
  }
  return found.sort();
}

const IMPORT_MAP: Record<string, string> =
  JSON.parse(Deno.readTextFileSync(`${ROOT}/deno.json`)).imports ?? {};

/** A specifier as written in `from`, resolved: a project path, or `npm:<package>` etc. */
function resolve(from: string, specifier: string): string {
  if (specifier.startsWith("./") || specifier.startsWith("../")) {
    return new URL(specifier, `file:///${from}`).pathname.slice(1);
  }
  const mapped = IMPORT_MAP[specifier] ??
    Object.entries(IMPORT_MAP)
      .filter(([key]) => key.endsWith("/") && specifier.startsWith(key))
      .map(([key, value]) => value + specifier.slice(key.length))[0];
  return packageOf(mapped ?? specifier);
}

/** `npm:/@scope/name@1.2.3/sub/path` and the like → `npm:@scope/name`; others unchanged. */
function packageOf(specifier: string): string {
  const npm = /^npm:\/?((?:@[^/@]+\/)?[^/@]+)/.exec(specifier);
  return npm ? `npm:${npm[1]}` : specifier;
}

/** Whether a specifier is a bare one (needs an import map). */
function isBare(specifier: string): boolean {
  return !/^(\.\.?\/|[a-z]+:)/.test(specifier);
}

interface ModuleImports {
  edges: Edge[];
  /** Specifiers as written, with their kind (for the bare-specifier rule). */
  written: { specifier: string; kind: Kind }[];
  /** `import(expression)` calls the graph cannot follow. */
  computed: number;
}

/** The imports of one module. */
function importsOf(path: string): ModuleImports {
  const source = ts.createSourceFile(
    path,
    Deno.readTextFileSync(`${ROOT}/${path}`),
    ts.ScriptTarget.Latest,
    false,
    ts.ScriptKind.TS,
  );
  const found: ModuleImports = { edges: [], written: [], computed: 0 };
  const add = (specifier: string, kind: Kind) => {
    found.written.push({ specifier, kind });
    found.edges.push({ to: resolve(path, specifier), kind });
  };
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)
    ) {
      const typeOnly = ts.isImportDeclaration(node)
        ? node.importClause?.isTypeOnly === true
        : node.isTypeOnly;
      add(node.moduleSpecifier.text, typeOnly ? "type" : "static");
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments;
      if (argument !== undefined && ts.isStringLiteralLike(argument)) {
        add(argument.text, "dynamic");
      } else {
        found.computed++;
      }
    } else if (
      ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      add(node.argument.literal.text, "type");
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const MODULES = sourceModules();
const GRAPH = new Map(MODULES.map((path) => [path, importsOf(path)]));

function isProject(to: string): boolean {
  return GRAPH.has(to);
}

/** Every edge of the graph, as `[from, edge]`. */
function edges(): [string, Edge][] {
  return [...GRAPH].flatMap(([from, m]) => m.edges.map((e): [string, Edge] => [from, e]));
}

/** The modules and outside imports reachable from `entry` over edges of the given kinds. */
function reach(entry: string, kinds: Kind[]): Set<string> {
  const seen = new Set<string>([entry]);
  const queue = [entry];
  while (queue.length > 0) {
    for (const edge of GRAPH.get(queue.shift()!)?.edges ?? []) {
      if (!kinds.includes(edge.kind) || seen.has(edge.to)) continue;
      seen.add(edge.to);
      if (isProject(edge.to)) queue.push(edge.to);
    }
  }
  return seen;
}

/**
 * The strongly connected components with more than one module (or a self-import) of a graph
 * (the project's by default).
 */
function cycles(graph: Map<string, ModuleImports> = GRAPH): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const connect = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const { to } of graph.get(v)!.edges) {
      if (!graph.has(to)) continue;
      if (!index.has(to)) {
        connect(to);
        low.set(v, Math.min(low.get(v)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(v, Math.min(low.get(v)!, index.get(to)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    const selfImport = graph.get(v)!.edges.some((e) => e.to === v);
    if (component.length > 1 || selfImport) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) connect(v);
  return found.sort((a, b) => a[0].localeCompare(b[0]));
}

/** `from → to` lines for the edges that match. */
function violations(match: (from: string, edge: Edge) => boolean): string[] {
  return edges().filter(([from, e]) => match(from, e)).map(([from, e]) =>
    `${from} → ${e.to} (${e.kind})`
  );
}

/** The private folder (`_x`) a path is in, or undefined. */
function privateFolder(path: string): string | undefined {
  const first = path.split("/")[0];
  return path.includes("/") && first.startsWith("_") ? first : undefined;
}

Deno.test("architecture: the graph is read (every module, imports resolved, import map applied)", () => {
  assert(MODULES.length > 50, `${MODULES.length} modules`);
  for (const path of ["mod.ts", "inbox.ts", "hooks/deliver.ts", "testing/mod.ts"]) {
    assert(GRAPH.has(path), path);
  }
  assert(MODULES.every((p) => !p.startsWith("tests/") && !p.startsWith("bench/")));
  const gateway = GRAPH.get("_discord/gateway.ts")!.edges.map((e) => e.to);
  assert(gateway.includes("npm:@discordeno/gateway"), gateway.join(" "));
  const inbox = GRAPH.get("inbox.ts")!.edges;
  assert(inbox.some((e) => e.to === "_inbox/types.ts" && e.kind === "type"), "type-only seen");
  assert(
    GRAPH.get("hooks/hook.ts")!.edges.some((e) => e.kind === "dynamic"),
    "dynamic imports seen",
  );
});

/** A data file of the project a module imports (JSON, e.g. testing/'s generated operation table). */
function isProjectData(path: string): boolean {
  if (!path.endsWith(".json") || path.startsWith("tests/") || path.startsWith("bench/")) {
    return false;
  }
  try {
    return Deno.statSync(`${ROOT}/${path}`).isFile;
  } catch {
    return false;
  }
}

Deno.test("architecture: every relative import names a source module or data file; none reaches tests/ or bench/", () => {
  assertEquals(
    violations((_, e) =>
      !isProject(e.to) && !isProjectData(e.to) && !/^(npm|node|jsr|https?):/.test(e.to)
    ),
    [],
  );
});

Deno.test("architecture: no import cycles, type-only imports included", () => {
  // The search itself: a type-only import closing a loop is a cycle, a self-import is one.
  const module = (...to: [string, Kind][]): ModuleImports => ({
    edges: to.map(([path, kind]) => ({ to: path, kind })),
    written: [],
    computed: 0,
  });
  const sample = new Map([
    ["a.ts", module(["b.ts", "static"], ["npm:zod", "static"])],
    ["b.ts", module(["c.ts", "static"])],
    ["c.ts", module(["a.ts", "type"])],
    ["d.ts", module(["d.ts", "dynamic"], ["a.ts", "static"])],
  ]);
  assertEquals(cycles(sample), [["a.ts", "b.ts", "c.ts"], ["d.ts"]]);
  assertEquals(cycles(), []);
});

Deno.test("architecture: _shared/ imports nothing of the project but errors.ts", () => {
  assertEquals(
    violations((from, e) =>
      from.startsWith("_shared/") && isProject(e.to) && !e.to.startsWith("_shared/") &&
      e.to !== "errors.ts"
    ),
    [],
  );
});

Deno.test("architecture: only _discord/gateway.ts imports discordeno", () => {
  assertEquals(
    violations((from, e) => from !== "_discord/gateway.ts" && e.to.startsWith("npm:@discordeno/")),
    [],
  );
});

Deno.test("architecture: a private folder _x/ is imported by x.ts and its own files only (but _shared/, _discord/)", () => {
  assertEquals(
    violations((from, e) => {
      const folder = privateFolder(e.to);
      if (folder === undefined || folder === "_shared" || folder === "_discord") return false;
      return privateFolder(from) !== folder && from !== `${folder.slice(1)}.ts`;
    }),
    [],
  );
});

Deno.test("architecture: no module imports a script but the scripts", () => {
  assertEquals(
    violations((from, e) => !SCRIPTS.includes(from) && SCRIPTS.includes(e.to)),
    [],
  );
  for (const script of SCRIPTS) assert(GRAPH.has(script), `${script} is a module`);
});

Deno.test("architecture: testing/ imports only testing/, _discord/ leaves (Discord's numbers and shapes), errors.ts and log.ts", () => {
  const leaf = (path: string) =>
    (path.startsWith("_discord/") || path === "errors.ts" || path === "log.ts") &&
    GRAPH.get(path)!.edges.every((e) => !isProject(e.to));
  assertEquals(
    violations((from, e) =>
      from.startsWith("testing/") && isProject(e.to) && !e.to.startsWith("testing/") &&
      !leaf(e.to)
    ),
    [],
  );
});

Deno.test("architecture: the delivery hook and the register role never reach discordeno, @discordjs/*, discord.js or discord-api-types", () => {
  for (const entry of ["hooks/deliver.ts", "hooks/_register.ts"]) {
    const reached = [...reach(entry, ["static", "type", "dynamic"])];
    assertEquals(reached.filter((m) => DISCORD_LIBRARIES.test(m)), [], entry);
    const computed = reached.filter((m) => (GRAPH.get(m)?.computed ?? 0) > 0);
    assertEquals(computed, [], `${entry}: computed import() the graph cannot follow`);
  }
});

Deno.test("architecture: what Deno loads to start hooks/hook.ts or hooks/deliver.ts holds no Discord library and no bare specifier", () => {
  for (const entry of ["hooks/hook.ts", "hooks/deliver.ts"]) {
    const loaded = reach(entry, ["static", "dynamic"]);
    assertEquals([...loaded].filter((m) => DISCORD_LIBRARIES.test(m)), [], entry);
    const bare = [...loaded].filter(isProject).flatMap((m) =>
      GRAPH.get(m)!.written.filter((w) => w.kind !== "type" && isBare(w.specifier))
        .map((w) => `${m} → ${w.specifier}`)
    );
    assertEquals(bare, [], `${entry} runs with --no-config`);
  }
});

Deno.test("architecture: what Deno loads to start mcp.ts holds no discord-api-types (Claude Code waits for it: _discord/numbers.ts gives the numbers as types)", () => {
  const loaded = reach("mcp.ts", ["static", "dynamic"]);
  assert(loaded.has("_mcp/context.ts"), [...loaded].join(" "));
  assertEquals([...loaded].filter((m) => m === "npm:discord-api-types"), []);
});

Deno.test("architecture: what Deno loads to start bridge.ts holds no npm package but @discordeno/gateway (resident memory: bench/bridge_bench.ts)", () => {
  const started = reach("bridge.ts", ["static"]);
  assert(
    started.has("_bridge/bridge.ts") && started.has("_discord/gateway.ts"),
    [...started].join(" "),
  );
  assertEquals([...started].filter((m) => m.startsWith("npm:")), ["npm:@discordeno/gateway"]);
  // Loaded later, on first use only: the file-type detector, at the first attachment.
  const later = [...reach("bridge.ts", ["static", "dynamic"])].filter((m) =>
    m.startsWith("npm:") && !started.has(m)
  );
  assertEquals(later.sort(), ["npm:magic-bytes.js"]);
});

Deno.test("architecture: hooks/deliver.ts's graph holds none of the other roles' modules", () => {
  const files = reach("hooks/deliver.ts", ["static", "type", "dynamic"]);
  assert(files.has("hooks/_deliver.ts") && files.has("inbox.ts"), [...files].join(" "));
  for (
    const heavy of [
      "hooks/hook.ts",
      "hooks/_register.ts",
      "hooks/_stop.ts",
      "hooks/_notice.ts",
      "hooks/_permission.ts",
      "sessions.ts",
      "notify.ts",
      "daemon.ts",
    ]
  ) {
    assert(!files.has(heavy), `${heavy} is in deliver.ts's graph: ${[...files].join(" ")}`);
  }
});
