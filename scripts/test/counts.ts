/**
 * How many tests passed and failed, read from what each runtime reports:
 * Deno's JUnit file (or its summary line), Bun's summary lines, Node's TAP
 * (complete, or cut short when the file was killed). All count the same
 * way: a leaf test is one test; a `describe` block or a test with
 * sub-tests is not counted on its own.
 *
 * @module
 */

/**
 * Pass/fail counts of one runtime's run (or one file's).
 *
 * @example
 * ```ts
 * import type { Counts } from "./counts.ts";
 * const counts: Counts = { passed: 12, failed: 0 };
 * ```
 */
export interface Counts {
  passed: number;
  failed: number;
}

function lastMatch(text: string, pattern: RegExp): RegExpExecArray | undefined {
  let last: RegExpExecArray | undefined;
  const global = new RegExp(
    pattern.source,
    pattern.flags.includes("g") ? pattern.flags : pattern.flags + "g",
  );
  for (const match of text.matchAll(global)) last = match;
  return last;
}

/**
 * Reads deno's last summary line, steps included:
 * "ok | 3 passed (5 steps) | 0 failed (1 step) (38ms)". The fallback when
 * there is no JUnit report ({@link countJunitLeaves}).
 *
 * @example
 * ```ts
 * import { countDenoSummary } from "./counts.ts";
 * countDenoSummary("ok | 3 passed (5 steps) | 0 failed (38ms)"); // { passed: 8, failed: 0 }
 * ```
 */
export function countDenoSummary(output: string): Counts | undefined {
  const summary = lastMatch(
    output,
    /^(?:ok|FAILED) \| (\d+) passed(?: \((\d+) steps?\))? \| (\d+) failed(?: \((\d+) steps?\))?/m,
  );
  if (summary === undefined) return undefined;
  return {
    passed: Number(summary[1]) + Number(summary[2] ?? 0),
    failed: Number(summary[3]) + Number(summary[4] ?? 0),
  };
}

/**
 * Counts a Deno JUnit report the way Bun and Node count: a `describe` block
 * or a test with sub-tests is a container (its name is a prefix, followed by
 * " > ", of another test's name) and is not counted, unless it failed on its
 * own (a hook threw) without any failing descendant.
 *
 * @example
 * ```ts
 * import { countJunitLeaves } from "./counts.ts";
 * countJunitLeaves(
 *   '<testsuites><testcase name="a"/><testcase name="a &gt; b"/></testsuites>',
 * ); // { passed: 1, failed: 0 }
 * ```
 */
export function countJunitLeaves(xml: string): Counts | undefined {
  const cases: { name: string; failed: boolean; skipped: boolean }[] = [];
  const pattern = /<testcase\b([^>]*?)(?:\/>|>([\s\S]*?)<\/testcase>)/g;
  for (const match of xml.matchAll(pattern)) {
    const name = /\bname="([^"]*)"/.exec(match[1])?.[1];
    if (name === undefined) continue;
    const body = match[2] ?? "";
    cases.push({
      name,
      failed: /<(?:failure|error)\b/.test(body),
      skipped: /<skipped\b/.test(body),
    });
  }
  if (cases.length === 0 && !/<testsuites\b/.test(xml)) return undefined;
  const separator = " &gt; ";
  const containers = new Set<string>();
  const failedContainers = new Set<string>();
  for (const item of cases) {
    const parts = item.name.split(separator);
    for (let i = 1; i < parts.length; i++) {
      const prefix = parts.slice(0, i).join(separator);
      containers.add(prefix);
      if (item.failed) failedContainers.add(prefix);
    }
  }
  let passed = 0;
  let failed = 0;
  for (const item of cases) {
    const container = containers.has(item.name);
    if (item.failed) {
      if (!container || !failedContainers.has(item.name)) failed++;
    } else if (!container && !item.skipped) {
      passed++;
    }
  }
  return { passed, failed };
}

/**
 * Reads bun's summary: it ends with " 12 pass", " 3 skip", " 0 fail",
 * "Ran 15 tests …".
 *
 * @example
 * ```ts
 * import { countBunSummary } from "./counts.ts";
 * countBunSummary(" 12 pass\n 0 fail\nRan 12 tests"); // { passed: 12, failed: 0 }
 * ```
 */
export function countBunSummary(output: string): Counts | undefined {
  const pass = lastMatch(output, /^\s*(\d+) pass$/m);
  const fail = lastMatch(output, /^\s*(\d+) fail$/m);
  if (pass === undefined && fail === undefined) return undefined;
  return {
    passed: Number(pass?.[1] ?? 0),
    failed: Number(fail?.[1] ?? 0),
  };
}

/**
 * Reads node's counts: TAP ends with "# pass 14", "# fail 0" … (the spec
 * reporter with "ℹ pass 14"); cancelled tests count as failed. Without that
 * summary (the run was killed) it counts what the stream has so far.
 *
 * @example
 * ```ts
 * import { countNodeTap } from "./counts.ts";
 * countNodeTap("ok 1 - a\n# pass 1\n# fail 0\n"); // { passed: 1, failed: 0 }
 * ```
 */
export function countNodeTap(text: string): Counts | undefined {
  const read = (key: string): number | undefined => {
    const match = lastMatch(text, new RegExp(`^(?:#|ℹ) ${key} (\\d+)$`, "m"));
    return match === undefined ? undefined : Number(match[1]);
  };
  const pass = read("pass");
  const fail = read("fail");
  // No summary: the run was killed. Count what the TAP stream has so far.
  if (pass === undefined || fail === undefined) return countTapLeaves(text);
  return { passed: pass, failed: fail + (read("cancelled") ?? 0) };
}

/**
 * Counts the results of a partial TAP stream (a run that was killed): a
 * result line whose previous result was more deeply indented closes a
 * suite or a test with sub-tests, and is not counted.
 *
 * @example
 * ```ts
 * import { countTapLeaves } from "./counts.ts";
 * countTapLeaves("    ok 1 - leaf\nok 1 - suite\nnot ok 2 - other\n"); // { passed: 1, failed: 1 }
 * ```
 */
export function countTapLeaves(tap: string): Counts | undefined {
  let passed = 0;
  let failed = 0;
  let previousIndent = -1;
  let seen = false;
  for (const line of tap.split("\n")) {
    const match = /^( *)(ok|not ok) \d+ - .*?( # (?:SKIP|TODO)\b.*)?$/.exec(
      line,
    );
    if (match === null) continue;
    seen = true;
    const indent = match[1].length;
    const container = previousIndent > indent;
    previousIndent = indent;
    if (container || match[3] !== undefined) continue;
    if (match[2] === "ok") passed++;
    else failed++;
  }
  return seen ? { passed, failed } : undefined;
}
