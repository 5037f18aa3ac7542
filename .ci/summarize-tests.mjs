// Adds up the vitest JSON reports every package wrote and prints one closing line
// ("tests: N passed, N failed, N skipped"). Exits non-zero when a test failed or none ran.
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";

let passed = 0;
let failed = 0;
let skipped = 0;
for (const group of ["packages", "apps"]) {
  for (const name of readdirSync(group)) {
    const file = join(group, name, ".test-results", "vitest.json");
    if (!existsSync(file)) continue;
    const report = JSON.parse(readFileSync(file, "utf8"));
    passed += report.numPassedTests ?? 0;
    failed += report.numFailedTests ?? 0;
    skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    console.log(
      `${group}/${name}: ${report.numPassedTests} passed, ${report.numFailedTests} failed`,
    );
  }
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
if (failed > 0 || passed === 0) process.exitCode = 1;
