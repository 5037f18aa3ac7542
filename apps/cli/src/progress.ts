import type { EngineEvent } from "@iter8/engine";

/** How `iter8 run` shows progress: a live line on a terminal, or plain log lines. */
export interface ProgressView {
  onEvent: (event: EngineEvent) => void;
  /** Ends a live line so that later output starts on a fresh line. */
  close: () => void;
}

interface ProgressViewOptions {
  /** True on a terminal without NO_COLOR: the load line is rewritten in place. */
  live: boolean;
  /** Show `run` script output as it arrives. */
  debug: boolean;
  write: (text: string) => void;
}

/** Formats engine events for people: task starts, skips, failures and load progress. */
export function createProgressView(options: ProgressViewOptions): ProgressView {
  const { live, debug, write } = options;
  let lineOpen = false;
  let lastPlainAt = new Map<string, number>();
  const endLine = () => {
    if (lineOpen) write("\n");
    lineOpen = false;
  };
  const line = (text: string) => {
    endLine();
    write(`${text}\n`);
  };
  return {
    onEvent(event) {
      switch (event.type) {
        case "task-start":
          line(`[task ${event.index + 1}/${event.numTasks}] ${event.task}`);
          break;
        case "task-skipped":
          line(`[task ${event.index + 1}] ${event.task} skipped: if: ${event.condition} is false`);
          break;
        case "task-failed":
          line(`[task ${event.index + 1}] ${event.task} failed: ${event.message}`);
          break;
        case "aborted":
          line(`interrupted during task ${event.index + 1}; partial result kept`);
          break;
        case "run-output":
          if (debug) line(`  ${event.stream}: ${event.text.trimEnd()}`);
          break;
        case "load-progress": {
          const p = event.progress;
          const eta = p.etaMs !== undefined ? `, ETA ${formatSeconds(p.etaMs)}` : "";
          const text =
            `  version ${event.version}: ${p.completed} requests, ${p.rate.toFixed(1)} req/s, ` +
            `${p.errors} errors, ${formatSeconds(p.elapsedMs)} elapsed${eta}`;
          if (live) {
            write(`\r\x1b[2K${text}`);
            lineOpen = true;
          } else {
            // Plain mode: at most one line every 5 seconds per version, plus the first.
            const key = `${event.index}/${event.version}`;
            const last = lastPlainAt.get(key);
            if (last === undefined || p.elapsedMs - last >= 5000) {
              lastPlainAt.set(key, p.elapsedMs);
              line(text);
            }
          }
          break;
        }
        case "task-done":
          endLine();
          lastPlainAt = new Map();
          break;
        case "result-written":
          break;
      }
    },
    close: endLine,
  };
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}
