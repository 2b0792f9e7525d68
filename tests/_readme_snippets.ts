// The README's code blocks and the directive that says how each one is
// tested. Every ```ts and ```html block must follow a line
//
//   <!-- test: KIND key=value key="value with spaces" -->
//
// KIND is one of:
//   run    a program that exits by itself (code 0) within the time limit;
//          `expect` is text its output must contain; `with` names a served
//          snippet that runs meanwhile
//   serve  a server, started in the background under the name `as` and
//          stopped after the snippets that run `with` it; `port` is the port
//          to wait for (8080 by default); `get` + `expect` fetch a path from it
//   page   an HTML page, loaded in Chromium from the server named `with`;
//          `expect` is text the page must log to its console
//
// The ports the README uses (8080, 3000, 6379) are replaced with free ones.

/** How a snippet is tested. */
export type SnippetKind = "run" | "serve" | "page";

/** One README code block and its directive. */
export interface Snippet {
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** `ts` or `html`. */
  readonly language: string;
  readonly kind: SnippetKind;
  /** The directive's attributes (`as`, `with`, `expect`, `get`, `port`). */
  readonly attributes: Readonly<Record<string, string>>;
  readonly code: string;
}

const DIRECTIVE =
  /^<!-- test: (run|serve|page)((?:\s+[a-z]+=(?:"[^"]*"|\S+))*)\s*-->$/;
const ATTRIBUTE = /([a-z]+)=(?:"([^"]*)"|(\S+))/g;
const TESTED_LANGUAGES = new Set(["ts", "html"]);

/**
 * Reads the README's tested code blocks. Throws, naming the line, for a
 * ```ts or ```html block without a directive and for a directive that is
 * not followed by one.
 */
export function readSnippets(markdown: string): Snippet[] {
  const lines = markdown.split("\n");
  const snippets: Snippet[] = [];
  let pending: {
    kind: SnippetKind;
    attributes: Record<string, string>;
    line: number;
  } | undefined;
  for (let index = 0; index < lines.length; index++) {
    const text = lines[index];
    if (text.startsWith("<!-- test:")) {
      const match = DIRECTIVE.exec(text);
      if (match === null) {
        throw new Error(
          `README line ${index + 1}: unreadable directive ${text}`,
        );
      }
      const attributes: Record<string, string> = {};
      for (const [, key, quoted, bare] of match[2].matchAll(ATTRIBUTE)) {
        attributes[key] = quoted ?? bare;
      }
      pending = { kind: match[1] as SnippetKind, attributes, line: index + 1 };
      continue;
    }
    const fence = /^```(\S*)$/.exec(text);
    if (fence === null) continue;
    const language = fence[1];
    const start = index;
    index++;
    while (index < lines.length && lines[index] !== "```") index++;
    if (!TESTED_LANGUAGES.has(language)) {
      if (pending) {
        throw new Error(
          `README line ${pending.line}: a directive before a \`\`\`${language} block`,
        );
      }
      continue;
    }
    if (pending === undefined) {
      throw new Error(
        `README line ${
          start + 1
        }: a \`\`\`${language} block without a <!-- test: … --> directive`,
      );
    }
    snippets.push({
      line: start + 1,
      language,
      kind: pending.kind,
      attributes: pending.attributes,
      code: lines.slice(start + 1, index).join("\n") + "\n",
    });
    pending = undefined;
  }
  if (pending) {
    throw new Error(
      `README line ${pending.line}: a directive without a code block`,
    );
  }
  return snippets;
}

/** The README's ports and the free ones that replace them in a run. */
export type PortMap = ReadonlyMap<string, number>;

/** The snippet's code with every README port replaced. */
export function withPorts(code: string, ports: PortMap): string {
  let result = code;
  for (const [from, to] of ports) result = result.replaceAll(from, String(to));
  return result;
}
