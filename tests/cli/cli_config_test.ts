// The configuration of `anyws start`: every flag and its WEBSOCKET_*
// environment variable, flags over environment over defaults, and the
// one-line errors for bad input.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  CLI_USAGE,
  type CliConfig,
  CliError,
  parseCliConfig,
} from "../../cli/config.ts";

/** Runs the parser and returns the CliError it threw (fails otherwise). */
function parseError(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
): CliError {
  try {
    parseCliConfig(args, env);
  } catch (error) {
    assert.ok(error instanceof CliError, `Not a CliError: ${error}`);
    return error;
  }
  assert.fail(`Expected a CliError for: ${args.join(" ")}`);
}

/** The options that take a value: flag, environment variable, a valid value, the parsed value, where it lands. */
const VALUED: ReadonlyArray<
  [flag: string, env: string, raw: string, value: unknown, at: string]
> = [
  ["--host", "WEBSOCKET_HOST", "127.0.0.1", "127.0.0.1", "host"],
  ["--port", "WEBSOCKET_PORT", "9001", 9001, "port"],
  ["--handler", "WEBSOCKET_HANDLER", "./app.ts", "./app.ts", "handler"],
  ["--origins", "WEBSOCKET_ORIGINS", "https://a.test", [
    "https://a.test",
  ], "origins"],
  [
    "--max-message-size",
    "WEBSOCKET_MAX_MESSAGE_SIZE",
    "1048576",
    1048576,
    "limits.maxMessageSize",
  ],
  [
    "--max-connections",
    "WEBSOCKET_MAX_CONNECTIONS",
    "100",
    100,
    "limits.maxConnections",
  ],
  [
    "--max-connections-per-ip",
    "WEBSOCKET_MAX_CONNECTIONS_PER_IP",
    "5",
    5,
    "limits.maxConnectionsPerIp",
  ],
  [
    "--ping-interval",
    "WEBSOCKET_PING_INTERVAL",
    "15000",
    15000,
    "limits.pingInterval",
  ],
  [
    "--idle-timeout",
    "WEBSOCKET_IDLE_TIMEOUT",
    "45000",
    45000,
    "limits.idleTimeout",
  ],
  [
    "--redis",
    "WEBSOCKET_REDIS_URL",
    "redis://10.0.0.5:6379",
    "redis://10.0.0.5:6379",
    "redis",
  ],
  ["--workers", "WEBSOCKET_WORKERS", "1", 1, "workers"],
  ["--log-level", "WEBSOCKET_LOG_LEVEL", "debug", "debug", "logLevel"],
  ["--log-format", "WEBSOCKET_LOG_FORMAT", "json", "json", "logFormat"],
  ["--socket", "WEBSOCKET_SOCKET", "/run/ws.sock", "/run/ws.sock", "socket"],
  ["--stop-grace", "WEBSOCKET_STOP_GRACE", "2000", 2000, "stopGrace"],
];

/** Reads `host` or `limits.maxConnections` out of a config. */
function pick(config: CliConfig, at: string): unknown {
  let value: unknown = config;
  for (const key of at.split(".")) {
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

describe("parseCliConfig: defaults", () => {
  test("start alone binds 0.0.0.0:8080, runs the demo, logs, has no TLS, origins or limits", () => {
    assert.deepEqual(parseCliConfig(["start"], {}), {
      command: "start",
      host: "0.0.0.0",
      port: 8080,
      quiet: false,
      limits: {},
      workers: 1,
      logLevel: "info",
      logFormat: "plain",
      stopGrace: 0,
    });
  });

  test("no arguments at all means help", () => {
    assert.equal(parseCliConfig([], {}).command, "help");
  });

  test("unrelated environment variables change nothing", () => {
    assert.deepEqual(
      parseCliConfig(["start"], { PORT: "1234", HOST: "::1", HOME: "/x" }),
      parseCliConfig(["start"], {}),
    );
  });
});

describe("parseCliConfig: every option", () => {
  for (const [flag, envName, raw, value, at] of VALUED) {
    test(`${flag} ${raw} sets ${at}`, () => {
      assert.deepEqual(
        pick(parseCliConfig(["start", flag, raw], {}), at),
        value,
      );
    });

    test(`${flag}=${raw} (one argument) sets ${at}`, () => {
      assert.deepEqual(
        pick(parseCliConfig(["start", `${flag}=${raw}`], {}), at),
        value,
      );
    });

    test(`${envName}=${raw} sets ${at} without the flag`, () => {
      assert.deepEqual(
        pick(parseCliConfig(["start"], { [envName]: raw }), at),
        value,
      );
    });
  }

  test("--tls-cert and --tls-key set both paths", () => {
    const config = parseCliConfig([
      "start",
      "--tls-cert",
      "cert.pem",
      "--tls-key=key.pem",
    ], {});
    assert.equal(config.tlsCert, "cert.pem");
    assert.equal(config.tlsKey, "key.pem");
  });

  test("WEBSOCKET_TLS_CERT and WEBSOCKET_TLS_KEY set both paths", () => {
    const config = parseCliConfig(["start"], {
      WEBSOCKET_TLS_CERT: "/etc/cert.pem",
      WEBSOCKET_TLS_KEY: "/etc/key.pem",
    });
    assert.equal(config.tlsCert, "/etc/cert.pem");
    assert.equal(config.tlsKey, "/etc/key.pem");
  });

  test("all limits together land in limits and nowhere else", () => {
    const config = parseCliConfig([
      "start",
      "--max-message-size",
      "1",
      "--max-connections",
      "2",
      "--max-connections-per-ip",
      "3",
      "--ping-interval",
      "4",
      "--idle-timeout",
      "5",
    ], {});
    assert.deepEqual(config, {
      command: "start",
      host: "0.0.0.0",
      port: 8080,
      quiet: false,
      limits: {
        maxMessageSize: 1,
        maxConnections: 2,
        maxConnectionsPerIp: 3,
        pingInterval: 4,
        idleTimeout: 5,
      },
      workers: 1,
      logLevel: "info",
      logFormat: "plain",
      stopGrace: 0,
    });
  });

  test("0 is a valid limit (0 disables the ping or the idle timeout)", () => {
    const config = parseCliConfig([
      "start",
      "--ping-interval",
      "0",
      "--idle-timeout=0",
    ], {});
    assert.deepEqual(config.limits, { pingInterval: 0, idleTimeout: 0 });
  });

  test("--origins splits on commas, trims and drops empty items", () => {
    const config = parseCliConfig([
      "start",
      "--origins",
      " https://a.test, https://b.test ,,",
    ], {});
    assert.deepEqual(config.origins, ["https://a.test", "https://b.test"]);
  });

  test("--origins * is kept as the wildcard", () => {
    assert.deepEqual(
      parseCliConfig(["start", "--origins", "*"], {}).origins,
      ["*"],
    );
  });

  test("an empty --origins list is an error, not a list that rejects every origin", () => {
    assert.throws(
      () => parseCliConfig(["start", "--origins="], {}),
      (error: unknown) =>
        error instanceof CliError &&
        error.message === "Empty list for --origins",
    );
    assert.throws(
      () => parseCliConfig(["start", "--origins", " , "], {}),
      (error: unknown) =>
        error instanceof CliError &&
        error.message === "Empty list for --origins",
    );
  });

  test("--port 0 (an ephemeral port) and --port 65535 are valid", () => {
    assert.equal(parseCliConfig(["start", "--port", "0"], {}).port, 0);
    assert.equal(parseCliConfig(["start", "--port", "65535"], {}).port, 65535);
  });

  test("--quiet and -q silence the connection log", () => {
    assert.equal(parseCliConfig(["start", "--quiet"], {}).quiet, true);
    assert.equal(parseCliConfig(["start", "-q"], {}).quiet, true);
    assert.equal(parseCliConfig(["start"], {}).quiet, false);
  });

  test("options may come before the command", () => {
    const config = parseCliConfig(["--port", "9000", "--quiet", "start"], {});
    assert.equal(config.command, "start");
    assert.equal(config.port, 9000);
    assert.equal(config.quiet, true);
  });

  test("a repeated flag keeps its last value", () => {
    assert.equal(
      parseCliConfig(["start", "--port", "1", "--port=2"], {}).port,
      2,
    );
  });

  test("an --opt=value value may itself contain '=' and start with '--'", () => {
    assert.equal(
      parseCliConfig(["start", "--handler=./a=b.ts"], {}).handler,
      "./a=b.ts",
    );
    assert.equal(
      parseCliConfig(["start", "--handler=--odd.ts"], {}).handler,
      "--odd.ts",
    );
  });

  test("does not modify the arguments or the environment it is given", () => {
    const args = ["start", "--port", "9000"];
    const env = { WEBSOCKET_HOST: "127.0.0.1" };
    parseCliConfig(args, env);
    assert.deepEqual(args, ["start", "--port", "9000"]);
    assert.deepEqual(env, { WEBSOCKET_HOST: "127.0.0.1" });
  });
});

describe("parseCliConfig: flags over environment over defaults", () => {
  const OTHER: Record<string, string> = {
    "--host": "10.0.0.1",
    "--port": "7000",
    "--handler": "./env.ts",
    "--origins": "https://env.test",
    "--max-message-size": "77",
    "--max-connections": "77",
    "--max-connections-per-ip": "77",
    "--ping-interval": "77",
    "--idle-timeout": "77",
    "--log-level": "error",
    "--log-format": "plain",
    "--socket": "/env.sock",
    "--stop-grace": "77",
  };
  for (const [flag, envName, raw, value, at] of VALUED) {
    test(`${flag} wins over ${envName}`, () => {
      const config = parseCliConfig(["start", flag, raw], {
        [envName]: OTHER[flag],
      });
      assert.deepEqual(pick(config, at), value);
    });
  }

  test("each value comes from its own best source: flag, else environment, else default", () => {
    const config = parseCliConfig(["start", "--port", "9000"], {
      WEBSOCKET_PORT: "7000",
      WEBSOCKET_HOST: "127.0.0.1",
    });
    assert.equal(config.port, 9000);
    assert.equal(config.host, "127.0.0.1");
    assert.equal(config.handler, undefined);
    assert.deepEqual(config.limits, {});
  });

  test("--tls-key from the flag pairs with WEBSOCKET_TLS_CERT from the environment", () => {
    const config = parseCliConfig(["start", "--tls-key", "flag.key"], {
      WEBSOCKET_TLS_CERT: "env.pem",
      WEBSOCKET_TLS_KEY: "env.key",
    });
    assert.equal(config.tlsCert, "env.pem");
    assert.equal(config.tlsKey, "flag.key");
  });

  test("an empty or blank environment variable counts as unset", () => {
    const config = parseCliConfig(["start"], {
      WEBSOCKET_HOST: "",
      WEBSOCKET_PORT: "  ",
      WEBSOCKET_MAX_CONNECTIONS: "",
    });
    assert.equal(config.host, "0.0.0.0");
    assert.equal(config.port, 8080);
    assert.deepEqual(config.limits, {});
  });

  test("a valid flag wins over an invalid environment value, which is then not an error", () => {
    const config = parseCliConfig(["start", "--port", "9000"], {
      WEBSOCKET_PORT: "not-a-port",
    });
    assert.equal(config.port, 9000);
  });
});

describe("parseCliConfig: commands and help", () => {
  for (const args of [["--help"], ["-h"], ["help"]]) {
    test(`${args[0]} asks for help`, () => {
      assert.equal(parseCliConfig(args, {}).command, "help");
    });
  }

  test("--help after start still asks for help", () => {
    assert.equal(parseCliConfig(["start", "--help"], {}).command, "help");
  });

  test("--help before start still asks for help", () => {
    assert.equal(parseCliConfig(["--help", "start"], {}).command, "help");
  });

  test("rejects an unknown command", () => {
    assert.equal(parseError(["stop"]).message, "Unknown command: stop");
  });

  test("rejects a second, unknown positional argument", () => {
    assert.equal(
      parseError(["start", "extra"]).message,
      "Unknown command: extra",
    );
  });
});

describe("parseCliConfig: bad input is a one-line CliError", () => {
  const cases: ReadonlyArray<
    [
      label: string,
      args: string[],
      env: Record<string, string>,
      message: string,
    ]
  > = [
    ["an unknown option", ["start", "--nope"], {}, "Unknown option: --nope"],
    [
      "an unknown option in --opt=value form",
      ["start", "--nope=1"],
      {},
      "Unknown option: --nope",
    ],
    ["a single-dash unknown option", ["start", "-x"], {}, "Unknown option: -x"],
    [
      "a value missing at the end",
      ["start", "--port"],
      {},
      "Missing value for --port",
    ],
    [
      "a value replaced by the next option",
      ["start", "--host", "--quiet"],
      {},
      "Missing value for --host",
    ],
    [
      "a non-numeric port",
      ["start", "--port", "abc"],
      {},
      "Invalid port in --port: abc",
    ],
    [
      "a port above 65535",
      ["start", "--port", "65536"],
      {},
      "Invalid port in --port: 65536",
    ],
    [
      "a negative port",
      ["start", "--port", "-1"],
      {},
      "Invalid port in --port: -1",
    ],
    [
      "a fractional port",
      ["start", "--port=80.5"],
      {},
      "Invalid port in --port: 80.5",
    ],
    [
      "a hexadecimal port",
      ["start", "--port", "0x50"],
      {},
      "Invalid port in --port: 0x50",
    ],
    [
      "a port with spaces",
      ["start", "--port", " 80"],
      {},
      "Invalid port in --port:  80",
    ],
    ["an empty --port=", ["start", "--port="], {}, "Invalid port in --port: "],
    [
      "a bad port in the environment, naming the variable",
      ["start"],
      { WEBSOCKET_PORT: "99999" },
      "Invalid port in WEBSOCKET_PORT: 99999",
    ],
    [
      "a non-numeric limit",
      ["start", "--max-connections", "many"],
      {},
      "Invalid number in --max-connections: many",
    ],
    [
      "a negative limit",
      ["start", "--idle-timeout=-5"],
      {},
      "Invalid number in --idle-timeout: -5",
    ],
    [
      "a fractional limit",
      ["start", "--ping-interval", "1.5"],
      {},
      "Invalid number in --ping-interval: 1.5",
    ],
    [
      "a limit beyond the safe integers",
      ["start", "--max-message-size", "9007199254740993"],
      {},
      "Invalid number in --max-message-size: 9007199254740993",
    ],
    [
      "a bad limit in the environment, naming the variable",
      ["start"],
      { WEBSOCKET_MAX_CONNECTIONS_PER_IP: "1e3" },
      "Invalid number in WEBSOCKET_MAX_CONNECTIONS_PER_IP: 1e3",
    ],
    [
      "an empty --host=",
      ["start", "--host="],
      {},
      "Empty value for --host",
    ],
    [
      "a blank --handler",
      ["start", "--handler", "  "],
      {},
      "Empty value for --handler",
    ],
    [
      "--tls-cert without --tls-key",
      ["start", "--tls-cert", "cert.pem"],
      {},
      "TLS needs both --tls-cert and --tls-key",
    ],
    [
      "--tls-key without --tls-cert",
      ["start", "--tls-key=key.pem"],
      {},
      "TLS needs both --tls-cert and --tls-key",
    ],
    [
      "WEBSOCKET_TLS_CERT without a key",
      ["start"],
      { WEBSOCKET_TLS_CERT: "cert.pem" },
      "TLS needs both --tls-cert and --tls-key",
    ],
  ];

  for (const [label, args, env, message] of cases) {
    test(`rejects ${label}: "${message}"`, () => {
      const error = parseError(args, env);
      assert.equal(error.message, message);
      assert.equal(error.message.includes("\n"), false);
      // Capital letter first, no trailing period.
      assert.match(error.message, /^[A-Z]/);
      assert.doesNotMatch(error.message, /\.$/);
    });
  }
});

describe("CliError", () => {
  test("is an Error named CliError carrying its message", () => {
    const error = new CliError("Invalid port: abc");
    assert.ok(error instanceof Error);
    assert.equal(error.name, "CliError");
    assert.equal(error.message, "Invalid port: abc");
  });
});

describe("parseCliConfig: logs, metrics, socket", () => {
  test("--metrics alone serves /metrics; --metrics=PATH another path", () => {
    assert.equal(parseCliConfig(["start"], {}).metrics, undefined);
    assert.equal(
      parseCliConfig(["start", "--metrics"], {}).metrics,
      "/metrics",
    );
    assert.equal(
      parseCliConfig(["start", "--metrics=/stats"], {}).metrics,
      "/stats",
    );
  });

  test("WEBSOCKET_METRICS takes a path, or yes and no", () => {
    const metrics = (value: string) =>
      parseCliConfig(["start"], { WEBSOCKET_METRICS: value }).metrics;
    assert.equal(metrics("/m"), "/m");
    assert.equal(metrics("true"), "/metrics");
    assert.equal(metrics("1"), "/metrics");
    assert.equal(metrics("false"), undefined);
    assert.throws(
      () => metrics("metrics"),
      /Invalid path in WEBSOCKET_METRICS/,
    );
  });

  test("a log level or format outside the list is a one-line error", () => {
    assert.throws(
      () => parseCliConfig(["start", "--log-level", "loud"], {}),
      /^CliError: Invalid log level in --log-level: loud \(debug, info, warn, error or silent\)$/,
    );
    assert.throws(
      () => parseCliConfig(["start"], { WEBSOCKET_LOG_FORMAT: "xml" }),
      /Invalid log format in WEBSOCKET_LOG_FORMAT: xml \(plain or json\)/,
    );
  });
});

describe("CLI_USAGE", () => {
  test("starts with the synopsis line", () => {
    assert.equal(CLI_USAGE.split("\n")[0], "Usage: anyws start [options]");
  });

  test("documents every option and its environment variable", () => {
    const names = [
      ...VALUED.flatMap(([flag, envName]) => [flag, envName]),
      "--tls-cert",
      "WEBSOCKET_TLS_CERT",
      "--tls-key",
      "WEBSOCKET_TLS_KEY",
      "--metrics",
      "WEBSOCKET_METRICS",
      "--quiet",
      "--help",
    ];
    for (const name of names) {
      assert.ok(
        new RegExp(`(^|[\\s\\[])${name}[\\s\\]]`, "m").test(CLI_USAGE),
        `CLI_USAGE does not mention ${name}`,
      );
    }
  });

  test("the defaults it states are the parser's defaults", () => {
    const config = parseCliConfig(["start"], {});
    assert.match(CLI_USAGE, /--host H .*\(0\.0\.0\.0\)/);
    assert.match(CLI_USAGE, /--port P .*\(8080\)/);
    assert.equal(config.host, "0.0.0.0");
    assert.equal(config.port, 8080);
  });

  test("every option it lists is accepted by the parser", () => {
    const listed = [...CLI_USAGE.matchAll(/^ {2}(--[a-z-]+)( \S+)?/gm)];
    assert.deepEqual(
      listed.map(([, flag]) => flag).sort(),
      [
        ...VALUED.map(([flag]) => flag),
        "--tls-cert",
        "--tls-key",
        "--metrics",
        "--quiet",
        "--help",
      ].sort(),
    );
    const samples = new Map(VALUED.map(([flag, , raw]) => [flag, raw]));
    for (const [, flag, takesValue] of listed) {
      const args = takesValue === undefined ? ["start", flag] : [
        "start",
        `${flag}=${flag === "--redis" ? "redis://r.test" : "1"}`,
        `${flag}=${samples.get(flag) ?? "1"}`,
        ...(flag === "--tls-cert"
          ? ["--tls-key=1"]
          : flag === "--tls-key"
          ? ["--tls-cert=1"]
          : []),
      ];
      assert.doesNotThrow(() => parseCliConfig(args, {}), `${flag}`);
    }
  });
});

describe("parseCliConfig: clusters and workers", () => {
  test("--redis and WEBSOCKET_REDIS_URL set the backplane URL (redis:// or rediss://)", () => {
    assert.equal(
      parseCliConfig(["start", "--redis", "redis://10.0.0.5:6379"], {}).redis,
      "redis://10.0.0.5:6379",
    );
    assert.equal(
      parseCliConfig(["start"], { WEBSOCKET_REDIS_URL: "rediss://r.test" })
        .redis,
      "rediss://r.test",
    );
    assert.match(
      parseError(["start", "--redis", "http://x"]).message,
      /^Invalid Redis URL in --redis: http:\/\/x/,
    );
  });

  test("--workers N, WEBSOCKET_WORKERS, and auto (one per core)", () => {
    const redis = ["--redis", "redis://127.0.0.1:6379"];
    assert.equal(
      parseCliConfig(["start", "--workers", "4", ...redis], {}).workers,
      4,
    );
    assert.equal(
      parseCliConfig(["start", ...redis], { WEBSOCKET_WORKERS: "3" }).workers,
      3,
    );
    assert.equal(
      parseCliConfig(["start", "--workers", "auto", ...redis], {}, {
        cores: 8,
      }).workers,
      8,
    );
    for (const bad of ["0", "-1", "1.5", "many", "1025"]) {
      assert.match(
        parseError(["start", `--workers=${bad}`, ...redis]).message,
        /^Invalid number of workers in --workers: .* \(1 to 1024, or auto\)$/,
      );
    }
  });

  test("more than one worker without a backplane is refused: rooms would split", () => {
    assert.match(
      parseError(["start", "--workers", "2"]).message,
      /^--workers 2 needs a backplane: add --redis URL \(or WEBSOCKET_REDIS_URL\)/,
    );
    assert.equal(parseCliConfig(["start", "--workers", "1"], {}).workers, 1);
    assert.equal(
      parseCliConfig(["start", "--workers", "auto"], {}, { cores: 1 }).workers,
      1,
    );
  });
});
