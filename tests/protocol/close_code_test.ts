import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { CloseCode, isValidCloseCode } from "../../src/protocol/close_code.ts";

/** The valid ranges as a list of [from, to] pairs, for the full table. */
function expectedValid(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
    (code >= 3000 && code <= 4999);
}

describe("CloseCode", () => {
  test("has the RFC 6455 §7.4.1 and IANA values", () => {
    assert.equal(CloseCode.Normal, 1000);
    assert.equal(CloseCode.GoingAway, 1001);
    assert.equal(CloseCode.ProtocolError, 1002);
    assert.equal(CloseCode.UnsupportedData, 1003);
    assert.equal(CloseCode.NoStatus, 1005);
    assert.equal(CloseCode.Abnormal, 1006);
    assert.equal(CloseCode.InvalidPayload, 1007);
    assert.equal(CloseCode.PolicyViolation, 1008);
    assert.equal(CloseCode.MessageTooBig, 1009);
    assert.equal(CloseCode.MandatoryExtension, 1010);
    assert.equal(CloseCode.InternalError, 1011);
    assert.equal(CloseCode.ServiceRestart, 1012);
    assert.equal(CloseCode.TryAgainLater, 1013);
    assert.equal(CloseCode.BadGateway, 1014);
    assert.equal(CloseCode.TlsHandshake, 1015);
  });
});

describe("isValidCloseCode", () => {
  test("matches the table for every code from 0 to 65535", () => {
    for (let code = 0; code <= 65535; code++) {
      assert.equal(isValidCloseCode(code), expectedValid(code), `code ${code}`);
    }
  });

  test("accepts the boundaries 1000, 1003, 1007, 1014, 3000, 4999", () => {
    for (const code of [1000, 1003, 1007, 1014, 3000, 4999]) {
      assert.equal(isValidCloseCode(code), true, `code ${code}`);
    }
  });

  test("rejects 0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535", () => {
    for (
      const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535]
    ) {
      assert.equal(isValidCloseCode(code), false, `code ${code}`);
    }
  });

  test("rejects non-integers, negatives and NaN", () => {
    for (const code of [1000.5, -1000, NaN, Infinity]) {
      assert.equal(isValidCloseCode(code), false, `code ${code}`);
    }
  });
});
