/**
 * Purity check: code under `src/` must run unchanged on Deno, Bun and Node,
 * so it may not mention `Deno`, `Bun`, `process` or `Buffer` (not even in a
 * comment) nor import a Node built-in (`node:*`, or a bare `fs`, `net` …).
 *
 * Run it with `node scripts/check_purity.ts [dir]` (default `src`). It
 * prints one line per violation and exits 1 if there is any.
 *
 * @module
 */

import { readdir, readFile } from "node:fs/promises";
import { builtinModules } from "node:module";
import { join, relative } from "node:path";
import process from "node:process";

/**
 * One forbidden mention found by {@link findImpurities}.
 *
 * @example
 * ```ts
 * import type { Impurity } from "./check_purity.ts";
 * const show = (i: Impurity): string => `${i.line}:${i.column}: ${i.reason}`;
 * ```
 */
export interface Impurity {
  /** 1-based line number. */
  line: number;
  /** 1-based column of the offending text. */
  column: number;
  /** What was found, such as ``Mentions `process` ``. */
  reason: string;
}

// Whole words only: `ArrayBuffer`, `Bundle` and `processor` are fine.
const WORDS = /\b(Deno|Bun|process|Buffer)\b/g;
const NODE_SCHEME = /\bnode:[A-Za-z_]/g;
const SPECIFIER =
  /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)["'`]([^"'`]+)["'`]/g;
const BUILTINS: ReadonlySet<string> = new Set(
  builtinModules.filter((name) => !name.startsWith("_")),
);

/**
 * Lists every forbidden mention in one source text, in order.
 *
 * @example
 * ```ts
 * import { findImpurities } from "./check_purity.ts";
 * findImpurities('import net from "node:net";');
 * // [{ line: 1, column: 17, reason: "Imports a Node built-in: node:net" }]
 * ```
 */
export function findImpurities(text: string): Impurity[] {
  const found: Impurity[] = [];
  const lines = text.split("\n");
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index];
    const hits: Impurity[] = [];
    for (const match of line.matchAll(WORDS)) {
      hits.push({
        line: index + 1,
        column: match.index + 1,
        reason: `Mentions \`${match[1]}\``,
      });
    }
    for (const match of line.matchAll(NODE_SCHEME)) {
      const name = /^node:[\w/]+/.exec(line.slice(match.index))?.[0] ?? "node:";
      hits.push({
        line: index + 1,
        column: match.index + 1,
        reason: `Imports a Node built-in: ${name}`,
      });
    }
    for (const match of line.matchAll(SPECIFIER)) {
      const specifier = match[1];
      if (specifier.startsWith("node:")) continue; // Reported above.
      if (!BUILTINS.has(specifier) && !BUILTINS.has(specifier.split("/")[0])) {
        continue;
      }
      hits.push({
        line: index + 1,
        column: match.index + match[0].indexOf(specifier) + 1,
        reason: `Imports a Node built-in: ${specifier}`,
      });
    }
    hits.sort((a, b) => a.column - b.column);
    found.push(...hits);
  }
  return found;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

async function main(dir: string): Promise<number> {
  let files: string[];
  try {
    files = await listFiles(dir);
  } catch (error) {
    console.error(`Cannot read ${dir}: ${(error as Error).message}`);
    return 1;
  }
  let count = 0;
  for (const file of files) {
    const text = await readFile(file, "utf8");
    for (const impurity of findImpurities(text)) {
      count++;
      const where = `${
        relative(".", file)
      }:${impurity.line}:${impurity.column}`;
      console.log(`${where}: ${impurity.reason}`);
    }
  }
  if (count > 0) {
    console.log(
      `purity: ${count} violation(s) in ${dir}/: code there must not mention ` +
        "Deno, Bun, process or Buffer, nor import node:*",
    );
    return 1;
  }
  if (files.length === 0) {
    console.log(`purity: no files under ${dir}/`);
    return 1;
  }
  console.log(`purity: ${files.length} files under ${dir}/ are clean`);
  return 0;
}

if (import.meta.main) {
  process.exitCode = await main(process.argv[2] ?? "src");
}
