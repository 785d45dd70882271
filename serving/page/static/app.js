// The screening page: upload → match columns → ranked list → firm detail → export.
// Every number comes from the service (POST /v1/screen); this file only wires the
// steps together and keeps the page state in one object.

import { ApiError, fetchFile, getJSON, postForm, postJsonFileForBlob } from "./api.js";
import { renderDetail } from "./detail.js";
import { $, h, replace, show } from "./dom.js";
import { bytes, count, pct } from "./format.js";
import { DEFAULT_QUESTIONS, MEANING, questionSelector, rankFor } from "./ladder.js";
import { initialMapping, loadRemembered, mappingProblems, remember, renderMapper } from "./mapper.js";
import {
  COLUMNS,
  PAGE_SIZE,
  applyFilters,
  emptyFilters,
  fillSelect,
  pageInfo,
  reasonLine,
  renderTable,
  sortRows,
  topReasons,
} from "./ranking.js";

// Only the head of a large CSV is needed to propose a mapping.
const PREVIEW_BYTES = 1 << 20;

const state = {
  file: null,
  preview: null,
  mapState: null,
  result: null,
  schemes: [],
  // The server's rows (every question's answer) and the question ranked by.
  raw: [],
  questions: DEFAULT_QUESTIONS,
  question: "srdi_sme",
  rows: [],
  details: new Map(),
  view: [],
  filters: emptyFilters(),
  sort: { key: "rank", descending: false },
  page: 0,
  model: null,
};

// ---------------------------------------------------------------- status line
let timer = null;

function setProgress(text, fraction = null) {
  const box = $("#progress");
  show(box, true);
  const bar = $("#progress-bar");
  if (fraction === null) bar.removeAttribute("value");
  else bar.value = Math.round(fraction * 100);
  $("#progress-text").textContent = text;
}

function startClock(label) {
  const started = performance.now();
  stopClock();
  setProgress(`${label}…`);
  timer = setInterval(() => {
    const s = ((performance.now() - started) / 1000).toFixed(0);
    setProgress(`${label}… ${s} s`);
  }, 500);
}

function stopClock() {
  if (timer) clearInterval(timer);
  timer = null;
}

function hideProgress() {
  stopClock();
  show($("#progress"), false);
}

function showError(message) {
  const box = $("#alert");
  replace(box, h("strong", {}, "Problem: "), message);
  show(box, true);
}

function clearError() {
  show($("#alert"), false);
}

// ---------------------------------------------------------------- model badge
async function loadModel() {
  try {
    state.model = await getJSON("/v1/model");
    const m = state.model;
    $("#model-badge").textContent = `model ${m.name || "srdi-potential"} v${m.version ?? "?"}`;
    $("#model-badge").title = [m.trained_at ? `trained ${m.trained_at}` : "", m.target ? `target ${m.target}` : "", m.horizon ? `horizon ${m.horizon} years` : ""].filter(Boolean).join(" · ");
    if (m.horizon) $("#horizon").textContent = `${m.horizon} years`;
  } catch (error) {
    $("#model-badge").textContent = "no model loaded";
    $("#model-badge").classList.add("warn");
    if (error instanceof ApiError && error.status === 503) showError(error.message);
  }
}

// ---------------------------------------------------------------- step 1: file
function isCsv(file) {
  return /\.(csv|txt)$/i.test(file.name);
}

async function chooseFile(file) {
  clearError();
  state.file = file;
  state.result = null;
  document.body.classList.remove("has-results");
  show($("#results"), false);
  $("#file-name").textContent = `${file.name} · ${bytes(file.size)}`;
  const form = new FormData();
  const head = isCsv(file) && file.size > PREVIEW_BYTES;
  state.sentBytes = head ? PREVIEW_BYTES : file.size;
  form.append("file", head ? new File([file.slice(0, PREVIEW_BYTES)], file.name) : file, file.name);
  try {
    setProgress(`Reading the headers of ${file.name}…`, null);
    const url = `/v1/screen/preview${head ? "?truncated=true" : ""}`;
    state.preview = await postForm(url, form, {
      onUpload: (loaded, total) => setProgress(`Sending ${file.name} for a preview: ${bytes(loaded)}${Number.isFinite(total) ? ` of ${bytes(total)}` : ""}`, Number.isFinite(total) ? loaded / total : null),
      onSent: () => startClock("Reading the first rows"),
    });
    hideProgress();
    showMapper();
  } catch (error) {
    hideProgress();
    showError(error.message);
  }
}

// ---------------------------------------------------------------- step 2: mapping
/** Rows in the file: counted when it was sent whole, else estimated from its head. */
function rowsInFile() {
  const p = state.preview;
  if (p.n_rows) return { n: p.n_rows, exact: true };
  if (p.head_rows && state.sentBytes) return { n: Math.round((p.head_rows * state.file.size) / state.sentBytes), exact: false };
  return null;
}

function showMapper() {
  const preview = state.preview;
  state.mapState = initialMapping(preview, loadRemembered());
  const summary = $("#mapper-summary");
  const update = () => {
    const { missing, duplicates } = mappingProblems(state.mapState.mapping, preview.fields, preview.year_columns);
    const mapped = Object.values(state.mapState.mapping).filter(Boolean).length;
    const problems = [];
    if (missing.length) problems.push(h("li", { class: "bad" }, `Required field${missing.length > 1 ? "s" : ""} not matched: ${missing.join(", ")}.`));
    for (const [field, headers] of duplicates) problems.push(h("li", { class: "bad" }, `${field} is matched by several columns: ${headers.join(", ")}.`));
    const unmatched = preview.headers.filter((header) => !state.mapState.mapping[header] && state.mapState.source[header] !== "year");
    replace(
      summary,
      h("p", {}, `${mapped} of ${preview.headers.length} columns matched to contract fields` + (rowsInFile() ? ` · ${rowsInFile().exact ? "" : "about "}${count(rowsInFile().n)} rows` : "") + "."),
      preview.layout === "wide" ? h("p", { class: "small" }, `Wide layout: ${Object.keys(preview.year_columns).length} columns carry a year; each firm is read as one row per year and scored on its latest year.`) : null,
      unmatched.length ? h("p", { class: "muted small" }, `Ignored unless you pick a field (listed first, shaded): ${unmatched.join(", ")}.`) : null,
      problems.length ? h("ul", { class: "problems" }, problems) : null,
    );
    $("#run-screen").disabled = problems.length > 0;
  };
  renderMapper($("#mapper"), preview, state.mapState, update);
  update();
  $("#map-file").textContent = state.file.name;
  show($("#step-map"), true);
  $("#step-map").scrollIntoView({ behavior: "smooth", block: "start" });
}

function columnMapPayload(mapping, suggested) {
  // Only choices that differ from the server's own match are sent ("" ignores a
  // header): an automatic match keeps the unit its header declares (万元 → ×10,000),
  // which an explicit mapping would drop.
  const out = {};
  for (const [header, field] of Object.entries(mapping)) {
    if ((field || "") !== (suggested[header] || "")) out[header] = field || "";
  }
  return out;
}

// ---------------------------------------------------------------- step 3: screen
async function runScreen() {
  clearError();
  const mapping = { ...state.mapState.mapping };
  remember(mapping);
  const form = new FormData();
  form.append("file", state.file, state.file.name);
  const columnMap = JSON.stringify(columnMapPayload(mapping, state.preview.suggested));
  $("#run-screen").disabled = true;
  try {
    setProgress(`Uploading ${state.file.name}…`, 0);
    const url = `/v1/screen/page?column_map=${encodeURIComponent(columnMap)}`;
    const result = await postForm(url, form, {
      onUpload: (loaded, total) => setProgress(`Uploading ${state.file.name}: ${bytes(loaded)}${Number.isFinite(total) ? ` of ${bytes(total)}` : ""}`, Number.isFinite(total) ? loaded / total : null),
      onSent: () => startClock(`Scoring ${rowsInFile() ? `${rowsInFile().exact ? "" : "about "}${count(rowsInFile().n)} firms` : "the firms"} on the server`),
    });
    startClock("Drawing the ranking");
    await new Promise((r) => setTimeout(r, 0));
    showResults(result);
    hideProgress();
  } catch (error) {
    hideProgress();
    showError(error.message);
  } finally {
    $("#run-screen").disabled = false;
  }
}

// ---------------------------------------------------------------- step 4: results
function showResults(result) {
  state.result = result;
  state.schemes = result.schemes || [];
  state.details = new Map();
  state.raw = (result.rows || []).map((row, i) => ("row" in row ? row : { ...row, row: i }));
  state.questions = result.questions?.length ? result.questions : DEFAULT_QUESTIONS;
  state.question = result.rank_by || "srdi_sme";
  state.filters = emptyFilters();
  rankBy(state.question, { reset: false });
  state.sort = { key: "rank", descending: false };
  state.page = 0;
  resetFilterInputs();
  replace($("#questions"), questionSelector(state.questions, state.question, (target) => rankBy(target)));
  fillSelect($("#f-province"), state.rows, "province", "All provinces");
  fillSelect($("#f-industry"), state.rows, "industry", "All industries");
  replace($("#f-scheme"), h("option", { value: "" }, "Any scheme"), state.schemes.map((s) => h("option", { value: s.scheme_id }, s.name)));
  renderSummary(result);
  renderInputReport(result.columns);
  renderErrors(result.errors || [], result.n_errors ?? (result.errors || []).length, result.n_error_rows);
  const mapped = Object.values(state.mapState.mapping).filter(Boolean).length;
  $("#input-summary").textContent = `${state.file.name} · ${count(result.n_rows)} rows · ${mapped} columns matched`;
  document.body.classList.add("has-results");
  show($("#results"), true);
  refresh();
  window.scrollTo({ top: 0 });
}

/** Rank the same list by another question (every answer came with the rows). */
function rankBy(target, { reset = true } = {}) {
  const question = state.questions.find((q) => q.target === target) || DEFAULT_QUESTIONS[0];
  state.question = question.target;
  state.rows = rankFor(state.raw, question);
  $("#score-meaning").textContent = MEANING[question.target] || "probability";
  if (!reset) return;
  state.sort = { key: "rank", descending: false };
  state.page = 0;
  renderSummary(state.result);
  refresh();
}

function renderSummary(result) {
  const rows = state.rows;
  const ranked = rows.filter((r) => r.rank !== null);
  const bandA = rows.filter((r) => r.band === "A").length;
  const srdiAt = state.schemes.findIndex((s) => s.scheme_id === "cn_srdi_sme");
  const srdiEligible = srdiAt < 0 ? 0 : rows.filter((r) => (r.verdicts || [])[srdiAt] === "eligible").length;
  const errors = result.n_errors ?? (result.errors || []).length;
  const badRows = result.n_error_rows ?? new Set((result.errors || []).map((e) => e.row)).size;
  const card = (value, label, cls = "") => h("div", { class: `stat ${cls}` }, h("div", { class: "stat-value" }, value), h("div", { class: "stat-label" }, label));
  replace(
    $("#summary"),
    card(count(ranked.length), `firms ranked by "${state.questions.find((q) => q.target === state.question)?.question || state.question}"`),
    card(count(bandA), "in band A (top 5%)"),
    card(count(srdiEligible), "meet the SRDI SME rules now"),
    card(count(badRows), errors ? "rows with errors (see below)" : "rows with errors", badRows ? "warn" : ""),
  );
  const top = ranked[0];
  if (!top) {
    replace($("#top-firm"));
    return;
  }
  const reasons = topReasons(top, 3);
  replace(
    $("#top-firm"),
    h("div", { class: "why-label" }, "Why #1 ranks first"),
    h(
      "div",
      {},
      h("button", { type: "button", class: "link open-firm", onclick: () => openDetail(top) }, top.name || top.company_id),
      ` — a ${pct(top.score)} ${MEANING[state.question] || "probability"}, higher than ${top.percentile?.toFixed(1) ?? "?"}% of the reference firms (band ${top.band}). Strongest reasons:`,
      h("ul", { class: "reasons why-list" }, reasons.map(reasonLine)),
    ),
  );
}

// How the server read the file: a wide or long layout, values filled from earlier
// years, firms' earlier years set aside, and every column it ignored.
function renderInputReport(columns) {
  const box = $("#input-report");
  const notes = columns ? [...(columns.notes || []), ...(columns.ignored || [])] : [];
  show(box, notes.length > 0);
  if (!notes.length) return;
  const layout = columns.layout === "firm-year" ? "one row per firm and year" : `${columns.layout} layout`;
  replace(box, h("span", {}, `Read as ${layout}: `), h("ul", {}, notes.map((n) => h("li", {}, n))));
}

// `errors` lists the first problems the server kept; `total` and `badRows` count them all.
function renderErrors(errors, total, badRows) {
  const box = $("#errors");
  show(box, total > 0);
  if (!total) return;
  const rowsWithErrors = badRows ?? new Set(errors.map((e) => e.row)).size;
  // The API numbers data rows from 0; a spreadsheet user looks for the line in the
  // file, where the header is line 1.
  const line = (e) => (typeof e.row === "number" ? e.row + 2 : "—");
  const rows = errors.slice(0, 500).map((e) => h("tr", {}, h("td", { class: "num" }, line(e)), h("td", {}, e.field || "—"), h("td", { class: "mono" }, e.value === null || e.value === undefined ? "" : String(e.value)), h("td", {}, e.message)));
  replace(
    box,
    h("summary", {}, `${count(total)} problem${total > 1 ? "s" : ""} in ${count(rowsWithErrors)} row(s): these rows were not scored, the others were`),
    h("p", { class: "muted small" }, "Line numbers count the header as line 1, as a spreadsheet or text editor shows them."),
    h("table", { class: "errors-table" }, h("thead", {}, h("tr", {}, h("th", {}, "Line"), h("th", {}, "Field"), h("th", {}, "Value"), h("th", {}, "Problem"))), h("tbody", {}, rows)),
    total > rows.length ? h("p", { class: "muted" }, `…and ${count(total - rows.length)} more not listed here; \`srdi score\` on the file writes every problem to its errors file.`) : null,
  );
}

function refresh() {
  const filtered = applyFilters(state.rows, state.filters, state.schemes);
  state.view = sortRows(filtered, state.sort.key, state.sort.descending);
  const info = pageInfo(state.rows.length, state.view.length, state.page);
  state.page = Math.min(state.page, info.pages - 1);
  const start = state.page * PAGE_SIZE;
  renderTable($("#ranking"), state.view.slice(start, start + PAGE_SIZE), state.sort, state.schemes, {
    onSort: (key) => {
      const numeric = COLUMNS.find((c) => c.key === key)?.numeric;
      // A new column sorts best-first: high numbers first, text and bands A→Z.
      state.sort = state.sort.key === key ? { key, descending: !state.sort.descending } : { key, descending: Boolean(numeric) && key !== "rank" };
      state.page = 0;
      refresh();
    },
    onOpen: openDetail,
  });
  $("#page-info").textContent = `${pageInfo(state.rows.length, state.view.length, state.page).text} · page ${state.page + 1} of ${info.pages}`;
  $("#prev-page").disabled = state.page === 0;
  $("#next-page").disabled = state.page >= info.pages - 1;
  $("#export-count").textContent = count(state.view.length);
}

function resetFilterInputs() {
  $("#f-search").value = "";
  $("#f-province").value = "";
  $("#f-industry").value = "";
  $("#f-min-score").value = "";
  $("#f-scheme").value = "";
  $("#f-verdict").value = "";
  $("#f-review").value = "";
  for (const box of document.querySelectorAll("input[name=band]")) box.checked = false;
}

function readFilters() {
  const min = $("#f-min-score").value;
  state.filters = {
    q: $("#f-search").value,
    province: $("#f-province").value,
    industry: $("#f-industry").value,
    bands: new Set([...document.querySelectorAll("input[name=band]:checked")].map((b) => b.value)),
    minScore: min === "" ? null : Number(min),
    scheme: $("#f-scheme").value,
    verdict: $("#f-verdict").value,
    review: $("#f-review").value,
  };
  state.page = 0;
  refresh();
}

// ---------------------------------------------------------------- detail
async function openDetail(row) {
  const dialog = $("#detail");
  const body = $("#detail-body");
  replace(body, h("h2", { id: "detail-title" }, row.name || row.company_id), h("p", { class: "muted" }, "Loading the reasons and criteria…"));
  if (!dialog.open) dialog.showModal();
  dialog.scrollTop = 0;
  try {
    let full = state.details.get(row.row);
    if (!full && !state.result.token) throw new Error(state.result.notice || "Firm details are not kept for this screen.");
    if (!full) {
      full = await getJSON(`/v1/screen/page/${encodeURIComponent(state.result.token)}/rows/${row.row}`);
      state.details.set(row.row, full);
    }
    renderDetail(body, full, state.result?.model || state.model);
    dialog.scrollTop = 0;
  } catch (error) {
    replace(body, h("h2", { id: "detail-title" }, row.name || row.company_id), h("p", { class: "alert" }, error.message));
  }
}

// ---------------------------------------------------------------- export
function slim(row) {
  return {
    rank: row.rank,
    company_id: row.company_id,
    name: row.name ?? null,
    province: row.province ?? null,
    industry: row.industry ?? null,
    // score, percentile, band and reasons: the next step's, as `srdi score` writes them;
    // rank: the question the list is ranked by.
    score: row.next?.score ?? null,
    percentile: row.next?.percentile ?? null,
    band: row.next?.band ?? null,
    next_step: { rung: row.rung ?? null, target: row.next_step ?? null },
    // Every question's numbers: the export carries every score.
    scores: Object.fromEntries(Object.entries(row.scores || {}).map(([t, a]) => [t, { score: a.score ?? null, percentile: a.percentile ?? null, band: a.band ?? null }])),
    schemes: state.schemes.map((s, i) => ({ scheme_id: s.scheme_id, verdict: (row.verdicts || [])[i] ?? null })),
    // Server order, as `srdi score` writes them, so both exports agree.
    reasons: (row.next?.reasons || []).slice(0, 3).map((r) => ({ text: r.text || r.family_label || r.family, contribution: r.contribution ?? null })),
    re_review: row.re_review ?? null,
    assumptions: row.assumptions || [],
  };
}

async function exportList(format) {
  clearError();
  try {
    startClock(`Preparing the ${format.toUpperCase()} file`);
    const blob = await postJsonFileForBlob(`/v1/export?format=${format}`, "rows", { rows: state.view.map(slim) });
    const stamp = new Date().toISOString().slice(0, 10);
    const link = h("a", { href: URL.createObjectURL(blob), download: `srdi-screen-${stamp}.${format}` });
    document.body.append(link);
    link.click();
    setTimeout(() => {
      URL.revokeObjectURL(link.href);
      link.remove();
    }, 1000);
    hideProgress();
  } catch (error) {
    hideProgress();
    showError(error.message);
  }
}

// ---------------------------------------------------------------- wiring
function wire() {
  const input = $("#file-input");
  input.addEventListener("change", () => input.files[0] && chooseFile(input.files[0]));
  const drop = $("#dropzone");
  drop.addEventListener("dragover", (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    const file = e.dataTransfer.files[0];
    if (file) chooseFile(file);
  });
  $("#use-sample").addEventListener("click", async () => {
    try {
      chooseFile(await fetchFile("/v1/sample", "srdi-sample-candidates.csv"));
    } catch (error) {
      showError(error.message);
    }
  });
  $("#run-screen").addEventListener("click", runScreen);
  $("#change-input").addEventListener("click", () => {
    document.body.classList.remove("has-results");
    $("#step-upload").scrollIntoView({ behavior: "smooth", block: "start" });
  });
  // Typing filters a list of up to 100,000 firms; wait for a pause in the typing.
  let typing = null;
  const readSoon = () => {
    clearTimeout(typing);
    typing = setTimeout(readFilters, 150);
  };
  for (const id of ["#f-search", "#f-min-score"]) $(id).addEventListener("input", readSoon);
  for (const id of ["#f-province", "#f-industry", "#f-scheme", "#f-verdict", "#f-review"]) $(id).addEventListener("change", readFilters);
  for (const box of document.querySelectorAll("input[name=band]")) box.addEventListener("change", readFilters);
  $("#reset-filters").addEventListener("click", () => {
    resetFilterInputs();
    readFilters();
  });
  $("#prev-page").addEventListener("click", () => {
    state.page = Math.max(0, state.page - 1);
    refresh();
  });
  $("#next-page").addEventListener("click", () => {
    state.page += 1;
    refresh();
  });
  $("#export-csv").addEventListener("click", () => exportList("csv"));
  $("#export-xlsx").addEventListener("click", () => exportList("xlsx"));
  $("#detail-close").addEventListener("click", () => $("#detail").close());
  $("#detail").addEventListener("click", (e) => {
    if (e.target === $("#detail")) $("#detail").close();
  });
}

wire();
loadModel();
