// The supervisor's restart policy: backoff per worker, reset after a
// healthy run, and a crash loop over all workers ends in a reason.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { RestartPolicy } from "../../cli/restart_policy.ts";

describe("RestartPolicy", () => {
  test("the delay doubles per consecutive crash of one worker, up to maxDelay", () => {
    const policy = new RestartPolicy({
      minDelay: 100,
      maxDelay: 500,
      maxCrashes: 100,
    });
    const delays = [0, 1, 2, 3, 4].map((i) =>
      policy.crashed(1, i * 10, 5) as { delay: number }
    );
    assert.deepEqual(delays.map((d) => d.delay), [100, 200, 400, 500, 500]);
  });

  test("each worker has its own backoff; one that ran stableAfter starts over", () => {
    const policy = new RestartPolicy({
      minDelay: 100,
      stableAfter: 1000,
      maxCrashes: 100,
    });
    assert.deepEqual(policy.crashed(1, 0, 5), { delay: 100 });
    assert.deepEqual(policy.crashed(1, 10, 5), { delay: 200 });
    assert.deepEqual(policy.crashed(2, 20, 5), { delay: 100 });
    assert.deepEqual(policy.crashed(1, 5000, 4000), { delay: 100 });
  });

  test("maxCrashes within the window, across workers, is a crash loop; older crashes age out", () => {
    const policy = new RestartPolicy({ maxCrashes: 3, window: 1000 });
    assert.ok("delay" in policy.crashed(1, 0, 5));
    assert.ok("delay" in policy.crashed(2, 100, 5));
    assert.ok("delay" in policy.crashed(1, 1050, 5)); // the first aged out
    assert.deepEqual(policy.crashed(2, 1080, 5), {
      reason: "workers crashed 3 times within 1 s",
    });
  });
});
