// How the benchmark tests run a benchmark through npm with --dry-run: in
// an environment without the npm_* variables of an enclosing npm run,
// with the pinned toolchain first on the PATH, reading back the settings
// the dry run prints.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The environment without the npm_* variables of an enclosing npm run. */
function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^npm_/i.test(name)) env[name] = value;
  }
  env.PATH = `${join(ROOT, "node_modules", ".bin")}:${env.PATH ?? ""}`;
  return env;
}

/**
 * Runs `npm --silent ARGS` (which must end in a --dry-run) in the
 * repository and returns the settings the dry run printed, or the output
 * that says why there are none.
 */
export function npmDryRun(
  args: readonly string[],
): { settings: Record<string, unknown> } | { failure: string } {
  const result = spawnSync("npm", ["--silent", ...args], {
    cwd: ROOT,
    env: cleanEnv(),
    encoding: "utf8",
    timeout: 30_000,
  });
  const json = /nothing measured: (\{.*\})$/m.exec(result.stdout ?? "")?.[1];
  if (result.status !== 0 || json === undefined) {
    return {
      failure: `exit ${result.status}: ${result.stdout}${result.stderr}`,
    };
  }
  return { settings: JSON.parse(json) };
}
