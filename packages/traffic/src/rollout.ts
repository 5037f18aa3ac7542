import type { Routing } from "@iter8/spec";

/** The routing with the route's split set to `weight`% candidate, the rest baseline (others 0). */
export function withCandidateWeight(
  routing: Routing,
  routeIndex: number,
  baseline: string,
  candidate: string,
  weight: number,
): Routing {
  const routes = routing.routes.map((route, index) => {
    if (index !== routeIndex) return route;
    const names = route.split.map((w) => w.version);
    for (const name of [baseline, candidate]) if (!names.includes(name)) names.push(name);
    // Baseline first, so hash affinity's cumulative ranges move users only toward the candidate.
    const ordered = [
      baseline,
      candidate,
      ...names.filter((n) => n !== baseline && n !== candidate),
    ];
    const split = ordered.map((version) => ({
      version,
      weight: version === candidate ? weight : version === baseline ? 100 - weight : 0,
    }));
    return { ...route, split };
  });
  return { ...routing, routes };
}
