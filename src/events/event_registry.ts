/**
 * Handlers per event name, with unsubscribe functions and error isolation:
 * a handler that throws or rejects is reported, never propagated.
 *
 * @module
 */

/**
 * Any event handler: the event's payload first, then context (usually the
 * connection).
 */
// deno-lint-ignore no-explicit-any
export type AnyHandler = (...args: any[]) => unknown;

/**
 * Handlers per event name. `emit` calls them in registration order; a
 * throwing or rejecting handler is passed to `onFailure` and the others still
 * run.
 *
 * @example
 * ```ts
 * import { EventRegistry } from "./event_registry.ts";
 * const events = new EventRegistry((error) => console.error(error));
 * const off = events.on("greet", (name: string) => console.log(`hi ${name}`));
 * events.emit("greet", "ada");
 * events.dispatch("greet", "bob", undefined); // the two-argument fast path
 * off();
 * console.log(events.has("greet")); // false
 * ```
 */
export class EventRegistry {
  #handlers = new Map<string, AnyHandler[]>();
  #onFailure: (error: unknown, event: string, args: unknown[]) => void;

  /** `onFailure` receives what a handler threw or rejected with, the event and the arguments the handler was called with. */
  constructor(
    onFailure: (error: unknown, event: string, args: unknown[]) => void,
  ) {
    this.#onFailure = onFailure;
  }

  /** Adds a handler; returns a function that removes it again. */
  on(event: string, handler: AnyHandler): () => void {
    if (typeof handler !== "function") {
      throw new TypeError(`Handler for ${event} is not a function`);
    }
    // Copy on write: emit may iterate the old array while handlers change.
    const list = [...(this.#handlers.get(event) ?? []), handler];
    this.#handlers.set(event, list);
    return () => this.off(event, handler);
  }

  /** Removes one registration of `handler`; returns whether it was found. */
  off(event: string, handler: AnyHandler): boolean {
    const list = this.#handlers.get(event);
    if (!list) return false;
    const index = list.indexOf(handler);
    if (index < 0) return false;
    const next = list.filter((_, i) => i !== index);
    if (next.length === 0) this.#handlers.delete(event);
    else this.#handlers.set(event, next);
    return true;
  }

  /** Whether at least one handler listens to `event`. */
  has(event: string): boolean {
    return this.#handlers.has(event);
  }

  /** The handlers of `event`, in registration order (a snapshot). */
  handlers(event: string): readonly AnyHandler[] {
    return this.#handlers.get(event) ?? [];
  }

  /** How many event names have handlers. */
  get size(): number {
    return this.#handlers.size;
  }

  /**
   * Calls every handler of `event` with `args`. Returns the value of the last
   * handler (used for acknowledgements), or `undefined` when there is none.
   */
  emit(event: string, ...args: unknown[]): unknown {
    const list = this.#handlers.get(event);
    if (list === undefined) return undefined;
    let result: unknown;
    for (let i = 0; i < list.length; i++) {
      try {
        result = list[i](...args);
      } catch (error) {
        this.#onFailure(error, event, args);
        result = undefined;
        continue;
      }
      if (isPromiseLike(result)) this.#watch(result, event, args);
    }
    return result;
  }

  /**
   * {@link emit} with exactly two arguments, the payload and its context
   * (the connection), without building an argument array for each call:
   * the path every message of a server takes.
   */
  dispatch(event: string, payload: unknown, context: unknown): unknown {
    const list = this.#handlers.get(event);
    if (list === undefined) return undefined;
    let result: unknown;
    for (let i = 0; i < list.length; i++) {
      try {
        result = list[i](payload, context);
      } catch (error) {
        this.#onFailure(error, event, [payload, context]);
        result = undefined;
        continue;
      }
      if (isPromiseLike(result)) this.#watch(result, event, [payload, context]);
    }
    return result;
  }

  #watch(result: PromiseLike<unknown>, event: string, args: unknown[]): void {
    result.then(undefined, (error) => this.#onFailure(error, event, args));
  }
}

/**
 * Whether `value` is a thenable.
 *
 * @example
 * ```ts
 * import { isPromiseLike } from "./event_registry.ts";
 * isPromiseLike(Promise.resolve(1)); // true
 * isPromiseLike(1); // false
 * ```
 */
export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null &&
    typeof (value as { then?: unknown }).then === "function";
}
