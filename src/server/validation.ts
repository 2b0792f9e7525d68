/**
 * Runtime validation of event data with any Standard Schema validator (the
 * `~standard` interface that zod, valibot, arktype and others implement).
 * anyws implements against the interface and depends on none of them.
 *
 * @module
 */

/**
 * A problem a validator found.
 *
 * @example
 * ```ts
 * import type { SchemaIssue } from "@anyws/anyws";
 * const issue: SchemaIssue = { message: "Expected string", path: ["text"] };
 * ```
 */
export interface SchemaIssue {
  /** What is wrong. */
  readonly message: string;
  /** Where, as keys from the root. */
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>;
}

/**
 * The result of a Standard Schema `validate` call.
 *
 * @example
 * ```ts
 * import type { SchemaResult } from "./validation.ts";
 * const ok: SchemaResult<number> = { value: 1 };
 * const bad: SchemaResult<number> = { issues: [{ message: "Expected number" }] };
 * ```
 */
export type SchemaResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<SchemaIssue> };

/**
 * The Standard Schema v1 interface (standardschema.dev): any object with a
 * `~standard` property of this shape.
 *
 * @example
 * ```ts
 * import type { StandardSchema } from "@anyws/anyws";
 * // A hand-written schema; zod, valibot or arktype schemas fit the same type.
 * const text: StandardSchema<unknown, string> = {
 *   "~standard": {
 *     version: 1,
 *     vendor: "example",
 *     validate: (value) =>
 *       typeof value === "string" ? { value } : { issues: [{ message: "Expected a string" }] },
 *   },
 * };
 * ```
 */
export interface StandardSchema<Input = unknown, Output = Input> {
  /** The standard properties. */
  readonly "~standard": {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (
      value: unknown,
    ) => SchemaResult<Output> | Promise<SchemaResult<Output>>;
    readonly types?:
      | { readonly input: Input; readonly output: Output }
      | undefined;
  };
}

/**
 * The type a schema produces.
 *
 * @example
 * ```ts
 * import type { SchemaOutput, StandardSchema } from "@anyws/anyws";
 * type Text = SchemaOutput<StandardSchema<unknown, string>>; // string
 * ```
 */
export type SchemaOutput<Schema extends StandardSchema> = NonNullable<
  Schema["~standard"]["types"]
>["output"];

/**
 * Event data failed its schema. The sender is told (see the README's wire
 * format); the server gets it as an `error`.
 *
 * @example
 * ```ts
 * import { ValidationError } from "@anyws/anyws";
 * const error = new ValidationError("chat", [{ message: "Expected string", path: ["text"] }]);
 * console.log(error.message); // "Invalid data for event chat: text: Expected string"
 * ```
 */
export class ValidationError extends Error {
  /** The event whose data was invalid. */
  readonly event: string;
  /** What the validator found. */
  readonly issues: ReadonlyArray<SchemaIssue>;

  /** Describes the issues of `event`'s data. */
  constructor(event: string, issues: ReadonlyArray<SchemaIssue>) {
    super(`Invalid data for event ${event}: ${describe(issues)}`);
    this.name = "ValidationError";
    this.event = event;
    this.issues = issues;
  }
}

/**
 * Wraps `handler` so it only ever sees data `schema` accepted (and as the
 * schema transformed it); otherwise it throws a {@link ValidationError}
 * (synchronously, or as a rejection for async schemas).
 *
 * @example
 * ```ts
 * import { withSchema } from "./validation.ts";
 * import { type StandardSchema } from "@anyws/anyws";
 * const text: StandardSchema<unknown, string> = {
 *   "~standard": { version: 1, vendor: "x", validate: (v) => typeof v === "string" ? { value: v } : { issues: [{ message: "Expected a string" }] } },
 * };
 * const handler = withSchema("say", text, (data: string) => data.toUpperCase());
 * console.log(handler("hi")); // "HI"
 * ```
 */
export function withSchema<Output, Rest extends unknown[], Result>(
  event: string,
  schema: StandardSchema<unknown, Output>,
  handler: (data: Output, ...rest: Rest) => Result,
): (data: unknown, ...rest: Rest) => Result | Promise<Awaited<Result>> {
  return (data, ...rest) => {
    const result = schema["~standard"].validate(data);
    const finish = (checked: SchemaResult<Output>): Result => {
      if (checked.issues !== undefined) {
        throw new ValidationError(event, checked.issues);
      }
      return handler(checked.value, ...rest);
    };
    return result instanceof Promise
      ? result.then(finish) as Promise<Awaited<Result>>
      : finish(result);
  };
}

function describe(issues: ReadonlyArray<SchemaIssue>): string {
  return issues.map((issue) => {
    const path = (issue.path ?? []).map((part) =>
      typeof part === "object" ? String(part.key) : String(part)
    ).join(".");
    return path ? `${path}: ${issue.message}` : issue.message;
  }).join("; ");
}
