// How the benchmark (scripts/bench/options.ts) gets its options back when
// npm takes them: `npm run bench --quick` hands `--quick` to npm, which
// passes it on as `npm_config_quick=true` instead of as an argument. Nothing
// is measured here: the end-to-end case runs the benchmark with --dry-run.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { npmConfigArgs } from "../../scripts/bench/options.ts";
import { npmDryRun } from "../_bench_npm.ts";

describe("npmConfigArgs", () => {
  test("turns npm_config_quick=true (npm run bench --quick) into --quick", () => {
    assert.deepEqual(npmConfigArgs({ npm_config_quick: "true" }, []), [
      "--quick",
    ]);
  });

  test("turns npm_config_pin= (npm run bench --no-pin) into --no-pin", () => {
    assert.deepEqual(npmConfigArgs({ npm_config_pin: "" }, []), ["--no-pin"]);
  });

  test("turns npm_config_dry_run=true into --dry-run and a value option into --name=value", () => {
    assert.deepEqual(
      npmConfigArgs({
        npm_config_dry_run: "true",
        npm_config_passes: "5",
        npm_config_idle_conns: "100",
      }, []),
      ["--dry-run", "--passes=5", "--idle-conns=100"],
    );
  });

  test("leaves out options false in npm's config, given as arguments, or not the benchmark's", () => {
    assert.deepEqual(
      npmConfigArgs({
        npm_config_quick: "",
        npm_config_dry_run: "true",
        npm_config_cases: "echo1",
        npm_config_cache: "/root/.npm",
        npm_config_user_agent: "npm/11",
      }, ["--dry-run", "--cases=bcast"]),
      [],
    );
  });

  test("throws when npm kept an option but lost its value (npm run bench --passes 5)", () => {
    assert.throws(
      () => npmConfigArgs({ npm_config_passes: "true" }, ["5"]),
      {
        message:
          "npm kept the value of --passes: write npm run bench -- --passes VALUE (or --passes=VALUE)",
      },
    );
  });
});

describe("npm run bench", () => {
  for (
    const args of [
      ["run", "bench", "--quick", "--", "--dry-run"],
      ["run", "bench", "--", "--quick", "--dry-run"],
    ]
  ) {
    test(`npm ${args.join(" ")} is a quick run`, () => {
      const run = npmDryRun(args);
      assert.ok("settings" in run, "failure" in run ? run.failure : "");
      const { settings } = run;
      assert.equal(settings.quick, true);
      assert.equal(settings.passes, 1);
      assert.equal(settings.durationMs, 1500);
      assert.equal(settings.publish, false);
    });
  }
});
