import { test } from "node:test";
import assert from "node:assert/strict";
import { chooseBlock, curriculumQuery, interleaveByRank, planBlocks } from "../src/curriculum.js";

const cond = (id, eps) => ({ id, eps });

test("tapers enhanced conditions by eps, then natural blocks", () => {
  const plan = planBlocks([cond("natural", 0), cond("1_0.5_2_logit", 1), cond("4_0.5_8_logit", 4), cond("2_0.5_4_logit", 2)]);
  assert.deepEqual(plan, [
    { easiest: 0.1, condition: "4_0.5_8_logit" },
    { easiest: 0.25, condition: "2_0.5_4_logit" },
    { easiest: 0.4, condition: "1_0.5_2_logit" },
    { easiest: 0.55, condition: "natural" },
    { easiest: 0.7, condition: "natural" },
    { easiest: 0.85, condition: "natural" },
  ]);
});

test("six enhanced conditions get one natural block after them", () => {
  const eps = [0.25, 0.5, 1, 2, 4, 8];
  const plan = planBlocks([cond("natural", 0), ...eps.map((e) => cond(`e${e}`, e))]);
  assert.deepEqual(plan.map((b) => b.condition), ["e8", "e4", "e2", "e1", "e0.5", "e0.25", "natural"]);
  assert.equal(plan.at(-1).easiest, 1);
});

test("one request carries every block", () => {
  const query = curriculumQuery([{ easiest: 0.1, condition: "a" }, { easiest: 0.25, condition: "natural" }], 2, 7);
  assert.equal(query, "split=train&per_class=2&easiest=0.1,0.25&condition=a,natural&seed=7");
});

test("interleaves classes by rank, easiest first", () => {
  const im = (c, d) => ({ class: c, difficulty: d });
  const ordered = interleaveByRank([im("A", 0.5), im("A", 0.1), im("B", 0.3), im("B", 0.2)], ["B", "A"]);
  assert.deepEqual(ordered, [im("B", 0.2), im("A", 0.1), im("B", 0.3), im("A", 0.5)]);
});

test("a live image goes to the first open block without one of its class", () => {
  const block = (condition, liveClasses = []) => ({ condition, liveClasses: new Set(liveClasses) });
  const blocks = [block("e4"), block("e2", ["A"]), block("natural")];
  const image = { class: "A", url: "n", urls: { natural: "n", e2: "x2", e4: "x4" } };
  assert.equal(chooseBlock(blocks, image, 1), 2);
  assert.equal(chooseBlock(blocks, image, 0), 0);
  assert.equal(chooseBlock(blocks, image, 3), -1);
});
