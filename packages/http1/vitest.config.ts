import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { conditions: ["iter8-source"] },
  ssr: { resolve: { conditions: ["iter8-source"] } },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // Generous: CI has 2 cores, and integration tests run real servers and processes.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ["default", ["json", { outputFile: ".test-results/vitest.json" }]],
  },
});
