/**
 * The chat's assistant: a client of any OpenAI-compatible chat-completions
 * HTTP API (Larafony's ChatMessageListener, without its blocking call).
 *
 * It reads `OPENAI_API_KEY`, `OPENAI_BASE_URL` (default
 * `https://api.openai.com/v1`) and `OPENAI_MODEL` (default `gpt-4o-mini`)
 * from the environment unless they are given. {@link Assistant.ask} never
 * rejects: a missing key, a timeout, a network failure or an HTTP error all
 * come back as a reply with `ok: false` and a text meant for the chat.
 *
 * @module
 */

import { env } from "../_env.ts";

/**
 * Where requests go when `OPENAI_BASE_URL` is not set.
 *
 * @example
 * ```ts
 * import { DEFAULT_BASE_URL } from "./assistant.ts";
 * console.log(`${DEFAULT_BASE_URL}/chat/completions`);
 * ```
 */
export const DEFAULT_BASE_URL = "https://api.openai.com/v1";

/**
 * The model asked when `OPENAI_MODEL` is not set.
 *
 * @example
 * ```ts
 * import { DEFAULT_MODEL } from "./assistant.ts";
 * console.log(DEFAULT_MODEL); // "gpt-4o-mini"
 * ```
 */
export const DEFAULT_MODEL = "gpt-4o-mini";

/**
 * How long one answer may take, in ms, before the call is abandoned.
 *
 * @example
 * ```ts
 * import { Assistant, DEFAULT_TIMEOUT } from "./assistant.ts";
 * const patient = new Assistant({ timeout: 2 * DEFAULT_TIMEOUT });
 * ```
 */
export const DEFAULT_TIMEOUT = 30_000;

/** Longest question passed on, in characters (the rest is cut). */
const MAX_PROMPT = 4_000;
/** Longest answer shown in the chat, in characters. */
const MAX_ANSWER = 8_000;

/**
 * Options of an {@link Assistant}; each one left out is read from the
 * environment, then defaulted.
 *
 * @example
 * ```ts
 * import type { AssistantOptions } from "./assistant.ts";
 * const options: AssistantOptions = {
 *   apiKey: "sk-test",
 *   baseUrl: "http://127.0.0.1:9999/v1",
 *   model: "tiny",
 *   timeout: 5_000,
 * };
 * ```
 */
export interface AssistantOptions {
  /** Bearer token; default `OPENAI_API_KEY`. Empty: the assistant is not configured. */
  apiKey?: string;
  /** API root, without `/chat/completions`; default `OPENAI_BASE_URL` or {@link DEFAULT_BASE_URL}. */
  baseUrl?: string;
  /** Model name; default `OPENAI_MODEL` or {@link DEFAULT_MODEL}. */
  model?: string;
  /** Time allowed for one answer, in ms; default {@link DEFAULT_TIMEOUT}. */
  timeout?: number;
  /** The `fetch` to use (tests); default the global one. */
  fetch?: typeof fetch;
}

/**
 * What the assistant says: the answer, or (with `ok: false`) why there is
 * none, written for the person who asked.
 *
 * @example
 * ```ts
 * import type { AssistantReply } from "./assistant.ts";
 * const reply: AssistantReply = { ok: false, text: "The assistant is not configured" };
 * ```
 */
export interface AssistantReply {
  /** Whether `text` is the model's answer. */
  readonly ok: boolean;
  /** The answer, or the explanation of the failure. */
  readonly text: string;
}

/**
 * Who asks and where, so the model knows the setting.
 *
 * @example
 * ```ts
 * import type { AskContext } from "./assistant.ts";
 * const context: AskContext = { nick: "ada", room: "lobby" };
 * ```
 */
export interface AskContext {
  /** The asker's nickname. */
  nick?: string;
  /** The room the question was asked in. */
  room?: string;
}

/**
 * The text the assistant answers with when no API key is set.
 *
 * @example
 * ```ts
 * import { NOT_CONFIGURED } from "./assistant.ts";
 * console.log(NOT_CONFIGURED.includes("OPENAI_API_KEY")); // true
 * ```
 */
export const NOT_CONFIGURED =
  "I am not configured yet. Start the server with OPENAI_API_KEY set " +
  "(optionally OPENAI_BASE_URL for any OpenAI-compatible API and " +
  "OPENAI_MODEL, default gpt-4o-mini), for example: " +
  "OPENAI_API_KEY=sk-... npm start";

/**
 * Removes the leading `@assistant` (any case) and the separators after it.
 *
 * @example
 * ```ts
 * import { stripMention } from "./assistant.ts";
 * console.log(stripMention("@assistant, what is 2+2?")); // "what is 2+2?"
 * ```
 */
export function stripMention(text: string): string {
  return text.replace(/^\s*@assistant\b[\s,:;!?.-]*/i, "").trim();
}

/**
 * Whether a chat message is addressed to the assistant: it starts with
 * `@assistant`.
 *
 * @example
 * ```ts
 * import { mentionsAssistant } from "./assistant.ts";
 * console.log(mentionsAssistant("@assistant hello")); // true
 * console.log(mentionsAssistant("hello @assistant")); // false
 * ```
 */
export function mentionsAssistant(text: string): boolean {
  return /^\s*@assistant\b/i.test(text);
}

/**
 * An OpenAI-compatible chat-completions client whose every outcome is a
 * chat message.
 *
 * @example
 * ```ts
 * import { Assistant } from "./assistant.ts";
 * const assistant = new Assistant({ apiKey: "" });
 * const reply = await assistant.ask("hello");
 * console.log(reply.ok, reply.text); // false "I am not configured yet. ..."
 * ```
 */
export class Assistant {
  /** The API root, e.g. `https://api.openai.com/v1`. */
  readonly baseUrl: string;
  /** The model asked. */
  readonly model: string;
  /** Time allowed for one answer, in ms. */
  readonly timeout: number;
  #apiKey: string;
  #fetch: typeof fetch;

  /** Options left out are read from the environment. */
  constructor(options: AssistantOptions = {}) {
    this.#apiKey = options.apiKey ?? env("OPENAI_API_KEY", "");
    this.baseUrl = (options.baseUrl ?? env("OPENAI_BASE_URL", DEFAULT_BASE_URL))
      .replace(/\/+$/, "");
    this.model = options.model ?? env("OPENAI_MODEL", DEFAULT_MODEL);
    this.timeout = options.timeout ?? DEFAULT_TIMEOUT;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** Whether an API key is set. */
  get configured(): boolean {
    return this.#apiKey !== "";
  }

  /**
   * Asks the model `question`; resolves with its answer or, when anything
   * goes wrong, with a reply explaining what (never rejects).
   */
  async ask(
    question: string,
    context: AskContext = {},
  ): Promise<AssistantReply> {
    if (!this.configured) return { ok: false, text: NOT_CONFIGURED };
    const prompt = question.trim().slice(0, MAX_PROMPT);
    if (prompt === "") {
      return { ok: false, text: "Ask me something after @assistant" };
    }
    const url = `${this.baseUrl}/chat/completions`;
    const where = context.room ? ` in the chat room "${context.room}"` : "";
    const who = context.nick ? ` The user's nickname is ${context.nick}.` : "";
    let response: Response;
    try {
      response = await this.#fetch(url, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          Authorization: `Bearer ${this.#apiKey}`,
        },
        body: JSON.stringify({
          model: this.model,
          messages: [
            {
              role: "system",
              content:
                `You are a helpful assistant${where}. Answer briefly, in plain text.${who}`,
            },
            { role: "user", content: prompt },
          ],
        }),
        signal: AbortSignal.timeout(this.timeout),
      });
    } catch (error) {
      return { ok: false, text: this.#describeFailure(error) };
    }
    let body: unknown;
    try {
      const text = await response.text();
      body = text === "" ? undefined : JSON.parse(text);
    } catch (error) {
      if (isTimeout(error)) {
        return { ok: false, text: this.#describeFailure(error) };
      }
      body = undefined;
    }
    if (!response.ok) {
      const detail = apiErrorMessage(body);
      return {
        ok: false,
        text: `The assistant could not answer: HTTP ${response.status}${
          response.statusText ? ` ${response.statusText}` : ""
        }${detail ? `: ${detail}` : ""}`,
      };
    }
    const answer = contentOf(body);
    if (answer === undefined) {
      return {
        ok: false,
        text: "The assistant could not answer: the API sent no message",
      };
    }
    return { ok: true, text: answer.trim().slice(0, MAX_ANSWER) };
  }

  #describeFailure(error: unknown): string {
    if (isTimeout(error)) {
      return `The assistant did not answer within ${
        Math.round(this.timeout / 100) / 10
      } s`;
    }
    const message = error instanceof Error ? error.message : String(error);
    return `The assistant could not reach ${this.baseUrl}: ${message}`;
  }
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error &&
    (error.name === "TimeoutError" || error.name === "AbortError");
}

/** `choices[0].message.content` of a chat-completions answer, if a string. */
function contentOf(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const choices = (body as { choices?: unknown }).choices;
  if (!Array.isArray(choices) || choices.length === 0) return undefined;
  const message = (choices[0] as { message?: { content?: unknown } } | null)
    ?.message;
  const content = message?.content;
  return typeof content === "string" ? content : undefined;
}

/** `error.message` of an OpenAI-style error body, shortened. */
function apiErrorMessage(body: unknown): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const error = (body as { error?: unknown }).error;
  const message = typeof error === "string"
    ? error
    : typeof error === "object" && error !== null
    ? (error as { message?: unknown }).message
    : undefined;
  return typeof message === "string" && message !== ""
    ? message.slice(0, 200)
    : undefined;
}
