/**
 * SHA-1 (FIPS 180-4 §6.1, the algorithm of RFC 3174), synchronous, for the
 * opening handshake's `Sec-WebSocket-Accept` (RFC 6455 §4.2.2). SHA-1 is
 * broken for collision resistance; the handshake uses it only so that "the
 * server has to prove to the client that it received the client's WebSocket
 * handshake" (RFC 6455 §1.3), not for security: use it for nothing else. Web Crypto's `digest` would do, but it
 * is asynchronous: a thread-pool round trip per handshake on some runtimes.
 *
 * @module
 */

// FIPS 180-4 §5.3.1: "the initial hash value, H(0), shall consist of the
// following five 32-bit words, in hex".
const H0 = 0x67452301;
const H1 = 0xefcdab89 | 0;
const H2 = 0x98badcfe | 0;
const H3 = 0x10325476;
const H4 = 0xc3d2e1f0 | 0;

// FIPS 180-4 §4.2.1: the constants K(t), one per group of 20 rounds.
const K0 = 0x5a827999;
const K1 = 0x6ed9eba1;
const K2 = 0x8f1bbcdc | 0;
const K3 = 0xca62c1d6 | 0;

// Scratch: the message schedule W(0)..W(79) of one block, written and read
// within one call.
const schedule = new Int32Array(80);
// Scratch: the hash value H(i) between blocks, within one call.
const hash = new Int32Array(5);
// Scratch: the last one or two blocks of the padded message, within one call.
const tail = new Uint8Array(128);

/** FIPS 180-4 §6.1.2 steps 1–4: one 512-bit block at `offset` into `hash`. */
function compress(block: Uint8Array, offset: number): void {
  const w = schedule;
  // Step 1: W(t) = M(t) for 0 ≤ t ≤ 15 (big-endian words), then
  // W(t) = ROTL¹(W(t−3) ⊕ W(t−8) ⊕ W(t−14) ⊕ W(t−16)) for 16 ≤ t ≤ 79.
  for (let t = 0; t < 16; t++) {
    const i = offset + t * 4;
    w[t] = block[i] << 24 | block[i + 1] << 16 | block[i + 2] << 8 |
      block[i + 3];
  }
  for (let t = 16; t < 80; t++) {
    const x = w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16];
    w[t] = x << 1 | x >>> 31;
  }
  // Step 2: the working variables a..e from H(i−1).
  let a = hash[0];
  let b = hash[1];
  let c = hash[2];
  let d = hash[3];
  let e = hash[4];
  // Step 3: T = ROTL⁵(a) + f(t)(b,c,d) + e + K(t) + W(t); e = d; d = c;
  // c = ROTL³⁰(b); b = a; a = T. The functions f(t) of §4.1.1:
  // Ch (0–19), Parity (20–39), Maj (40–59), Parity (60–79).
  let t = 0;
  for (; t < 20; t++) {
    const x = ((a << 5 | a >>> 27) + ((b & c) ^ (~b & d)) + e + K0 + w[t]) |
      0;
    e = d;
    d = c;
    c = b << 30 | b >>> 2;
    b = a;
    a = x;
  }
  for (; t < 40; t++) {
    const x = ((a << 5 | a >>> 27) + (b ^ c ^ d) + e + K1 + w[t]) | 0;
    e = d;
    d = c;
    c = b << 30 | b >>> 2;
    b = a;
    a = x;
  }
  for (; t < 60; t++) {
    const x = ((a << 5 | a >>> 27) + ((b & c) ^ (b & d) ^ (c & d)) + e + K2 +
      w[t]) | 0;
    e = d;
    d = c;
    c = b << 30 | b >>> 2;
    b = a;
    a = x;
  }
  for (; t < 80; t++) {
    const x = ((a << 5 | a >>> 27) + (b ^ c ^ d) + e + K3 + w[t]) | 0;
    e = d;
    d = c;
    c = b << 30 | b >>> 2;
    b = a;
    a = x;
  }
  // Step 4: H(i) = H(i−1) + (a..e), modulo 2³².
  hash[0] = (hash[0] + a) | 0;
  hash[1] = (hash[1] + b) | 0;
  hash[2] = (hash[2] + c) | 0;
  hash[3] = (hash[3] + d) | 0;
  hash[4] = (hash[4] + e) | 0;
}

/**
 * The SHA-1 digest of `message` (FIPS 180-4 §6.1; RFC 3174), the same
 * 20 bytes as Web Crypto's `crypto.subtle.digest("SHA-1", message)`, but
 * synchronous. For the opening handshake only (see the module note).
 *
 * @param message The bytes to hash, of any length.
 * @returns A new 20-byte array.
 *
 * @example
 * ```ts
 * import { sha1 } from "./sha1.ts";
 * const digest = sha1(new TextEncoder().encode("abc"));
 * console.log(digest[0].toString(16)); // "a9" (a9993e36...)
 * ```
 */
export function sha1(message: Uint8Array): Uint8Array {
  hash[0] = H0;
  hash[1] = H1;
  hash[2] = H2;
  hash[3] = H3;
  hash[4] = H4;
  const length = message.length;
  // FIPS 180-4 §6.1.2: the blocks M(1)..M(N) in order; the whole ones are
  // read in place, the last partial one is padded in `tail`.
  const whole = length - (length & 63);
  for (let offset = 0; offset < whole; offset += 64) compress(message, offset);
  // FIPS 180-4 §5.1.1: append the bit "1", then k zero bits with
  // l + 1 + k ≡ 448 mod 512, then l (the length in bits) as a 64-bit
  // big-endian integer: one block more, or two when fewer than 9 bytes
  // are left after the message in its last block.
  const left = length - whole;
  const blocks = left < 56 ? 1 : 2;
  tail.fill(0);
  for (let i = 0; i < left; i++) tail[i] = message[whole + i];
  tail[left] = 0x80;
  const end = blocks * 64;
  const high = Math.floor(length / 0x20000000);
  const low = (length << 3) >>> 0;
  tail[end - 8] = high >>> 24;
  tail[end - 7] = high >>> 16;
  tail[end - 6] = high >>> 8;
  tail[end - 5] = high;
  tail[end - 4] = low >>> 24;
  tail[end - 3] = low >>> 16;
  tail[end - 2] = low >>> 8;
  tail[end - 1] = low;
  compress(tail, 0);
  if (blocks === 2) compress(tail, 64);
  // FIPS 180-4 §6.1.2: the digest is H(N)0 || ... || H(N)4, big-endian.
  const digest = new Uint8Array(20);
  for (let i = 0; i < 5; i++) {
    const word = hash[i];
    digest[i * 4] = word >>> 24;
    digest[i * 4 + 1] = word >>> 16;
    digest[i * 4 + 2] = word >>> 8;
    digest[i * 4 + 3] = word;
  }
  return digest;
}
