import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineError } from "@iter8/engine";
import { LoadgenError } from "@iter8/loadgen";
import { ProviderError } from "@iter8/providers";
import { SloError } from "@iter8/slo";
import type { Iter8Error } from "@iter8/spec";
import { parseRouting, SpecError } from "@iter8/spec";
import { AbnError, AssignmentError, startTrafficProxy, TrafficError } from "@iter8/traffic";
import type { TrafficProxy } from "@iter8/traffic";
import { DemoAppListenError, DemoAppOptionError } from "@iter8/demo-app";
import { describeError, EXIT_CODES, UsageError } from "../src/errors.js";
import { main } from "../src/main.js";

describe("the exit code follows the error's kind", () => {
  it.each<[string, Iter8Error]>([
    ["ITER8_PROVIDER_TEMPLATE", new ProviderError("ITER8_PROVIDER_TEMPLATE", "x")],
    ["ITER8_PROVIDER_SPEC", new ProviderError("ITER8_PROVIDER_SPEC", "x")],
    ["ITER8_PROVIDER_JQ", new ProviderError("ITER8_PROVIDER_JQ", "x")],
    ["ITER8_ABN_INVALID", new AbnError("ITER8_ABN_INVALID", "x")],
    [
      "ITER8_ASSIGNMENT_WEIGHTS_INVALID",
      new AssignmentError("ITER8_ASSIGNMENT_WEIGHTS_INVALID", "x"),
    ],
    ["ITER8_TRAFFIC_RENDER", new TrafficError("ITER8_TRAFFIC_RENDER", "x")],
    ["ITER8_TRAFFIC_ROLLOUT_INVALID", new TrafficError("ITER8_TRAFFIC_ROLLOUT_INVALID", "x")],
    ["ITER8_STATS_INVALID", new SloError("ITER8_STATS_INVALID", "x")],
    ["ITER8_SPEC_INVALID", new SpecError("ITER8_SPEC_INVALID", "x")],
    ["ITER8_LOAD_PAYLOAD", new LoadgenError("ITER8_LOAD_PAYLOAD", "x")],
    ["ITER8_CLI_USAGE", new UsageError("x")],
    ["ITER8_DEMO_APP_OPTION_INVALID", new DemoAppOptionError("x")],
  ])("%s is invalid input: exit 2", (_code, error) => {
    expect(error.kind).toBe("invalid-input");
    expect(describeError(error, false).exitCode).toBe(EXIT_CODES.invalid);
  });

  it.each<[string, Iter8Error]>([
    ["ITER8_PROVIDER_BACKEND", new ProviderError("ITER8_PROVIDER_BACKEND", "x")],
    ["ITER8_PROVIDER_SECRET", new ProviderError("ITER8_PROVIDER_SECRET", "x")],
    ["ITER8_TRAFFIC_ADMIN", new TrafficError("ITER8_TRAFFIC_ADMIN", "x")],
    ["ITER8_ABN_STORAGE", new AbnError("ITER8_ABN_STORAGE", "x")],
    ["ITER8_TASK_FAILED", new EngineError("ITER8_TASK_FAILED", "x")],
    ["ITER8_DEMO_APP_LISTEN", new DemoAppListenError("x")],
  ])("%s is a failure: exit 1", (_code, error) => {
    expect(error.kind).toBe("failure");
    expect(describeError(error, false).exitCode).toBe(EXIT_CODES.failed);
  });
});

describe("iter8 traffic rollout with a provider template that names an unset variable", () => {
  let dir: string;
  let proxy: TrafficProxy;
  const routingText = `versions:
  - {name: v1, url: "http://127.0.0.1:9/"}
  - {name: v2, url: "http://127.0.0.1:9/"}
routes:
  - name: default
    split: [{version: v1, weight: 100}]
`;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "iter8-exit-codes-"));
    const routing = parseRouting(routingText);
    if (!routing.ok) throw new Error(JSON.stringify(routing.issues));
    // Nothing is sent through the proxy: the rollout stops before it changes any weight.
    proxy = await startTrafficProxy({ routing: routing.value, port: 0, adminPort: 0 });
    await writeFile(
      join(dir, "prometheus.tpl"),
      `url: {{ .prometheusURL }}/api/v1/query
method: GET
metrics:
- name: error-rate
  type: gauge
  params:
  - name: query
    value: 'sum(rate(errors{version="{{ .version }}"}[1m]))'
  jqExpression: .data.result[0].value[1] | tonumber
`,
    );
    await writeFile(
      join(dir, "rollout.yaml"),
      `admin: ${proxy.adminUrl}
route: default
baseline: v1
candidate: v2
steps: [50, 100]
interval: 100ms
custommetrics:
  templates: {prometheus: prometheus.tpl}
SLOs:
  - {metric: prometheus/error-rate, upperLimit: 0.05}
`,
    );
  });

  afterAll(async () => {
    await proxy.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("exits 2 (invalid input, not 1 'rolled back') and changes no weight", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = {
      out: (text: string) => out.push(text),
      err: (text: string) => err.push(text),
      progress: () => undefined,
    };
    const code = await main(["traffic", "rollout", "-f", "rollout.yaml"], {
      io,
      cwd: dir,
      env: { ITER8_PROXY_TOKEN: proxy.adminToken },
    });
    expect(err.join("\n")).toContain("template variable .prometheusURL is not set");
    expect(code).toBe(EXIT_CODES.invalid);
    expect(out).toEqual([]);
    expect(proxy.routing.routes[0]?.split).toEqual([{ version: "v1", weight: 100 }]);
    await expect(readFile(join(dir, "result.yaml"), "utf8")).rejects.toMatchObject({
      code: "ENOENT",
    });
  });
});
