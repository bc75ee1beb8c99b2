#!/usr/bin/env bash
# Start-up and small jobs: seconds from `lwise run` (embedded default, fresh output folder) to its
# first published output image (the uploader writes the local copy just before its S3 PUT), to the
# job's end; then the same command again (the job is finished) to its report: once answered from
# the run's finished-job record (no server started), once with that record removed, so the servers
# start and Kafka answers (how every re-run was answered before the record existed).
#
#   tools/bench_startup.sh [ROOT] [OUT]   ROOT: a built checkout (default: this one), OUT: scratch folder
#
# Runs the built launcher jar the way ./lwise does, without building. The job: the 300-image demo
# with the demo model and eps 1 (2 outputs per image).
set -euo pipefail
ROOT="$(cd "${1:-$(dirname "$0")/..}" && pwd)"
OUT="${2:-/tmp/lwise-bench-startup}"
DEMO="$(cd "$(dirname "$0")/.." && pwd)/demo"
export DJL_OFFLINE=true OPT_OUT_TRACKING=true OMP_NUM_THREADS=1 DJL_CACHE_DIR="${DJL_CACHE_DIR:-$HOME/.djl.ai}"
lwise() {
  java -Xmx3g -Dai.djl.offline=true -Dlwise.registry.jar="$ROOT/registry-server/target/lwise-registry-server-runner.jar" \
    -Dlwise.log.file="$OUT.log" -cp "$ROOT/launcher/target/lwise-launcher.jar:$ROOT/launcher/target/lib/*" \
    org.lwise.stream.launcher.Launcher run --dirmap "$DEMO/fashion-mnist/dirmap.csv" \
    --model "$DEMO/models/fashion-cnn-robust" --eps 1 --out "$OUT" "$@"
}
rm -rf "$OUT" "$OUT.log"
echo "$ROOT; load average $(cut -d' ' -f1-3 /proc/loadavg)"
start=$(date +%s.%N)
lwise > "$OUT.first.txt" 2>&1 &
pid=$!
first=""
while kill -0 "$pid" 2>/dev/null; do
  if [[ -z "$first" ]] && compgen -G "$OUT/fashion-mnist_natural/images/*/*.png" > /dev/null; then
    first=$(date +%s.%N)
  fi
  sleep 0.1
done
wait "$pid" || true
end=$(date +%s.%N)
printf 'first run: first image after %.1f s, job done after %.1f s\n' "$(echo "$first - $start" | bc)" "$(echo "$end - $start" | bc)"
# Where the first run's seconds went: each start-up event's first log line, in seconds after start.
day=$(date -d "@${start%.*}" +%F)
for event in 'S3 (S3Proxy) ready' 'Schema registry ready' 'Kafka broker ready' 'Created topics' 'Loaded model' \
    'Assigned partitions' 'submitted:'; do
  stamp=$(grep -m1 -F "$event" "$OUT.log" | cut -d' ' -f1 || true)
  if [[ -n "$stamp" ]]; then
    printf '  %-22s +%.1f s\n' "$event" "$(echo "$(date -d "$day $stamp" +%s.%N) - $start" | bc)"
  fi
done
start=$(date +%s.%N)
lwise > "$OUT.second.txt" 2>&1 || true
printf 're-run of the finished job: reported after %.1f s (%s)\n' "$(echo "$(date +%s.%N) - $start" | bc)" \
  "$(grep -m1 -o 'finished by an earlier run\|submitted by an earlier run; resuming it' "$OUT.second.txt" || echo '?')"
rm -rf "$OUT/.embedded/finished"
start=$(date +%s.%N)
lwise > "$OUT.third.txt" 2>&1 || true
printf 're-run without the finished-job record (servers started, Kafka asked): reported after %.1f s (%s)\n' \
  "$(echo "$(date +%s.%N) - $start" | bc)" \
  "$(grep -m1 -o 'finished by an earlier run' "$OUT.third.txt" || echo '?')"
