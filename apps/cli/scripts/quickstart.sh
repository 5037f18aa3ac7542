#!/usr/bin/env bash
# The seed's quickstart, end to end, offline: builds iter8, starts the built-in demo app, runs the
# five steps verbatim in a fresh folder, prints the report, and stops the demo app.
# Usage: bash apps/cli/scripts/quickstart.sh   (from the repository root, after pnpm install)
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
cli="$root/apps/cli/dist/bin.js"

if [[ "${ITER8_SKIP_BUILD:-}" != "1" ]]; then
  echo "==> Building iter8"
  (cd "$root" && pnpm build >/dev/null)
fi

# Put `iter8` on PATH for this script, as an installed CLI would be.
bindir="$(mktemp -d)"
work="$(mktemp -d)"
printf '#!/usr/bin/env bash\nexec node "%s" "$@"\n' "$cli" > "$bindir/iter8"
chmod +x "$bindir/iter8"
export PATH="$bindir:$PATH"

demo_pid=""
cleanup() {
  if [[ -n "$demo_pid" ]] && kill -0 "$demo_pid" 2>/dev/null; then
    kill -INT "$demo_pid" 2>/dev/null || true
    wait "$demo_pid" 2>/dev/null || true
  fi
  rm -rf "$bindir" "$work"
}
trap cleanup EXIT

echo "==> Starting the demo app on http://127.0.0.1:8080"
iter8 demo-app --port 8080 > "$work/demo-app.log" 2>&1 &
demo_pid=$!
for _ in $(seq 1 100); do
  if node -e 'fetch("http://127.0.0.1:8080/healthz").then(r=>process.exit(r.ok?0:1),()=>process.exit(1))'; then
    break
  fi
  if ! kill -0 "$demo_pid" 2>/dev/null; then
    echo "The demo app did not start:" >&2
    cat "$work/demo-app.log" >&2
    exit 1
  fi
  sleep 0.1
done

cd "$work"
run() { echo; echo "\$ $*"; "$@"; }
run iter8 hub -e load-test
run cd load-test
run iter8 run
run iter8 assert -c completed -c nofailure -c slos
run iter8 gen
