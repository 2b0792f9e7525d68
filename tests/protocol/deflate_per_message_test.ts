import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ProtocolError } from "../../src/protocol/errors.ts";
import type {
  DeflateCodec,
  Deflater,
  DeflaterOptions,
  Inflater,
} from "../../src/protocol/deflate/codec.ts";
import { DeflateContexts } from "../../src/protocol/deflate/deflate_contexts.ts";
import { MessageDecompressor } from "../../src/protocol/deflate/message_decompressor.ts";
import { resolveDeflateOptions } from "../../src/protocol/deflate/options.ts";
import { pakoCodec } from "../../engines/deflate_pako.ts";
import type { DeflateParameters } from "../../src/protocol/deflate/parameters.ts";
import { PerMessageDeflate } from "../../src/protocol/deflate/per_message_deflate.ts";
import { zlibMessageCodec } from "../../engines/deflate_zlib.ts";

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const hasCode = (code: number) => (error: unknown): boolean =>
  error instanceof ProtocolError && error.code === code;

const SHARED: DeflateParameters = {
  serverNoContextTakeover: true,
  clientNoContextTakeover: true,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};
const TAKEOVER: DeflateParameters = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 12,
  clientMaxWindowBits: 12,
};

/** A pako codec that counts the contexts it makes. */
function countingCodec(): DeflateCodec & {
  deflaters: DeflaterOptions[];
  inflaters: number[];
} {
  const deflaters: DeflaterOptions[] = [];
  const inflaters: number[] = [];
  return {
    name: "counting pako",
    deflaters,
    inflaters,
    createDeflater(options: DeflaterOptions): Deflater {
      deflaters.push(options);
      return pakoCodec.createDeflater(options);
    },
    createInflater(windowBits: number): Inflater {
      inflaters.push(windowBits);
      return pakoCodec.createInflater(windowBits);
    },
  };
}

function chat(i: number): string {
  return JSON.stringify({
    type: "message",
    user: `user${i % 5}`,
    text: `hello number ${i}, ` +
      "how are you doing today? ".repeat(1 + (i % 4)),
    at: 1_764_900_000_000 + i * 1000,
  });
}

describe("PerMessageDeflate, shared mode", () => {
  test("single-frame messages use the shared contexts only: an idle connection holds none", () => {
    const codec = countingCodec();
    const contexts = new DeflateContexts(
      codec,
      resolveDeflateOptions(),
      zlibMessageCodec,
    );
    const server = new PerMessageDeflate(contexts, SHARED, "server");
    const client = new PerMessageDeflate(contexts, SHARED, "client");
    for (let i = 0; i < 20; i++) {
      const payload = server.compress(enc(chat(i)), true);
      assert.equal(dec(client.decompress(payload, true, 1 << 20)), chat(i));
    }
    assert.deepEqual(codec.deflaters, []);
    assert.deepEqual(codec.inflaters, []);
  });

  test("the shared key is the window the peer allows, for compress-once broadcast", () => {
    const contexts = new DeflateContexts(pakoCodec, resolveDeflateOptions());
    const server = new PerMessageDeflate(contexts, SHARED, "server");
    assert.equal(server.sharedKey, 15);
    const message = enc(chat(1));
    assert.deepEqual(
      server.compress(message, true),
      contexts.compressMessage(message, 15),
    );
    const narrow = new PerMessageDeflate(
      contexts,
      { ...SHARED, serverMaxWindowBits: 10 },
      "server",
    );
    assert.equal(narrow.sharedKey, 10);
    const client = new PerMessageDeflate(contexts, SHARED, "client");
    assert.equal(client.sharedKey, 15);
  });

  test("with context takeover there is no shared key", () => {
    const contexts = new DeflateContexts(pakoCodec, resolveDeflateOptions());
    assert.equal(
      new PerMessageDeflate(contexts, TAKEOVER, "server").sharedKey,
      undefined,
    );
    // The client's own direction may differ from the server's.
    const mixed = { ...TAKEOVER, clientNoContextTakeover: true };
    assert.equal(
      new PerMessageDeflate(contexts, mixed, "server").sharedKey,
      undefined,
    );
    assert.equal(
      new PerMessageDeflate(contexts, mixed, "client").sharedKey,
      12,
    );
  });

  test("a fragmented message gets its own context while other connections use the shared one", () => {
    const codec = countingCodec();
    const contexts = new DeflateContexts(codec, resolveDeflateOptions());
    const a = new PerMessageDeflate(contexts, SHARED, "server");
    const b = new PerMessageDeflate(contexts, SHARED, "server");
    const receiver = new PerMessageDeflate(contexts, SHARED, "client");
    const text = chat(7).repeat(3);
    const all = enc(text);
    const first = a.compress(all.subarray(0, 100), false);
    const other = b.compress(enc(chat(8)), true);
    const second = a.compress(all.subarray(100), true);
    assert.equal(codec.deflaters.length > 0, true);
    // The receiver reads the fragments around another connection's message.
    let out = dec(receiver.decompress(first, false, 1 << 20));
    const b2 = new PerMessageDeflate(contexts, SHARED, "client");
    assert.equal(dec(b2.decompress(other, true, 1 << 20)), chat(8));
    out += dec(receiver.decompress(second, true, 1 << 20));
    assert.equal(out, text);
    // The next fragmented message starts from an empty window again.
    const count = codec.deflaters.length;
    const again = a.compress(all.subarray(0, 100), false);
    assert.deepEqual(again, first);
    a.compress(all.subarray(100), true);
    assert.equal(codec.deflaters.length, count + 1);
  });

  test("a connection's message cannot refer to bytes another connection sent", () => {
    const contexts = new DeflateContexts(pakoCodec, resolveDeflateOptions());
    const alice = new PerMessageDeflate(contexts, SHARED, "server");
    const mallory = new PerMessageDeflate(contexts, SHARED, "server");
    // RFC 7692 §7.2.3.2: the second "Hello", which only means something
    // after the first one.
    assert.equal(
      dec(
        alice.decompress(
          new Uint8Array([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]),
          true,
          100,
        ),
      ),
      "Hello",
    );
    assert.throws(
      () =>
        mallory.decompress(
          new Uint8Array([0xf2, 0x00, 0x11, 0x00, 0x00]),
          true,
          100,
        ),
      hasCode(1007),
    );
    // Fragmented, through a leased context, the same.
    assert.throws(() => {
      mallory.decompress(new Uint8Array([0xf2, 0x00]), false, 100);
      mallory.decompress(new Uint8Array([0x11, 0x00, 0x00]), true, 100);
    }, hasCode(1007));
  });

  test("messages shorter than the threshold are not worth compressing", () => {
    const contexts = new DeflateContexts(
      pakoCodec,
      resolveDeflateOptions({ threshold: 100 }),
    );
    const server = new PerMessageDeflate(contexts, SHARED, "server");
    assert.equal(server.shouldCompress(99), false);
    assert.equal(server.shouldCompress(100), true);
    const defaults = new DeflateContexts(pakoCodec, resolveDeflateOptions());
    assert.equal(
      new PerMessageDeflate(defaults, SHARED, "server").shouldCompress(1023),
      false,
    );
  });
});

describe("PerMessageDeflate, context takeover", () => {
  test("contexts are made on first use and kept", () => {
    const codec = countingCodec();
    const contexts = new DeflateContexts(
      codec,
      resolveDeflateOptions({ mode: "dedicated", windowBits: 12 }),
    );
    const server = new PerMessageDeflate(contexts, TAKEOVER, "server");
    const client = new PerMessageDeflate(contexts, TAKEOVER, "client");
    assert.deepEqual(codec.deflaters, []);
    assert.deepEqual(codec.inflaters, []);
    for (let i = 0; i < 10; i++) {
      const payload = server.compress(enc(chat(i)), true);
      assert.equal(dec(client.decompress(payload, true, 1 << 20)), chat(i));
    }
    assert.deepEqual(codec.deflaters, [{
      windowBits: 12,
      memLevel: 5,
      level: 6,
    }]);
    assert.deepEqual(codec.inflaters, [12]);
  });

  test("later similar messages shrink, in both directions, fragmented or not", () => {
    const contexts = new DeflateContexts(
      pakoCodec,
      resolveDeflateOptions({ mode: "dedicated", windowBits: 12 }),
    );
    const server = new PerMessageDeflate(contexts, TAKEOVER, "server");
    const client = new PerMessageDeflate(contexts, TAKEOVER, "client");
    const sizes: number[] = [];
    for (let i = 0; i < 200; i++) {
      const [from, to] = i % 2 === 0 ? [server, client] : [client, server];
      const text = chat(i);
      const all = enc(text);
      if (i % 5 === 0) {
        const cut = all.length >> 1;
        let out = dec(
          to.decompress(
            from.compress(all.subarray(0, cut), false),
            false,
            1 << 20,
          ),
        );
        out += dec(
          to.decompress(from.compress(all.subarray(cut), true), true, 1 << 20),
        );
        assert.equal(out, text);
      } else {
        const payload = from.compress(all, true);
        sizes.push(payload.length / all.length);
        assert.equal(dec(to.decompress(payload, true, 1 << 20)), text);
      }
    }
    const late = sizes.slice(-20).reduce((a, b) => a + b) / 20;
    assert.ok(late < 0.3, `late ratio ${late}`);
  });

  test("a client told client_max_window_bits=8 sends what a 256-byte window reads", () => {
    const parameters = { ...TAKEOVER, clientMaxWindowBits: 8 };
    const contexts = new DeflateContexts(
      pakoCodec,
      resolveDeflateOptions({ mode: "dedicated" }),
    );
    const client = new PerMessageDeflate(contexts, parameters, "client");
    const reader = new MessageDecompressor(pakoCodec.createInflater(8), {
      noContextTakeover: false,
    });
    for (let i = 0; i < 50; i++) {
      const text = chat(i).repeat(4);
      assert.equal(
        dec(reader.decompress(client.compress(enc(text), true), true, 1 << 20)),
        text,
      );
    }
  });

  test("a message that inflates past the limit fails with 1009", () => {
    const contexts = new DeflateContexts(
      pakoCodec,
      resolveDeflateOptions({ mode: "dedicated" }),
    );
    const server = new PerMessageDeflate(contexts, TAKEOVER, "server");
    const client = new PerMessageDeflate(contexts, TAKEOVER, "client");
    const payload = server.compress(enc("x".repeat(1000)), true);
    assert.throws(() => client.decompress(payload, true, 999), hasCode(1009));
  });
});
