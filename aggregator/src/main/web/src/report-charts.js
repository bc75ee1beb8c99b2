// The job report's charts: Chart.js, bundled once at build time and inlined into every report,
// so a report opens from its folder or from S3 with no network. Draws every spec in the page's
// #lwise-charts JSON onto the canvas with the spec's id, then records how many it drew.
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement,
  PointElement, ScatterController, Title, Tooltip } from "chart.js";
import { chartConfig } from "./report-chart-config.js";

Chart.register(BarController, BarElement, CategoryScale, Legend, LinearScale, LineController, LineElement,
  PointElement, ScatterController, Title, Tooltip);

const specs = JSON.parse(document.getElementById("lwise-charts").textContent);
for (const spec of specs) {
  new Chart(document.getElementById(spec.id), chartConfig(spec));
}
document.body.dataset.chartsDrawn = String(specs.length);
