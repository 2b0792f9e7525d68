import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  formatExtensions,
  parseExtensions,
} from "../../src/protocol/extensions.ts";
import { UsageError } from "../../src/protocol/errors.ts";
import {
  parseWindowBits,
  readDeflateParams,
} from "../../src/protocol/deflate/parameters.ts";
import {
  type DeflateOptions,
  resolveDeflateOptions,
} from "../../src/protocol/deflate/options.ts";
import { negotiateDeflate } from "../../src/protocol/deflate/server_negotiation.ts";
import {
  acceptDeflateResponse,
  deflateOffers,
} from "../../src/protocol/deflate/client_negotiation.ts";

const SHARED = resolveDeflateOptions({ mode: "shared" });
const DEDICATED = resolveDeflateOptions({
  mode: "dedicated",
  windowBits: 12,
});

/** The server's answer to `header` ("" when it declines every offer). */
function answer(header: string, options = SHARED): string {
  const offers = parseExtensions(header);
  assert.notEqual(offers, null, `header should parse: ${header}`);
  return negotiateDeflate(offers!, options)?.header ?? "";
}

describe("parseWindowBits (RFC 7692 §7.1.2.1 ABNF)", () => {
  test("accepts 8 to 15 written without leading zeroes", () => {
    for (let bits = 8; bits <= 15; bits++) {
      assert.equal(parseWindowBits(String(bits)), bits);
    }
  });

  test("rejects other numbers, leading zeroes, signs, fractions and no value", () => {
    for (
      const value of ["7", "16", "0", "08", "010", "+9", "-9", "9.0", "1e1", ""]
    ) {
      assert.equal(parseWindowBits(value), undefined, value);
    }
    assert.equal(parseWindowBits(true), undefined);
  });
});

describe("readDeflateParams", () => {
  test("reads all four parameters of an offer", () => {
    assert.deepEqual(
      readDeflateParams({
        server_no_context_takeover: true,
        client_no_context_takeover: true,
        server_max_window_bits: "10",
        client_max_window_bits: true,
      }, "offer"),
      {
        ok: true,
        request: {
          serverNoContextTakeover: true,
          clientNoContextTakeover: true,
          serverMaxWindowBits: 10,
          clientMaxWindowBits: true,
        },
      },
    );
  });

  test("a response's client_max_window_bits needs a value", () => {
    assert.deepEqual(
      readDeflateParams({ client_max_window_bits: true }, "response"),
      {
        ok: false,
        message:
          "Invalid permessage-deflate parameter: client_max_window_bits without a value",
      },
    );
  });

  test("no_context_takeover parameters take no value", () => {
    assert.deepEqual(
      readDeflateParams({ server_no_context_takeover: "1" }, "offer"),
      {
        ok: false,
        message:
          "Invalid permessage-deflate parameter: server_no_context_takeover=1",
      },
    );
  });

  test("server_max_window_bits needs a value", () => {
    assert.equal(
      readDeflateParams({ server_max_window_bits: true }, "offer").ok,
      false,
    );
  });

  test("an unknown parameter is refused by name", () => {
    assert.deepEqual(readDeflateParams({ x_zero: true }, "offer"), {
      ok: false,
      message: "Unknown permessage-deflate parameter: x_zero",
    });
  });
});

describe("resolveDeflateOptions", () => {
  test("defaults: shared mode, 1 KiB threshold", () => {
    const options = resolveDeflateOptions();
    assert.equal(options.mode, "shared");
    assert.equal(options.threshold, 1024);
  });

  test("dedicated defaults follow the window", () => {
    const options = resolveDeflateOptions({
      mode: "dedicated",
      windowBits: 13,
    });
    assert.equal(options.clientWindowBits, 13);
    assert.equal(options.memLevel, 6);
  });

  test("refuses an unknown mode and values out of range", () => {
    const bad: DeflateOptions[] = [
      { mode: "both" as never },
      { windowBits: 8 },
      { windowBits: 16 },
      { clientWindowBits: 8 },
      { level: 0 },
      { memLevel: 10 },
      { threshold: -1 },
      { windowBits: 11.5 },
    ];
    for (const options of bad) {
      assert.throws(
        () => resolveDeflateOptions(options),
        UsageError,
        JSON.stringify(options),
      );
    }
  });
});

describe("negotiateDeflate, shared mode", () => {
  test("a browser's offer gets both no_context_takeover parameters", () => {
    assert.equal(
      answer("permessage-deflate; client_max_window_bits"),
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
    );
  });

  test("the agreed parameters say no context in either direction", () => {
    const agreement = negotiateDeflate(
      parseExtensions("permessage-deflate")!,
      SHARED,
    );
    assert.deepEqual(agreement?.parameters, {
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
    });
    assert.deepEqual(agreement?.response.name, "permessage-deflate");
  });

  test("server_max_window_bits is accepted with the same value", () => {
    const agreement = negotiateDeflate(
      parseExtensions("permessage-deflate; server_max_window_bits=10")!,
      SHARED,
    );
    assert.equal(
      agreement?.header,
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10",
    );
    assert.equal(agreement?.parameters.serverMaxWindowBits, 10);
  });

  test("a client window value is recorded but not answered", () => {
    const agreement = negotiateDeflate(
      parseExtensions("permessage-deflate; client_max_window_bits=9")!,
      SHARED,
    );
    assert.equal(agreement?.parameters.clientMaxWindowBits, 9);
    assert.equal(
      agreement?.header,
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
    );
  });

  test("a quoted value counts as the token it unescapes to", () => {
    assert.equal(
      answer('permessage-deflate; server_max_window_bits="12"'),
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12",
    );
  });

  test("server_max_window_bits=8 is declined (zlib cannot deflate with 256 bytes)", () => {
    assert.equal(answer("permessage-deflate; server_max_window_bits=8"), "");
  });

  test("other extensions are skipped", () => {
    assert.equal(
      answer("x-webkit-deflate-frame, permessage-deflate"),
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
    );
    assert.equal(answer("x-webkit-deflate-frame"), "");
  });

  test("no offer at all: no agreement", () => {
    assert.equal(negotiateDeflate([], SHARED), undefined);
  });
});

describe("negotiateDeflate declines a bad offer and tries the next (RFC 7692 §7)", () => {
  const next = ", permessage-deflate; client_max_window_bits";
  const cases: [string, string][] = [
    ["an unknown parameter", "permessage-deflate; mystery"],
    ["a value on a flag", "permessage-deflate; client_no_context_takeover=1"],
    [
      "server_max_window_bits without value",
      "permessage-deflate; server_max_window_bits",
    ],
    [
      "server_max_window_bits=7",
      "permessage-deflate; server_max_window_bits=7",
    ],
    [
      "server_max_window_bits=16",
      "permessage-deflate; server_max_window_bits=16",
    ],
    [
      "server_max_window_bits=010",
      "permessage-deflate; server_max_window_bits=010",
    ],
    [
      "client_max_window_bits=abc",
      "permessage-deflate; client_max_window_bits=abc",
    ],
    [
      "client_max_window_bits=0",
      "permessage-deflate; client_max_window_bits=0",
    ],
    [
      "a repeated parameter",
      "permessage-deflate; server_max_window_bits=10; server_max_window_bits=10",
    ],
    [
      "a repeated flag",
      "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
    ],
    [
      "a window of 8 for the server",
      "permessage-deflate; server_max_window_bits=8",
    ],
  ];
  for (const [name, bad] of cases) {
    test(name, () => {
      assert.equal(answer(bad), "");
      assert.equal(
        answer(bad + next),
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
      );
    });
  }

  test("the first acceptable of several good offers wins", () => {
    assert.equal(
      answer(
        "permessage-deflate; server_max_window_bits=11, permessage-deflate; server_max_window_bits=13",
      ),
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=11",
    );
  });
});

describe("negotiateDeflate, dedicated mode", () => {
  test("keeps context and names its smaller windows", () => {
    const agreement = negotiateDeflate(
      parseExtensions("permessage-deflate; client_max_window_bits")!,
      DEDICATED,
    );
    assert.equal(
      agreement?.header,
      "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12",
    );
    assert.deepEqual(agreement?.parameters, {
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 12,
      clientMaxWindowBits: 12,
    });
  });

  test("without client_max_window_bits in the offer, none in the answer (§7.1.2.2)", () => {
    const agreement = negotiateDeflate(
      parseExtensions("permessage-deflate")!,
      DEDICATED,
    );
    assert.equal(
      agreement?.header,
      "permessage-deflate; server_max_window_bits=12",
    );
    assert.equal(agreement?.parameters.clientMaxWindowBits, 15);
  });

  test("a smaller window asked by the client wins; a larger one is lowered", () => {
    assert.equal(
      answer(
        "permessage-deflate; server_max_window_bits=10; client_max_window_bits=9",
        DEDICATED,
      ),
      "permessage-deflate; server_max_window_bits=10; client_max_window_bits=9",
    );
    assert.equal(
      answer(
        "permessage-deflate; server_max_window_bits=14; client_max_window_bits=15",
        DEDICATED,
      ),
      "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12",
    );
  });

  test("the client's no_context_takeover requests are honoured and echoed", () => {
    const agreement = negotiateDeflate(
      parseExtensions(
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
      )!,
      DEDICATED,
    );
    assert.equal(
      agreement?.header,
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=12",
    );
    assert.equal(agreement?.parameters.serverNoContextTakeover, true);
    assert.equal(agreement?.parameters.clientNoContextTakeover, true);
  });

  test("at windowBits 15 the windows go unnamed", () => {
    assert.equal(
      answer(
        "permessage-deflate; client_max_window_bits",
        resolveDeflateOptions({ mode: "dedicated", windowBits: 15 }),
      ),
      "permessage-deflate",
    );
  });

  test("a client window of 8 offered by the client is accepted (we inflate it)", () => {
    const agreement = negotiateDeflate(
      parseExtensions("permessage-deflate; client_max_window_bits=8")!,
      DEDICATED,
    );
    assert.equal(agreement?.parameters.clientMaxWindowBits, 8);
    assert.equal(
      agreement?.header,
      "permessage-deflate; server_max_window_bits=12; client_max_window_bits=8",
    );
  });
});

describe("deflateOffers", () => {
  test("shared mode asks for no server context, then falls back", () => {
    assert.equal(
      formatExtensions(deflateOffers(SHARED)),
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits, " +
        "permessage-deflate; client_no_context_takeover; client_max_window_bits",
    );
  });

  test("dedicated mode asks for its window, then falls back", () => {
    assert.equal(
      formatExtensions(deflateOffers(DEDICATED)),
      "permessage-deflate; server_max_window_bits=12; client_max_window_bits, " +
        "permessage-deflate; client_max_window_bits",
    );
    assert.equal(
      formatExtensions(
        deflateOffers(resolveDeflateOptions({
          mode: "dedicated",
          windowBits: 15,
        })),
      ),
      "permessage-deflate; client_max_window_bits",
    );
  });

  test("our own server accepts every offer our client makes", () => {
    for (const client of [SHARED, DEDICATED]) {
      for (const server of [SHARED, DEDICATED]) {
        const offers = deflateOffers(client);
        const agreement = negotiateDeflate(
          parseExtensions(formatExtensions(offers))!,
          server,
        );
        assert.notEqual(agreement, undefined);
        const check = acceptDeflateResponse(agreement!.header, offers, client);
        assert.equal(check.ok, true);
      }
    }
  });
});

describe("acceptDeflateResponse", () => {
  const sharedOffers = deflateOffers(SHARED);
  const dedicatedOffers = deflateOffers(DEDICATED);
  const check = (
    header: string | null,
    offers = dedicatedOffers,
    options = DEDICATED,
  ) => acceptDeflateResponse(header, offers, options);
  const failure = (header: string, offers = dedicatedOffers) => {
    const result = check(header, offers);
    assert.equal(result.ok, false, header);
    return result.ok ? "" : result.message;
  };

  test("no header, an empty one or only commas: no compression", () => {
    assert.deepEqual(check(null), { ok: true, parameters: undefined });
    assert.deepEqual(check(""), { ok: true, parameters: undefined });
    assert.deepEqual(check(" , "), { ok: true, parameters: undefined });
  });

  test("a plain acceptance keeps context both ways at our preferred window", () => {
    assert.deepEqual(check("permessage-deflate"), {
      ok: true,
      parameters: {
        serverNoContextTakeover: false,
        clientNoContextTakeover: false,
        serverMaxWindowBits: 15,
        clientMaxWindowBits: 12,
      },
    });
  });

  test("the server's windows are taken as answered", () => {
    assert.deepEqual(
      check(
        "permessage-deflate; server_max_window_bits=10; client_max_window_bits=9",
      ),
      {
        ok: true,
        parameters: {
          serverNoContextTakeover: false,
          clientNoContextTakeover: false,
          serverMaxWindowBits: 10,
          clientMaxWindowBits: 9,
        },
      },
    );
  });

  test("client_no_context_takeover may come unasked (§7.1.1.2)", () => {
    const result = check("permessage-deflate; client_no_context_takeover");
    assert.equal(result.ok && result.parameters?.clientNoContextTakeover, true);
  });

  test("our own client_no_context_takeover holds even if not echoed", () => {
    const result = check(
      "permessage-deflate; server_no_context_takeover",
      sharedOffers,
      SHARED,
    );
    assert.equal(result.ok && result.parameters?.clientNoContextTakeover, true);
  });

  test("the shared fallback offer accepts a server that keeps its context", () => {
    const result = check("permessage-deflate", sharedOffers, SHARED);
    assert.equal(result.ok, true);
    assert.equal(
      result.ok && result.parameters?.serverNoContextTakeover,
      false,
    );
  });

  test("a client window of 8 is accepted (compressed without back-references)", () => {
    const result = check("permessage-deflate; client_max_window_bits=8");
    assert.equal(result.ok && result.parameters?.clientMaxWindowBits, 8);
  });

  test("an extension the client did not offer fails (RFC 6455 §4.1)", () => {
    assert.equal(failure("x-foo"), "Unrequested extension: x-foo");
    assert.equal(
      failure("permessage-deflate, x-foo"),
      "Unrequested extension: x-foo",
    );
    assert.equal(
      failure("permessage-deflate", []),
      "Unrequested extension: permessage-deflate",
    );
  });

  test("two permessage-deflate answers fail", () => {
    assert.equal(
      failure("permessage-deflate, permessage-deflate"),
      "Several permessage-deflate answers",
    );
  });

  test("bad syntax, repeated and unknown parameters, bad values fail", () => {
    assert.equal(
      failure("permessage-deflate; ="),
      "Invalid Sec-WebSocket-Extensions header",
    );
    assert.equal(
      failure(
        "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
      ),
      "Repeated parameter in Sec-WebSocket-Extensions",
    );
    assert.equal(
      failure("permessage-deflate; mystery"),
      "Unknown permessage-deflate parameter: mystery",
    );
    assert.equal(
      failure("permessage-deflate; server_max_window_bits=16"),
      "Invalid permessage-deflate parameter: server_max_window_bits=16",
    );
    assert.equal(
      failure("permessage-deflate; client_max_window_bits"),
      "Invalid permessage-deflate parameter: client_max_window_bits without a value",
    );
  });

  test("server_no_context_takeover asked and not answered fails when no other offer fits", () => {
    const only = [sharedOffers[0]];
    assert.equal(
      failure("permessage-deflate; client_no_context_takeover", only),
      "Missing permessage-deflate parameter: server_no_context_takeover",
    );
  });

  test("server_max_window_bits missing or larger than asked fails", () => {
    const only = [dedicatedOffers[0]]; // server_max_window_bits=12
    assert.equal(
      failure("permessage-deflate", only),
      "Missing permessage-deflate parameter: server_max_window_bits",
    );
    assert.equal(
      failure("permessage-deflate; server_max_window_bits=13", only),
      "Unexpected permessage-deflate parameter: server_max_window_bits=13 (offered 12)",
    );
    assert.equal(
      check("permessage-deflate; server_max_window_bits=11", only).ok,
      true,
    );
  });

  test("client_max_window_bits unasked, or above the offered value, fails", () => {
    const noClientBits = [{
      name: "permessage-deflate",
      params: Object.assign(Object.create(null), {}),
    }];
    assert.equal(
      failure("permessage-deflate; client_max_window_bits=10", noClientBits),
      "Unexpected permessage-deflate parameter: client_max_window_bits",
    );
    const tenBits = [{
      name: "permessage-deflate",
      params: Object.assign(Object.create(null), {
        client_max_window_bits: "10",
      }),
    }];
    assert.equal(
      failure("permessage-deflate; client_max_window_bits=11", tenBits),
      "Unexpected permessage-deflate parameter: client_max_window_bits=11 (offered 10)",
    );
    // Unanswered, the offered value stands.
    const result = check("permessage-deflate", tenBits, SHARED);
    assert.equal(result.ok && result.parameters?.clientMaxWindowBits, 10);
  });
});
