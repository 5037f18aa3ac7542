import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { conditions: ["iter8-source"] },
  ssr: { resolve: { conditions: ["iter8-source"] } },
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    reporters: ["default", ["json", { outputFile: ".test-results/vitest.json" }]],
  },
});
