/**
 * Layering check: the source tree's layers may only import downwards, and
 * the pure protocol core keeps no state at module level. It reads the real
 * import statements (TypeScript's parser), not words.
 *
 * The layers under `src/`, and what each may import besides itself:
 *
 * | layer      | may import                               |
 * | ---------- | ---------------------------------------- |
 * | `shared`   | nothing (the `Clock`, `Membership`)      |
 * | `protocol` | nothing (pure RFC 6455/7692 + HTTP head) |
 * | `events`   | `shared`, `protocol`                       |
 * | `driver`   | `shared`, `protocol`                       |
 * | `cluster`  | `shared`, `protocol`, `events`             |
 * | `server`   | `shared`, `protocol`, `driver`, `events`, `cluster` |
 * | `client`   | `shared`, `protocol`, `driver`, `events`   |
 *
 * Nothing under `src/` imports `engines/`, `cli/` or anything outside the
 * repository but type-only `npm:` or bare specifiers named in
 * {@link ALLOWED_PACKAGES} (none today). Under `src/protocol/`, a top-level
 * `let` or `var`, or a top-level `const` holding a mutable object (an
 * object or array literal not wrapped in `Object.freeze`, a `Map`, `Set` or
 * typed array) is module-level state and is refused; a typed array used as
 * scratch space within one call is allowed when the line before it says
 * `// Scratch:`.
 *
 * ```sh
 * node scripts/check_layers.ts        # prints violations, exits 1 if any
 * ```
 *
 * @module
 */

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative, sep } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");

/** What each layer under `src/` may import (itself always). */
export const LAYERS: Readonly<Record<string, readonly string[]>> = Object
  .freeze({
    shared: [],
    protocol: [],
    events: ["shared", "protocol"],
    driver: ["shared", "protocol"],
    cluster: ["shared", "protocol", "events"],
    server: ["shared", "protocol", "driver", "events", "cluster"],
    client: ["shared", "protocol", "driver", "events"],
  });

/** Packages code under `src/` may import by name (none: the core has no dependencies). */
export const ALLOWED_PACKAGES: ReadonlySet<string> = new Set();

const MUTABLE_CONSTRUCTORS = new Set([
  "Array",
  "ArrayBuffer",
  "DataView",
  "Map",
  "Set",
  "WeakMap",
  "WeakSet",
  "Uint8Array",
  "Uint8ClampedArray",
  "Uint16Array",
  "Uint32Array",
  "Int8Array",
  "Int16Array",
  "Int32Array",
  "Float32Array",
  "Float64Array",
  "BigInt64Array",
  "BigUint64Array",
]);

/**
 * One rule broken, found by {@link checkFile}.
 *
 * @example
 * ```ts
 * import type { LayerViolation } from "./check_layers.ts";
 * const show = (v: LayerViolation): string => `${v.file}:${v.line}: ${v.reason}`;
 * ```
 */
export interface LayerViolation {
  /** The file, relative to the repository root. */
  file: string;
  /** 1-based line. */
  line: number;
  /** What is wrong. */
  reason: string;
}

/** The module specifiers a source text imports or re-exports, with their lines. */
export function importsOf(
  text: string,
  fileName = "file.ts",
): Array<{ specifier: string; line: number; typeOnly: boolean }> {
  const source = ts.createSourceFile(
    fileName,
    text,
    ts.ScriptTarget.Latest,
    true,
  );
  const found: Array<{ specifier: string; line: number; typeOnly: boolean }> =
    [];
  const add = (node: ts.Node, specifier: ts.Expression, typeOnly: boolean) => {
    if (!ts.isStringLiteralLike(specifier)) return;
    const line = source.getLineAndCharacterOfPosition(node.getStart()).line +
      1;
    found.push({ specifier: specifier.text, line, typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      add(node, node.moduleSpecifier, node.importClause?.isTypeOnly ?? false);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      add(node, node.moduleSpecifier, node.isTypeOnly);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments.length > 0
    ) {
      add(node, node.arguments[0], false);
    } else if (
      ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)
    ) {
      add(node, node.argument.literal as ts.Expression, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The layer of a repository path: `src/<layer>/…`, or `engines`, `cli`, … */
function layerOf(path: string): string {
  const parts = path.split(sep);
  return parts[0] === "src" ? parts[1] : parts[0];
}

/**
 * Top-level declarations of `text` that hold module-level state (see the
 * module documentation), as violations of `file`.
 */
export function moduleStateOf(text: string, file: string): LayerViolation[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: LayerViolation[] = [];
  const lines = text.split("\n");
  for (const statement of source.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    const line = source.getLineAndCharacterOfPosition(statement.getStart())
      .line + 1;
    const flags = statement.declarationList.flags;
    if (!(flags & ts.NodeFlags.Const)) {
      found.push({
        file,
        line,
        reason:
          "module-level `let`/`var`: state shared by every user of the module",
      });
      continue;
    }
    for (const declaration of statement.declarationList.declarations) {
      const init = declaration.initializer;
      if (init === undefined) continue;
      const kind = mutableKind(unwrap(init));
      if (kind === undefined) continue;
      const scratch = /\/\/\s*Scratch:/.test(commentAbove(lines, line));
      if (scratch && kind.startsWith("typed")) continue;
      found.push({
        file,
        line,
        reason: `module-level mutable ${kind.replace("typed ", "")} \`${
          declaration.name.getText(source)
        }\` (freeze it, or keep it in an object)`,
      });
    }
  }
  return found;
}

/** The `//` comment lines right above line `line` (1-based), joined. */
function commentAbove(lines: readonly string[], line: number): string {
  const above: string[] = [];
  for (let i = line - 2; i >= 0 && /^\s*\/\//.test(lines[i]); i--) {
    above.unshift(lines[i]);
  }
  return above.join("\n");
}

/** Strips `as`, `satisfies`, `!` and parentheses. */
function unwrap(node: ts.Expression): ts.Expression {
  while (
    ts.isAsExpression(node) || ts.isSatisfiesExpression(node) ||
    ts.isParenthesizedExpression(node) || ts.isNonNullExpression(node)
  ) node = node.expression;
  return node;
}

/** What mutable thing an initializer builds, or `undefined`. */
function mutableKind(node: ts.Expression): string | undefined {
  if (ts.isObjectLiteralExpression(node)) return "object";
  if (ts.isArrayLiteralExpression(node)) return "array";
  if (ts.isCallExpression(node)) {
    const callee = node.expression;
    if (
      ts.isPropertyAccessExpression(callee) &&
      callee.expression.getText() === "Object" &&
      callee.name.text === "freeze"
    ) return undefined;
    // new X(...).fill(...) and the like: judged by the receiver.
    if (ts.isPropertyAccessExpression(callee)) {
      return mutableKind(unwrap(callee.expression));
    }
    return undefined;
  }
  if (ts.isNewExpression(node) && ts.isIdentifier(node.expression)) {
    const name = node.expression.text;
    if (!MUTABLE_CONSTRUCTORS.has(name)) return undefined;
    const args = node.arguments ?? [];
    // A zero-length typed array cannot hold anything.
    if (
      name.endsWith("Array") && name !== "Array" && args.length === 1 &&
      args[0].getText() === "0"
    ) return undefined;
    return name.endsWith("Array") && name !== "Array" ? `typed ${name}` : name;
  }
  return undefined;
}

/** Every rule `file` (a path relative to the root) breaks. */
export function checkFile(file: string, text: string): LayerViolation[] {
  const found: LayerViolation[] = [];
  const layer = layerOf(file);
  const allowed = LAYERS[layer];
  for (const { specifier, line } of importsOf(text, file)) {
    if (!specifier.startsWith(".")) {
      if (!ALLOWED_PACKAGES.has(specifier)) {
        found.push({ file, line, reason: `imports a package: ${specifier}` });
      }
      continue;
    }
    const target = normalize(join(dirname(file), specifier));
    if (target.startsWith("..")) {
      found.push({
        file,
        line,
        reason: `imports outside the repository: ${specifier}`,
      });
      continue;
    }
    const targetLayer = layerOf(target);
    if (!target.startsWith(`src${sep}`)) {
      found.push({
        file,
        line,
        reason:
          `src/ imports ${targetLayer}/ (${specifier}): the layers below the entry points never import it`,
      });
      continue;
    }
    if (targetLayer === layer) continue;
    if (allowed === undefined) {
      found.push({ file, line, reason: `unknown layer src/${layer}/` });
    } else if (!allowed.includes(targetLayer)) {
      found.push({
        file,
        line,
        reason:
          `src/${layer}/ may not import src/${targetLayer}/ (${specifier})`,
      });
    }
  }
  if (layer === "protocol") found.push(...moduleStateOf(text, file));
  return found;
}

function listTs(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)))
    .sort();
}

function main(): number {
  const files = listTs("src");
  const violations: LayerViolation[] = [];
  for (const file of files) {
    violations.push(...checkFile(file, readFileSync(join(ROOT, file), "utf8")));
  }
  for (const v of violations) console.log(`${v.file}:${v.line}: ${v.reason}`);
  if (violations.length > 0) {
    console.log(`layers: ${violations.length} violation(s)`);
    return 1;
  }
  console.log(`layers: ${files.length} files under src/ follow the layering`);
  return 0;
}

if (import.meta.main) process.exitCode = main();
