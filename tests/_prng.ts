// A small seeded PRNG (mulberry32) so randomized tests are reproducible:
// a failure prints its seed, and the same seed replays the same case.

/** A seeded pseudo-random generator. */
export interface Prng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max] (inclusive). */
  int(min: number, max: number): number;
  /** `n` random bytes. */
  bytes(n: number): Uint8Array;
  /** One element of `items`. */
  pick<T>(items: readonly T[]): T;
}

/**
 * mulberry32 by Tommy Ettinger: 32-bit state, good enough for test data.
 *
 * @example
 * ```ts
 * const rng = prng(42);
 * rng.int(0, 9);
 * ```
 */
export function prng(seed: number): Prng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    bytes: (n) => {
      const out = new Uint8Array(n);
      let i = 0;
      for (; i + 4 <= n; i += 4) {
        const word = (next() * 4294967296) >>> 0;
        out[i] = word & 0xff;
        out[i + 1] = (word >>> 8) & 0xff;
        out[i + 2] = (word >>> 16) & 0xff;
        out[i + 3] = word >>> 24;
      }
      for (; i < n; i++) out[i] = (next() * 256) >>> 0;
      return out;
    },
    pick: (items) => items[Math.floor(next() * items.length)],
  };
}
