// A strict parser of the text exposition formats, for tests: the Prometheus
// text format 0.0.4 and OpenMetrics 1.0 (text). It refuses whatever a
// scraper could refuse or misread, rather than skipping it: a line that is
// not HELP, TYPE, a sample (or OpenMetrics' final EOF); a name or label
// outside the grammar; a bad escape; HELP or TYPE twice, or after the
// family's samples; a sample before its TYPE; a family's samples split by
// another's; the same series twice; a counter sample not named `_total`
// (and, in OpenMetrics, a counter family named `_total`); a negative or
// non-finite counter; a missing final newline or `# EOF`.

/** One sample: its name, labels and value. */
export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** One metric family. */
export interface ParsedFamily {
  name: string;
  type: "counter" | "gauge" | "untyped";
  help: string | undefined;
  samples: ParsedSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

/**
 * Parses `text` strictly; throws an Error naming the line for anything the
 * format does not allow. Returns the families by name.
 */
export function parseExposition(
  text: string,
  format: "prometheus" | "openmetrics" = "prometheus",
): Map<string, ParsedFamily> {
  if (!text.endsWith("\n")) throw new Error("The text must end with a newline");
  const lines = text.slice(0, -1).split("\n");
  const families = new Map<string, ParsedFamily>();
  const series = new Set<string>();
  const closed = new Set<string>(); // families whose samples are over
  let current: string | undefined; // the family whose samples run now
  let sawEof = false;
  const fail = (index: number, why: string): never => {
    throw new Error(
      `line ${index + 1}: ${why}: ${JSON.stringify(lines[index])}`,
    );
  };
  const familyOf = (index: number, name: string): ParsedFamily => {
    let family = families.get(name);
    if (family === undefined) {
      family = { name, type: "untyped", help: undefined, samples: [] };
      families.set(name, family);
    }
    if (closed.has(name)) fail(index, `family ${name} continues after another`);
    if (current !== undefined && current !== name) closed.add(current);
    current = name;
    return family;
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (sawEof) fail(i, "text after # EOF");
    if (line === "") fail(i, "empty line");
    if (line === "# EOF") {
      if (format !== "openmetrics") fail(i, "# EOF outside OpenMetrics");
      sawEof = true;
      continue;
    }
    if (line.startsWith("#")) {
      const match = /^# (HELP|TYPE) ([^ ]+) (.*)$/.exec(line);
      if (match === null) fail(i, "a comment that is not HELP or TYPE");
      const [, keyword, name, rest] = match!;
      if (!METRIC_NAME.test(name)) fail(i, "invalid metric name");
      if (families.get(name)?.samples.length) {
        fail(i, `${keyword} after the samples of ${name}`);
      }
      const family = familyOf(i, name);
      if (keyword === "HELP") {
        if (family.help !== undefined) fail(i, "HELP twice");
        family.help = unescape(
          rest,
          false,
          () => fail(i, "bad escape in HELP"),
        );
      } else {
        if (family.type !== "untyped" || !TYPES.has(rest)) {
          fail(i, "TYPE twice or unknown");
        }
        if (rest !== "counter" && rest !== "gauge") fail(i, "unexpected type");
        family.type = rest as "counter" | "gauge";
        if (
          format === "openmetrics" && rest === "counter" &&
          name.endsWith("_total")
        ) {
          fail(i, "an OpenMetrics counter family named _total");
        }
      }
      continue;
    }
    const sample = parseSample(line, () => fail(i, "invalid sample"));
    const familyName = familyNameOf(sample.name, families, format);
    const family = familyOf(i, familyName);
    if (family.type === "untyped") fail(i, "a sample before its TYPE");
    if (family.type === "counter") {
      if (!sample.name.endsWith("_total")) {
        fail(i, "a counter not named _total");
      }
      if (!(Number.isFinite(sample.value) && sample.value >= 0)) {
        fail(i, "a counter that is negative or not finite");
      }
    } else if (sample.name !== familyName) {
      fail(i, "a gauge sample named apart from its family");
    }
    const key = `${sample.name}{${
      Object.entries(sample.labels).sort().map(([k, v]) => `${k}=${v}`).join()
    }}`;
    if (series.has(key)) fail(i, "the same series twice");
    series.add(key);
    family.samples.push(sample);
  }
  if (format === "openmetrics" && !sawEof) {
    throw new Error("OpenMetrics text without # EOF");
  }
  return families;
}

function familyNameOf(
  sampleName: string,
  families: Map<string, ParsedFamily>,
  format: "prometheus" | "openmetrics",
): string {
  if (format === "openmetrics" && sampleName.endsWith("_total")) {
    const base = sampleName.slice(0, -"_total".length);
    if (families.get(base)?.type === "counter") return base;
  }
  return sampleName;
}

function parseSample(line: string, fail: () => never): ParsedSample {
  const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
  if (match === null) fail();
  const [, name, labelText, valueText] = match!;
  const labels: Record<string, string> = {};
  if (labelText !== undefined) {
    let rest = labelText.slice(1, -1);
    if (rest === "") fail();
    for (;;) {
      const label = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(rest);
      if (label === null || !LABEL_NAME.test(label[1])) fail();
      const labelName = label![1];
      if (labelName.startsWith("__") || labelName in labels) fail();
      rest = rest.slice(label![0].length);
      let value = "";
      let j = 0;
      for (; j < rest.length && rest[j] !== '"'; j++) {
        if (rest[j] === "\\") {
          const next = rest[++j];
          if (next === "\\") value += "\\";
          else if (next === '"') value += '"';
          else if (next === "n") value += "\n";
          else fail();
        } else value += rest[j];
      }
      if (j >= rest.length) fail();
      labels[labelName] = value;
      rest = rest.slice(j + 1);
      if (rest === "") break;
      if (!rest.startsWith(",")) fail();
      rest = rest.slice(1);
    }
  }
  const value = parseValue(valueText, fail);
  return { name, labels, value };
}

function parseValue(text: string, fail: () => never): number {
  if (text === "NaN") return NaN;
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text)) fail();
  return Number(text);
}

function unescape(text: string, quotes: boolean, fail: () => never): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== "\\") {
      out += text[i];
      continue;
    }
    const next = text[++i];
    if (next === "\\") out += "\\";
    else if (next === "n") out += "\n";
    else if (quotes && next === '"') out += '"';
    else fail();
  }
  return out;
}

/** The value of the one sample of `family` whose labels include `labels`. */
export function sampleValue(
  families: Map<string, ParsedFamily>,
  family: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = families.get(family)?.samples.filter((sample) =>
    Object.entries(labels).every(([k, v]) => sample.labels[k] === v)
  );
  if (found === undefined || found.length === 0) return undefined;
  if (found.length > 1) throw new Error(`${family}: several samples match`);
  return found[0].value;
}
