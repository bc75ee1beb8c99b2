// Bundles the job report's charts (src/report-charts.js with Chart.js) into one minified script,
// report-charts.js, that the launcher inlines into each report. Output folder: the first argument,
// else dist/report.
import * as esbuild from "esbuild";
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = resolve(process.argv[2] || join(root, "dist", "report"));

mkdirSync(out, { recursive: true });
await esbuild.build({
  entryPoints: { "report-charts": join(root, "src", "report-charts.js") },
  bundle: true,
  // A classic script: it runs inline, where a module's import.meta would not mean anything.
  format: "iife",
  target: ["es2020"],
  // Minified: every report carries a copy.
  minify: true,
  legalComments: "inline",
  outdir: out,
  logLevel: "warning",
});
console.log(`report charts written to ${out}`);
