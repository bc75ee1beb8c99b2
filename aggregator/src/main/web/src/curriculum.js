// Curriculum planning, kept free of the DOM and of jsPsych so that it can be tested with node --test.

// Easiest fraction of each class that training block k samples from, as in the published
// L-WISE ham4_learn_10 experiment (train_1 … train_6); the final natural block samples from the
// whole class.
export const EASIEST_FRACTIONS = [0.1, 0.25, 0.4, 0.55, 0.7, 0.85];

/**
 * The blocks of a tapering curriculum for a dataset's conditions: block k uses EASIEST_FRACTIONS[k]
 * and the k-th enhanced condition, largest eps first; the remaining blocks show natural images.
 * There is always at least one natural block (easiest fraction 1 when every slot is enhanced).
 */
export function planBlocks(conditions) {
  const natural = conditions.find((c) => Number(c.eps) === 0)?.id ?? "natural";
  // Stable sort: conditions with equal eps keep the order the API lists them in.
  const enhanced = conditions
    .filter((c) => Number(c.eps) > 0)
    .sort((a, b) => Number(b.eps) - Number(a.eps))
    .slice(0, EASIEST_FRACTIONS.length);
  const plan = EASIEST_FRACTIONS.map((easiest, k) => ({
    easiest,
    condition: k < enhanced.length ? enhanced[k].id : natural,
  }));
  if (enhanced.length === EASIEST_FRACTIONS.length) plan.push({ easiest: 1, condition: natural });
  return plan;
}

/** Query string of the one curriculum request that fetches every block. */
export function curriculumQuery(plan, perClass, seed) {
  const query = new URLSearchParams({
    split: "train",
    per_class: String(perClass),
    easiest: plan.map((b) => b.easiest).join(","),
    condition: plan.map((b) => b.condition).join(","),
    seed: String(seed),
  });
  // URLSearchParams writes "," as %2C; the API decodes either, but plain commas read better in logs.
  return query.toString().replaceAll("%2C", ",");
}

const difficultyKey = (image) => (Number.isFinite(image.difficulty) ? image.difficulty : Infinity);

/**
 * Trial order within a block: each class's easiest image first, then each class's second easiest,
 * and so on (classes in the dataset's order), so the opening trials are the easiest of every class.
 */
export function interleaveByRank(images, classes) {
  const byClass = new Map(classes.map((c) => [c, []]));
  for (const image of images) {
    if (!byClass.has(image.class)) byClass.set(image.class, []);
    byClass.get(image.class).push(image);
  }
  const lists = [...byClass.values()].map((list) => [...list].sort((a, b) => difficultyKey(a) - difficultyKey(b)));
  const depth = Math.max(0, ...lists.map((list) => list.length));
  const ordered = [];
  for (let rank = 0; rank < depth; rank++) {
    for (const list of lists) if (rank < list.length) ordered.push(list[rank]);
  }
  return ordered;
}

/** What the page keeps of an API image: enough to show it and to record the answer. */
export function summarize(image, url) {
  return {
    row_index: image.row_index,
    class: image.class,
    difficulty: image.difficulty,
    url,
    job_id: image.job_id,
  };
}

export const imageKey = (image) => `${image.job_id}#${image.row_index}`;

/** The URL of an image under a condition: its `urls` entry, or `url` for natural images. */
export function urlFor(image, condition) {
  return image.urls?.[condition] ?? (condition === "natural" ? image.url : undefined);
}

/**
 * Where a newly scored image goes: the first block at or after `firstOpen` (blocks before it have
 * started) that has no live image of its class yet and a URL for the image under its condition.
 * Returns the block index, or -1 when no block can take it.
 */
export function chooseBlock(blocks, image, firstOpen) {
  for (let k = Math.max(0, firstOpen); k < blocks.length; k++) {
    const block = blocks[k];
    if (block.liveClasses.has(image.class)) continue;
    if (urlFor(image, block.condition) === undefined) continue;
    return k;
  }
  return -1;
}
