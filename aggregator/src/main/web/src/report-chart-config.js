// Chart.js configurations for the job report, from the chart specs the launcher writes into the
// page (kept apart from Chart.js itself so node tests can check them without a canvas).
//   histogram: { kind, id, title, xLabel, bins: [edges…], stacked, legend, series: [{ label, counts }] }
//   scatter:   { kind, id, title, xLabel, yLabel, diagonal, series: [{ label, points: [{ x, y, name }] }] }

// Tableau 10: distinguishable, and readable for the common colour-vision deficiencies.
export const PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

export function colour(i) {
  return PALETTE[i % PALETTE.length];
}

function axis(title, extra = {}) {
  return { title: { display: Boolean(title), text: title ?? "" }, ...extra };
}

function histogram(spec) {
  const labels = spec.bins.slice(0, -1).map((lo, i) => `${lo.toFixed(2)}–${spec.bins[i + 1].toFixed(2)}`);
  return {
    type: "bar",
    data: {
      labels,
      datasets: spec.series.map((s, i) => ({ label: s.label, data: s.counts, backgroundColor: colour(i) })),
    },
    options: {
      animation: false,
      responsive: false,
      plugins: { title: { display: true, text: spec.title }, legend: { display: spec.legend ?? spec.series.length > 1 } },
      scales: {
        x: axis(spec.xLabel, { stacked: Boolean(spec.stacked) }),
        y: axis("images", { stacked: Boolean(spec.stacked), beginAtZero: true, ticks: { precision: 0 } }),
      },
    },
  };
}

function scatter(spec) {
  const datasets = spec.series.map((s, i) => ({
    label: s.label,
    data: s.points,
    backgroundColor: colour(i),
    pointRadius: 3,
  }));
  if (spec.diagonal) {
    datasets.push({ type: "line", label: "y = x", data: [{ x: 0, y: 0 }, { x: 1, y: 1 }], borderColor: "#888",
      borderDash: [4, 4], pointRadius: 0, fill: false });
  }
  return {
    type: "scatter",
    data: { datasets },
    options: {
      animation: false,
      responsive: false,
      plugins: {
        title: { display: true, text: spec.title },
        legend: { display: datasets.length > 1 },
        tooltip: { callbacks: { label: (item) => `${item.raw.name ?? item.dataset.label}: (${item.raw.x.toFixed(3)}, ${item.raw.y.toFixed(3)})` } },
      },
      scales: { x: axis(spec.xLabel, { type: "linear" }), y: axis(spec.yLabel, { type: "linear" }) },
    },
  };
}

export function chartConfig(spec) {
  switch (spec.kind) {
    case "histogram":
      return histogram(spec);
    case "scatter":
      return scatter(spec);
    default:
      throw new Error(`unknown chart kind ${spec.kind}`);
  }
}
