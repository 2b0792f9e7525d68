/**
 * The rows of the report: per case, runtime and native peer, the medians
 * of anyws and of that peer over the passes, their ratios, and whether the
 * case's target is met. A runtime with two peers (Node: ws, ws+bufferutil)
 * has two rows per case, with the same anyws figures.
 *
 * @module
 */

import type { CaseDef, CaseId } from "./case_model.ts";
import { median } from "./median.ts";
import type { Sample } from "./sample.ts";
import {
  type PeerDef,
  peerOf,
  type Runtime,
  serverCommand,
} from "./servers.ts";

/**
 * The medians of one server on one case; `na` when the server cannot run
 * it (and was not run); `extension` the permessage-deflate answer its
 * samples saw (compression cases).
 *
 * @example
 * ```ts
 * import type { Summary } from "./rows.ts";
 * const summary: Summary = { metrics: { held: 19_900 }, ok: 3, errors: [] };
 * ```
 */
export interface Summary {
  metrics: Record<string, number>;
  ok: number;
  errors: string[];
  na?: string;
  extension?: string | null;
}

/**
 * The medians of the samples without an error, and the errors of the
 * others (any samples with `metrics` and `error`: those of `npm run
 * bench:client` too).
 *
 * @example
 * ```ts
 * import { summarise } from "./rows.ts";
 * import type { Sample } from "./sample.ts";
 * const ofServer = (samples: Sample[]) => summarise(samples).metrics;
 * ```
 */
export function summarise(
  samples: ReadonlyArray<
    Pick<Sample, "metrics" | "error"> & Partial<Pick<Sample, "client">>
  >,
): Summary {
  const good = samples.filter((s) => s.error === null);
  const keys = new Set(good.flatMap((s) => Object.keys(s.metrics)));
  const metrics: Record<string, number> = {};
  for (const key of keys) {
    const value = median(
      good.map((s) => s.metrics[key]).filter((v) => v !== undefined),
    );
    if (value !== null) metrics[key] = value;
  }
  const summary: Summary = {
    metrics,
    ok: good.length,
    errors: samples.flatMap((s) => s.error === null ? [] : [s.error]),
  };
  const answers = samples.map((s) => s.client?.extension).filter((e) =>
    e !== undefined
  );
  if (answers.length > 0) {
    summary.extension = answers.find((e) => typeof e === "string") as
      | string
      | undefined ?? null;
  }
  return summary;
}

/**
 * One row of the results: one case on one runtime against one native peer.
 *
 * @example
 * ```ts
 * import type { Row } from "./rows.ts";
 * const met = (row: Row): boolean => row.target.met === true;
 * ```
 */
export interface Row {
  case: CaseId;
  runtime: Runtime;
  /** The native peer of this row (servers.ts `PeerDef.id`). */
  peer: string;
  anyws: Summary;
  native: Summary;
  /** anyws/native for every metric both have. */
  ratios: Record<string, number>;
  target: {
    metric: string;
    kind: "ratio" | "absolute" | "delta";
    op: ">=" | "<=";
    /** `null`: no target on this runtime. */
    value: number | null;
    /** A metric of anyws that must also be 0 (absolute targets). */
    zero?: string;
    /** Delta targets: the case subtracted, and anyws's figure there. */
    baseline?: CaseId;
    baselineValue?: number | null;
    /**
     * The figure compared with the target: the ratio, anyws's value, or
     * anyws's value less the baseline's.
     */
    actual: number | null;
    /**
     * The anyws figure the target amounts to (absolute and delta
     * targets), for the chart; `null` for ratios.
     */
    limit: number | null;
    met: boolean | null;
  };
}

function samplesOf(
  samples: Sample[],
  caseId: CaseId,
  runtime: Runtime,
  peer: PeerDef | null,
): Sample[] {
  return samples.filter((s) =>
    s.case === caseId && s.runtime === runtime &&
    (peer === null
      ? s.impl === "anyws"
      : s.impl === "native" && peerOf(runtime, s.peer).id === peer.id)
  );
}

/**
 * The row of one case on one runtime against one of its peers, from every
 * sample of the run.
 *
 * @example
 * ```ts
 * import { CASES } from "./cases.ts";
 * import { buildRow } from "./rows.ts";
 * import type { Sample } from "./sample.ts";
 * import { RUNTIME_DEFS } from "./servers.ts";
 * const vsBufferutil = (samples: Sample[]) =>
 *   buildRow(CASES.echo16k, "node", RUNTIME_DEFS.node.peers[1], samples);
 * ```
 */
export function buildRow(
  caseDef: CaseDef,
  runtime: Runtime,
  peer: PeerDef,
  samples: Sample[],
): Row {
  const anyws = summarise(samplesOf(samples, caseDef.id, runtime, null));
  const how = serverCommand(
    runtime,
    "native",
    peer.id,
    caseDef.deflate?.anyws ?? null,
  );
  const native: Summary = "unsupported" in how
    ? { metrics: {}, ok: 0, errors: [], na: how.unsupported }
    : summarise(samplesOf(samples, caseDef.id, runtime, peer));
  const ratios: Record<string, number> = {};
  for (const [key, value] of Object.entries(anyws.metrics)) {
    const base = native.metrics[key];
    if (base !== undefined && base > 0) ratios[key] = value / base;
  }
  const t = caseDef.target;
  const value = t.values[runtime];
  const mine = anyws.metrics[t.metric] ?? null;
  let actual: number | null = null;
  let limit: number | null = null;
  let baselineValue: number | null | undefined;
  if (t.kind === "ratio") {
    actual = ratios[t.metric] ?? null;
  } else if (t.kind === "absolute") {
    actual = mine;
    limit = value;
  } else {
    const base = t.baseline === undefined
      ? null
      : summarise(samplesOf(samples, t.baseline, runtime, null))
        .metrics[t.metric] ?? null;
    baselineValue = base;
    actual = mine !== null && base !== null ? mine - base : null;
    limit = base !== null && value !== null ? base + value : null;
  }
  let met: boolean | null = null;
  if (actual !== null && value !== null) {
    met = t.op === ">=" ? actual >= value : actual <= value;
    if (t.zero !== undefined && (anyws.metrics[t.zero] ?? 1) !== 0) {
      met = false;
    }
  }
  return {
    case: caseDef.id,
    runtime,
    peer: peer.id,
    anyws,
    native,
    ratios,
    target: {
      metric: t.metric,
      kind: t.kind,
      op: t.op,
      value,
      zero: t.zero,
      ...(t.kind === "delta" ? { baseline: t.baseline, baselineValue } : {}),
      actual,
      limit,
      met,
    },
  };
}
