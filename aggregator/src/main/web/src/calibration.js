// The live calibration of a dataset (GET /api/v1/datasets/{d}/calibration) as a picture: each
// answered image's robust_gt_logit against people's accuracy, the fitted calibration curve, and the
// accuracy of each condition. Redrawn on every `calibration` server-sent event.
import { Chart, LinearScale, LineController, LineElement, PointElement, ScatterController, Legend, Title, Tooltip }
  from "chart.js";

Chart.register(LinearScale, LineController, LineElement, PointElement, ScatterController, Legend, Title, Tooltip);

const query = new URLSearchParams(location.search);
const api = query.get("api") || new URL("../api/v1", location.href).href.replace(/\/$/, "");
const state = (window.lwiseCalibration = { status: "loading", chart: null, calibration: null });

async function main() {
  let dataset = query.get("dataset");
  if (!dataset) {
    const datasets = await getJson(`${api}/datasets`);
    if (!datasets.datasets.length) throw new Error("no dataset has been submitted yet");
    dataset = datasets.datasets[0].dataset;
  }
  const url = `${api}/datasets/${encodeURIComponent(dataset)}/calibration` +
    (query.get("min_trials") ? `?min_trials=${encodeURIComponent(query.get("min_trials"))}` : "");
  draw(await getJson(url));
  const events = new EventSource(`${api}/events?dataset=${encodeURIComponent(dataset)}`);
  events.addEventListener("calibration", (event) => draw(JSON.parse(event.data)));
}

async function getJson(url) {
  const response = await fetch(url);
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || `${url}: ${response.status}`);
  return body;
}

function draw(calibration) {
  state.calibration = calibration;
  const overall = calibration.overall;
  const r = (c) => (c.r == null ? "—" : `${c.r.toFixed(2)} [${c.ci_low.toFixed(2)}, ${c.ci_high.toFixed(2)}]`);
  document.getElementById("lwise-title").textContent = `Model difficulty vs people: ${calibration.dataset}`;
  document.getElementById("lwise-summary").textContent =
    `${calibration.trials} answers on ${calibration.images_answered} images; ` +
    `${overall.n} images with at least ${calibration.min_trials}: Spearman ${r(overall.spearman)}, ` +
    `Pearson ${r(overall.pearson)}`;
  const points = calibration.images.map((i) => ({ x: i.robust_gt_logit, y: i.accuracy, trials: i.trials }));
  const curve = calibration.curve ? calibration.curve.points.map((p) => ({ x: p.robust_gt_logit, y: p.predicted_accuracy })) : [];
  const data = {
    datasets: [
      { type: "scatter", label: "image: people's accuracy", data: points, backgroundColor: "rgba(40, 90, 200, 0.55)",
        pointRadius: (ctx) => Math.min(8, 2 + Math.sqrt(ctx.raw?.trials ?? 1)) },
      { type: "line", label: "calibration: chance + (1 − chance)·σ(a + b·logit)", data: curve, borderColor: "#d2492a",
        pointRadius: 0, borderWidth: 2 },
    ],
  };
  if (state.chart) {
    state.chart.data = data;
    state.chart.update();
  } else {
    state.chart = new Chart(document.getElementById("lwise-calibration-chart"), {
      data,
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: {
          x: { type: "linear", title: { display: true, text: "robust_gt_logit (model: higher = easier)" } },
          y: { min: 0, max: 1, title: { display: true, text: "people's accuracy" } },
        },
      },
    });
  }
  const rows = calibration.conditions.map((c) =>
    `<tr><td>${c.condition}</td><td>${c.eps}</td><td>${c.trials}</td>` +
    `<td>${c.accuracy == null ? "—" : c.accuracy.toFixed(3)}</td>` +
    `<td>${c.gain_over_natural == null ? "—" : (c.gain_over_natural >= 0 ? "+" : "") + c.gain_over_natural.toFixed(3)}</td></tr>`);
  document.getElementById("lwise-conditions").innerHTML =
    "<tr><th>condition</th><th>eps</th><th>answers</th><th>accuracy</th><th>vs natural</th></tr>" + rows.join("");
  state.status = "drawn";
}

main().catch((error) => {
  state.status = "error";
  document.getElementById("lwise-error").textContent = error.message;
});
