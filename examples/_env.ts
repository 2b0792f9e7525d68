/**
 * Reads an environment variable on Deno, Bun and Node alike.
 *
 * @module
 */

type EnvHost = {
  Deno?: { env: { get(name: string): string | undefined } };
  process?: { env: Record<string, string | undefined> };
};

/**
 * The value of environment variable `name`, or `fallback`.
 *
 * @example
 * ```ts
 * import { env } from "./_env.ts";
 * const port = Number(env("PORT", "8080"));
 * ```
 */
export function env(name: string, fallback: string): string {
  const host = globalThis as unknown as EnvHost;
  const value = host.Deno ? host.Deno.env.get(name) : host.process?.env[name];
  return value === undefined || value === "" ? fallback : value;
}

/**
 * The command-line arguments after the script, on every runtime.
 *
 * @example
 * ```ts
 * import { args } from "./_env.ts";
 * const [first] = args();
 * ```
 */
export function args(): string[] {
  const host = globalThis as unknown as {
    Deno?: { args: string[] };
    process?: { argv: string[] };
  };
  return host.Deno ? host.Deno.args : host.process?.argv.slice(2) ?? [];
}
