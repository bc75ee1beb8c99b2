// Bundles the page with esbuild: src/experiment.js (jsPsych and its plugins included) becomes
// experiment.js, the CSS it imports (jsPsych's own and ours) becomes experiment.css, and
// index.html is copied next to them; src/calibration.js (Chart.js included) becomes calibration.js beside
// calibration.html, the live model-vs-people picture. Nothing is loaded from a CDN at run time.
// Output folder: the first argument, else $LWISE_WEB_OUT, else dist/.
import * as esbuild from "esbuild";
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = resolve(process.argv[2] || process.env.LWISE_WEB_OUT || join(root, "dist"));

mkdirSync(out, { recursive: true });
await esbuild.build({
  entryPoints: { experiment: join(root, "src", "experiment.js"), calibration: join(root, "src", "calibration.js") },
  bundle: true,
  format: "esm",
  target: ["es2020"],
  // Left readable instead of minified with source maps: small enough, and debuggable as served.
  minify: false,
  legalComments: "inline",
  outdir: out,
  logLevel: "warning",
});
copyFileSync(join(root, "index.html"), join(out, "index.html"));
copyFileSync(join(root, "calibration.html"), join(out, "calibration.html"));
console.log(`experiment page written to ${out}`);
