// Runs `npm ci` only when node_modules does not match package-lock.json, so that repeated Maven
// builds do not reinstall (npm ci always deletes node_modules first). The stamp is a copy of the
// lockfile written after a successful install; any change to the lockfile, or a missing or
// half-written node_modules, makes them differ.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const lockfile = join(root, "package-lock.json");
const stamp = join(root, "node_modules", ".lwise-installed-lock.json");

const lock = readFileSync(lockfile, "utf8");
if (existsSync(stamp) && readFileSync(stamp, "utf8") === lock) {
  console.log("node_modules is up to date with package-lock.json; npm ci skipped");
  process.exit(0);
}

// shell: true finds npm.cmd on Windows too. --ignore-scripts: esbuild's postinstall only checks its
// platform binary (installed as an optional dependency) and could try the network to fetch another.
const result = spawnSync("npm ci --no-audit --no-fund --ignore-scripts", { cwd: root, stdio: "inherit", shell: true });
if (result.status !== 0) {
  console.error(`npm ci failed (exit ${result.status ?? result.signal})`);
  process.exit(1);
}
writeFileSync(stamp, lock);
