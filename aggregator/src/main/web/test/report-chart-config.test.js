import { test } from "node:test";
import assert from "node:assert/strict";
import { chartConfig, colour } from "../src/report-chart-config.js";

test("a histogram labels its bins by their edges and stacks when asked", () => {
  const config = chartConfig({ kind: "histogram", id: "h", title: "t", xLabel: "difficulty", bins: [0, 0.5, 1],
    stacked: true, series: [{ label: "a", counts: [1, 2] }, { label: "b", counts: [0, 3] }] });
  assert.equal(config.type, "bar");
  assert.deepEqual(config.data.labels, ["0.00–0.50", "0.50–1.00"]);
  assert.deepEqual(config.data.datasets.map((d) => d.data), [[1, 2], [0, 3]]);
  assert.equal(config.data.datasets[1].backgroundColor, colour(1));
  assert.equal(config.options.scales.y.stacked, true);
  assert.equal(config.options.animation, false);
  assert.equal(config.options.plugins.legend.display, true);
});

test("a histogram of one series shows its legend only when asked", () => {
  const spec = { kind: "histogram", id: "h", title: "t", bins: [0, 1], series: [{ label: "train", counts: [3] }] };
  assert.equal(chartConfig(spec).options.plugins.legend.display, false);
  assert.equal(chartConfig({ ...spec, legend: true }).options.plugins.legend.display, true);
});

test("a scatter names each point in its tooltip and may draw the diagonal", () => {
  const config = chartConfig({ kind: "scatter", id: "s", title: "t", xLabel: "x", yLabel: "y", diagonal: true,
    series: [{ label: "cats", points: [{ x: 0.25, y: 0.5, name: "a.png" }] }] });
  assert.equal(config.data.datasets.length, 2);
  assert.equal(config.data.datasets[1].type, "line");
  const label = config.options.plugins.tooltip.callbacks.label({ raw: { x: 0.25, y: 0.5, name: "a.png" }, dataset: {} });
  assert.equal(label, "a.png: (0.250, 0.500)");
});

test("an unknown kind is an error", () => {
  assert.throws(() => chartConfig({ kind: "pie" }), /unknown chart kind pie/);
});
