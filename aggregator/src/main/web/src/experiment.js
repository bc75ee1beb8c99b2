// Demo L-WISE training experiment fed by live difficulty scores from the L-WISE Stream API.
//
// URL parameters: dataset (default: the first the API lists), per_class (2), seed (random, shown),
// api (default: this origin's /api/v1, so the page can live on another origin), condition_idx (0:
// the between-subjects arm recorded with every answer, as in L-WISE), feedback_ms (1000).
import { initJsPsych } from "jspsych";
import htmlButtonResponse from "@jspsych/plugin-html-button-response";
import instructions from "@jspsych/plugin-instructions";
import preload from "@jspsych/plugin-preload";
import "jspsych/css/jspsych.css";
import "./experiment.css";
import { ApiError, getJson } from "./api.js";
import {
  chooseBlock,
  curriculumQuery,
  imageKey,
  interleaveByRank,
  planBlocks,
  summarize,
  urlFor,
} from "./curriculum.js";

const params = readParams(new URLSearchParams(location.search));
const sessionId = randomId();

// What happened so far, for people and for browser tests (see the README).
const state = {
  dataset: null,
  job_id: null,
  seed: params.seed,
  per_class: params.perClass,
  api: params.api,
  session_id: sessionId,
  status: "loading", // loading → running → finished, or error
  error: null,
  current_block: -1,
  blocks: [],
  liveImages: [],
  trials: [],
};
window.lwiseExperiment = state;

// Internal per-block bookkeeping; state.blocks exposes the same `images` arrays.
let blocks = [];
let classes = [];
let events = null;

if (params.error) showError(params.error);
else main().catch(showError);

async function main() {
  const { datasets } = await getJson(`${params.api}/datasets`, { onRetry: showWaiting });
  if (!datasets?.length) throw new ApiError("the API lists no datasets yet: run a job first", 404);
  const dataset = params.dataset
    ? datasets.find((d) => d.dataset === params.dataset)
    : datasets[0];
  if (!dataset) {
    const known = datasets.map((d) => d.dataset).join(", ");
    throw new ApiError(`dataset '${params.dataset}' not found (known: ${known})`, 404);
  }
  state.dataset = dataset.dataset;
  state.job_id = dataset.job_id;
  classes = dataset.classes;

  // Open the event stream before asking for the curriculum, so no image scored in between is missed
  // (one already in a block is recognised and skipped).
  listenForNewImages(dataset.dataset);

  const plan = planBlocks(dataset.conditions);
  const url = `${params.api}/datasets/${encodeURIComponent(dataset.dataset)}/curriculum?${curriculumQuery(plan, params.perClass, params.seed)}`;
  const curriculum = await getJson(url, { onRetry: showWaiting });
  blocks = curriculum.blocks.map((b, k) => {
    const images = interleaveByRank(b.images, classes).map((im) => summarize(im, im.url));
    return {
      index: k,
      easiest: b.easiest,
      condition: b.condition,
      images,
      vars: images.map((image) => ({ image })),
      liveClasses: new Set(),
      started: false,
    };
  });
  state.blocks = blocks.map((b) => ({ easiest: b.easiest, condition: b.condition, images: b.images }));
  // Images that arrived while the curriculum was loading.
  for (const live of state.liveImages) if (live.block === null) place(live);

  state.status = "running";
  renderStatus();
  await run();
}

async function run() {
  const jsPsych = initJsPsych({ display_element: document.getElementById("lwise-experiment") });
  // jsPsych's own data (every trial, trial_outcome included), e.g. for tests or a download.
  state.jsPsychData = () => jsPsych.data.get().values();
  const trial = () => jsPsych.evaluateTimelineVariable("image");
  let lastOutcome = null;

  const stimulus = (block) => ({
    type: htmlButtonResponse,
    stimulus: () => imageHtml(trial(), block),
    choices: classes.map(escapeHtml),
    prompt: "<p>Which class is this?</p>",
    grid_columns: Math.min(5, classes.length),
    on_finish: (data) => {
      const image = trial();
      const correct = classes.indexOf(image.class);
      lastOutcome = {
        // The answer's position in the session: its id on the server, so posting it again counts once.
        trial_index: state.trials.length,
        stimulus_image_url: image.url,
        class: image.class,
        i_choice: data.response,
        i_correct_choice: correct,
        perf: data.response === correct ? 1 : 0,
        reaction_time_msec: data.rt,
        block: block.index,
        trial_type: "train",
        condition_idx: params.conditionIdx,
        dataset: state.dataset,
        job_id: image.job_id,
        row_index: image.row_index,
        condition_id: block.condition,
        difficulty: image.difficulty,
        live: Boolean(image.live),
      };
      data.trial_outcome = lastOutcome;
      state.trials.push(lastOutcome);
      // Each answer goes to the server at once (the closed loop); the end of the session sends all again.
      postOutcomes([lastOutcome]);
    },
  });

  const feedback = {
    type: htmlButtonResponse,
    stimulus: () =>
      lastOutcome.perf === 1
        ? `<p class="lwise-feedback correct">Correct: ${escapeHtml(lastOutcome.class)}</p>`
        : `<p class="lwise-feedback incorrect">Incorrect. It was: ${escapeHtml(lastOutcome.class)}</p>`,
    choices: [],
    trial_duration: params.feedbackMs,
    response_ends_trial: false,
  };

  const blockTimeline = (block) => ({
    // Called as the block begins: from here on, newly scored images go to later blocks only.
    conditional_function: () => {
      block.started = true;
      state.current_block = block.index;
      renderStatus();
      return block.vars.length > 0;
    },
    timeline: [
      {
        type: preload,
        // A function, so that images appended before the block began are preloaded too.
        images: () => block.images.map((im) => im.url),
        message: `<p>Loading block ${block.index + 1} of ${blocks.length} …</p>`,
        error_message: "<p>Some images could not be loaded; see the browser console.</p>",
        on_error: (url) => console.error(`image failed to load: ${url}`),
      },
      // block.vars grows while the block waits; jsPsych reads it when this timeline starts.
      { timeline: [stimulus(block), feedback], timeline_variables: block.vars },
    ],
  });

  const intro = {
    type: instructions,
    pages: [introHtml()],
    show_clickable_nav: true,
    button_label_next: "Start",
  };

  await jsPsych.run([intro, ...blocks.map(blockTimeline)]);
  events?.close();
  state.status = "finished";
  renderStatus();
  const correct = state.trials.filter((t) => t.perf === 1).length;
  document.getElementById("lwise-experiment").innerHTML =
    `<div class="jspsych-content"><p>Done: ${correct} of ${state.trials.length} correct. Thank you!</p></div>`;
  await postOutcomes(state.trials);
}

// Newly scored training images join blocks that have not begun yet.
function listenForNewImages(dataset) {
  if (typeof EventSource === "undefined") return;
  events = new EventSource(`${params.api}/events?dataset=${encodeURIComponent(dataset)}`);
  events.addEventListener("image", (event) => {
    let image;
    try {
      image = JSON.parse(event.data);
    } catch (e) {
      console.warn("unreadable image event", e);
      return;
    }
    if (image.split !== "train" || !classes.includes(image.class)) return;
    const live = { ...summarize(image, image.url), urls: image.urls ?? {}, block: null };
    state.liveImages.push(live);
    if (blocks.length) place(live);
    renderStatus();
  });
  // People's answers so far against the model: the live calibration (closed loop).
  events.addEventListener("calibration", (event) => {
    try {
      const calibration = JSON.parse(event.data);
      state.calibration = calibration;
      const rho = calibration.overall?.spearman?.r;
      const shown = document.getElementById("lwise-calibration");
      if (shown) {
        shown.textContent = `${calibration.trials} answers` +
          (rho == null ? "" : `, model vs people: Spearman ρ = ${rho.toFixed(2)} over ${calibration.overall.n} images`);
      }
    } catch (e) {
      console.warn("unreadable calibration event", e);
    }
  });
  // The browser reconnects by itself; a closed stream only means no more live images.
  events.addEventListener("error", () => {
    if (events.readyState === EventSource.CLOSED) console.warn("event stream closed: no more live images");
  });
}

function place(live) {
  if (blocks.some((b) => b.images.some((im) => imageKey(im) === imageKey(live)))) {
    live.block = "duplicate";
    return;
  }
  const firstOpen = blocks.findIndex((b) => !b.started);
  if (firstOpen < 0) return;
  const k = chooseBlock(blocks, live, firstOpen);
  if (k < 0) return;
  const block = blocks[k];
  const image = { ...summarize(live, urlFor(live, block.condition)), live: true };
  block.images.push(image);
  block.vars.push({ image });
  block.liveClasses.add(live.class);
  live.block = k;
}

/**
 * Sends every answer to the API at the end of the session. The endpoint arrives with a later
 * issue: until then the server answers 404, which is not an error for this page.
 */
export async function postOutcomes(trials) {
  try {
    const response = await fetch(`${params.api}/outcomes`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ session_id: sessionId, trials }),
    });
    if (response.status === 404) return false;
    if (!response.ok) console.error(`posting outcomes failed: ${response.status} ${response.statusText}`);
    return response.ok;
  } catch (e) {
    console.error("posting outcomes failed", e);
    return false;
  }
}

function imageHtml(image, block) {
  // data-trial: the answer's index in state.trials, so a test can tell one trial from the next.
  return `<img class="lwise-stimulus" alt="" src="${escapeHtml(image.url)}" data-trial="${state.trials.length}"
    data-row-index="${escapeHtml(image.row_index)}" data-job-id="${escapeHtml(image.job_id)}"
    data-condition="${escapeHtml(block.condition)}" data-difficulty="${escapeHtml(image.difficulty)}">`;
}

function introHtml() {
  const list = classes.map((c) => `<li>${escapeHtml(c)}</li>`).join("");
  return `<div style="max-width: 640px; text-align: left">
    <p>You will learn to tell apart ${classes.length} classes of images:</p><ul>${list}</ul>
    <p>There are ${blocks.length} blocks. Early blocks show the easiest images, made easier still;
    later blocks show harder, unmodified images. After each answer you will see the right class.</p>
  </div>`;
}

function renderStatus() {
  const el = document.getElementById("lwise-status");
  const arrived = state.liveImages.length;
  const added = state.liveImages.filter((l) => typeof l.block === "number").length;
  const parts = [
    `dataset <b>${escapeHtml(state.dataset ?? "?")}</b>`,
    `job ${escapeHtml(state.job_id ?? "?")}`,
    `seed <b id="lwise-seed">${escapeHtml(state.seed)}</b>`,
    `${state.per_class} per class`,
  ];
  if (state.status === "finished") parts.push("finished");
  else if (state.current_block >= 0) parts.push(`block ${state.current_block + 1} of ${blocks.length}`);
  parts.push(
    `<span id="lwise-live" class="${arrived ? "lwise-live" : ""}">${arrived} new images arrived` +
      (arrived ? ` (${added} added to later blocks)` : "") + "</span>",
  );
  el.innerHTML = parts.map((p) => `<span>${p}</span>`).join("");
}

function showWaiting(message, seconds) {
  document.getElementById("lwise-status").textContent = `The API is not ready (${message}); retrying in ${seconds} s …`;
}

function showError(error) {
  state.status = "error";
  state.error = error.message;
  events?.close();
  console.error(error);
  const el = document.getElementById("lwise-error");
  el.textContent = `Error: ${error.message}`;
  el.hidden = false;
  renderStatus();
}

function readParams(query) {
  const errors = [];
  const int = (name, fallback) => {
    const raw = query.get(name);
    if (raw === null || raw === "") return fallback;
    const value = Number(raw);
    if (Number.isInteger(value) && value >= 0) return value;
    errors.push(`URL parameter ${name} must be a whole number, not '${raw}'`);
    return fallback;
  };
  return {
    dataset: query.get("dataset") || null,
    perClass: int("per_class", 2),
    // Random unless given, and always shown, so that a session can be repeated.
    seed: int("seed", Math.floor(Math.random() * 2 ** 31)),
    api: (query.get("api") || `${location.origin}/api/v1`).replace(/\/+$/, ""),
    conditionIdx: int("condition_idx", 0),
    feedbackMs: int("feedback_ms", 1000),
    error: errors.length ? new Error(errors.join("; ")) : null,
  };
}

// crypto.randomUUID needs a secure context; getRandomValues works on plain http too.
function randomId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
