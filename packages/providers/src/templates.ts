import { fileURLToPath } from "node:url";

/**
 * The provider templates that ship in @iter8/providers (its `templates/` folder), by file name:
 * `prometheus-http.tpl` (any Prometheus, the demo app's metric names by default) and
 * `istio-prom.tpl` (Istio's standard metrics).
 */
export const BUILT_IN_TEMPLATES = ["istio-prom.tpl", "prometheus-http.tpl"] as const;

/** One of `BUILT_IN_TEMPLATES`. */
export type BuiltInTemplate = (typeof BUILT_IN_TEMPLATES)[number];

/** True when `fileName` names a provider template that ships in @iter8/providers. */
export function isBuiltInTemplate(fileName: string): fileName is BuiltInTemplate {
  return (BUILT_IN_TEMPLATES as readonly string[]).includes(fileName);
}

/** The absolute path of a provider template that ships in @iter8/providers. */
export function builtInTemplatePath(fileName: BuiltInTemplate): string {
  // src/ and dist/ are both one level below the package folder, which holds templates/.
  return fileURLToPath(new URL(`../templates/${fileName}`, import.meta.url));
}
