// The one seeded generator is the demo app's (its `--seed` draws): tests take the same one.
export { createSeededRandom } from "@iter8/demo-app";
