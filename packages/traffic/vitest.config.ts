import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { conditions: ["iter8-source"] },
  ssr: { resolve: { conditions: ["iter8-source"] } },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // Load tests against real loopback servers share 2 cores with other work: allow slow runs.
    testTimeout: 60_000,
    reporters: ["default", ["json", { outputFile: ".test-results/vitest.json" }]],
  },
});
