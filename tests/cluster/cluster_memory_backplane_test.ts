import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { MemoryHub } from "../../src/cluster/memory_backplane.ts";
import { settle } from "../_fake_clock.ts";

const bytes = (...values: number[]) => Uint8Array.from(values);

describe("MemoryHub backplanes", () => {
  test("a message reaches every subscriber of its channel, the publisher's own included, a microtask later", async () => {
    const hub = new MemoryHub();
    const a = hub.backplane();
    const b = hub.backplane();
    const got: string[] = [];
    a.subscribe("news", (m) => got.push(`a${m[0]}`));
    b.subscribe("news", (m) => got.push(`b${m[0]}`));
    b.subscribe("other", (m) => got.push(`other${m[0]}`));
    const published = a.publish("news", bytes(1));
    assert.deepEqual(got, []);
    await published;
    await settle();
    assert.deepEqual(got, ["a1", "b1"]);
    assert.equal(hub.delivered, 2);
  });

  test("one publisher's messages arrive in publish order across channels", async () => {
    const hub = new MemoryHub();
    const a = hub.backplane();
    const b = hub.backplane();
    const got: number[] = [];
    b.subscribe("x", (m) => got.push(m[0]));
    b.subscribe("y", (m) => got.push(m[0]));
    for (let i = 0; i < 10; i++) a.publish(i % 2 ? "x" : "y", bytes(i));
    await settle();
    assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test("the publisher's buffer is copied: changing it after publish changes nothing", async () => {
    const hub = new MemoryHub();
    const a = hub.backplane();
    const got: number[] = [];
    a.subscribe("x", (m) => got.push(m[0]));
    const buffer = bytes(7);
    await a.publish("x", buffer);
    buffer[0] = 9;
    await settle();
    assert.deepEqual(got, [7]);
  });

  test("down: publish rejects, nothing arrives, status listeners hear each change once", async () => {
    const hub = new MemoryHub();
    const a = hub.backplane();
    const b = hub.backplane();
    const statuses: string[] = [];
    b.onStatus((s) => statuses.push(s));
    const got: number[] = [];
    b.subscribe("x", (m) => got.push(m[0]));
    b.goDown();
    b.goDown();
    await a.publish("x", bytes(1));
    await assert.rejects(b.publish("x", bytes(2)), /down/);
    await settle();
    b.comeUp();
    await a.publish("x", bytes(3));
    await settle();
    assert.deepEqual(got, [3]);
    assert.deepEqual(statuses, ["down", "up"]);
  });

  test("kill: what the dead node published and was not delivered yet is lost, and it hears nothing more", async () => {
    const hub = new MemoryHub();
    const a = hub.backplane();
    const b = hub.backplane();
    const atA: number[] = [];
    const atB: number[] = [];
    a.subscribe("x", (m) => atA.push(m[0]));
    b.subscribe("x", (m) => atB.push(m[0]));
    a.publish("x", bytes(1));
    a.kill();
    await b.publish("x", bytes(2));
    await settle();
    assert.deepEqual(atB, [2]);
    assert.deepEqual(atA, []);
    assert.equal(a.status, "up"); // a dead process notices nothing
  });

  test("unsubscribe stops delivery; close makes publish reject and the status down", async () => {
    const hub = new MemoryHub();
    const a = hub.backplane();
    const got: number[] = [];
    const off = a.subscribe("x", (m) => got.push(m[0]));
    off();
    off();
    await a.publish("x", bytes(1));
    await settle();
    assert.deepEqual(got, []);
    await a.close();
    await a.close();
    assert.equal(a.status, "down");
    await assert.rejects(a.publish("x", bytes(2)), /closed/);
  });
});
