// The ranked table: filtering, sorting and paging run in the browser over the rows
// the server returned, so they are instant even for 100,000 firms (only one page of
// rows is in the DOM at a time).

import { h, replace } from "./dom.js";
import { BAND_TEXT, VERDICT_LABEL, count, pct, percentile, reasonParts, schemeShort } from "./format.js";
import { rungBadge } from "./ladder.js";

export const PAGE_SIZE = 50;

export const COLUMNS = [
  // Firms the question does not score carry no rank and sort after the ranked ones.
  { key: "rank", label: "#", numeric: true, value: (r) => r.rank ?? Infinity },
  { key: "name", label: "Company", value: (r) => (r.name || r.company_id || "").toLowerCase() },
  { key: "province", label: "Province", value: (r) => r.province || "" },
  { key: "industry", label: "Industry", value: (r) => r.industry || "" },
  { key: "score", label: "Score", numeric: true, value: (r) => num(r.score), title: "Calibrated probability of the question ranked by (see above the table)" },
  { key: "percentile", label: "Pctl", numeric: true, value: (r) => num(r.percentile), title: "Percentile among the question's reference population (firms on the same rung)" },
  { key: "band", label: "Band", value: (r) => r.band || "Z", title: "A ≥ 95th percentile, B ≥ 80th, C ≥ 50th, D below" },
  { key: "schemes", label: "Eligibility by scheme", numeric: true, value: (r) => eligibleCount(r), title: "Sorts by the number of schemes the firm is eligible for or certified in" },
  { key: "reasons", label: "Top reasons", value: (r) => topReasons(r, 1)[0]?.text || "" },
];

const num = (v) => (typeof v === "number" && Number.isFinite(v) ? v : -Infinity);

function eligibleCount(row) {
  return (row.verdicts || []).filter((v) => v === "eligible" || v === "certified").length;
}

/** The reasons to show first: the strongest ones that raise the score, then the rest. */
export function topReasons(row, n = 2) {
  const reasons = (row.reasons || []).filter((r) => r.family !== "unreported");
  const raising = reasons.filter((r) => (r.contribution ?? 0) > 0);
  const lowering = reasons.filter((r) => !((r.contribution ?? 0) > 0));
  return [...raising, ...lowering].slice(0, n);
}

export function emptyFilters() {
  return { q: "", province: "", industry: "", bands: new Set(), minScore: null, scheme: "", verdict: "", review: "" };
}

/** Whether a row passes the re-review filter: "due", "at_risk" (fails it) or "due_at_risk". */
export function reviewMatches(row, want) {
  if (!want) return true;
  const review = row.re_review;
  if (!review) return false;
  const due = review.due === true;
  const atRisk = review.verdict === "fail";
  if (want === "due") return due;
  if (want === "at_risk") return atRisk;
  return due && atRisk;
}

/** Rows passing every filter, in the order given. */
export function applyFilters(rows, f, schemes = []) {
  const schemeIndex = schemes.findIndex((s) => s.scheme_id === f.scheme);
  const q = f.q.trim().toLowerCase();
  const minScore = f.minScore === null || Number.isNaN(f.minScore) ? null : f.minScore / 100;
  return rows.filter((r) => {
    if (q && !(String(r.name || "").toLowerCase().includes(q) || String(r.company_id || "").toLowerCase().includes(q))) return false;
    if (f.province && r.province !== f.province) return false;
    if (f.industry && r.industry !== f.industry) return false;
    if (f.bands.size && !f.bands.has(r.band)) return false;
    if (minScore !== null && !(typeof r.score === "number" && r.score >= minScore)) return false;
    if (schemeIndex >= 0 && f.verdict && (r.verdicts || [])[schemeIndex] !== f.verdict) return false;
    if (!reviewMatches(r, f.review)) return false;
    return true;
  });
}

/** Stable sort by a column key; ties keep the rank order. */
export function sortRows(rows, key, descending) {
  const column = COLUMNS.find((c) => c.key === key) || COLUMNS[0];
  const sign = descending ? -1 : 1;
  return rows
    .map((row, i) => [column.value(row), i, row])
    .sort((a, b) => (a[0] < b[0] ? -sign : a[0] > b[0] ? sign : a[1] - b[1]))
    .map((t) => t[2]);
}

export function badge(scheme) {
  const verdict = scheme.verdict || "undetermined";
  return h(
    "span",
    { class: `badge verdict-${verdict}`, title: `${scheme.name || scheme.scheme_id}: ${VERDICT_LABEL[verdict] || verdict}` },
    schemeShort(scheme.scheme_id),
  );
}

/** The held tier's re-review ("re-review 2026: at risk"), coloured by its outlook. */
export function reviewBadge(review) {
  if (!review) return null;
  const due = review.due ? " — due within the horizon" : "";
  return h("span", { class: `badge review review-${review.verdict}`, title: `${review.text}${due}` }, review.text);
}

export function reasonLine(reason) {
  const up = (reason.contribution ?? 0) > 0;
  const { label, detail } = reasonParts(reason);
  return h(
    "li",
    { class: up ? "raises" : "lowers", title: reason.text || "" },
    h("span", { class: "arrow", "aria-hidden": "true" }, up ? "▲" : "▼"),
    " ",
    h("strong", {}, label),
    " ",
    detail,
  );
}

/** Render the table head (sortable) and the current page of rows. */
export function renderTable(table, pageRows, sort, schemes, { onSort, onOpen }) {
  const head = h(
    "tr",
    {},
    COLUMNS.map((c) => {
      const active = sort.key === c.key;
      const arrow = active ? (sort.descending ? " ▼" : " ▲") : "";
      return h(
        "th",
        {
          scope: "col",
          class: `${c.numeric ? "num " : ""}col-${c.key}`,
          "aria-sort": active ? (sort.descending ? "descending" : "ascending") : "none",
        },
        h("button", { type: "button", class: "sort", title: c.title || `Sort by ${c.label}`, onclick: () => onSort(c.key) }, c.label + arrow),
      );
    }),
  );
  const body = pageRows.map((r) =>
    h(
      "tr",
      { class: `row-band-${r.band || "none"}`, "data-company-id": r.company_id, "data-row": r.row },
      h("td", { class: "num col-rank" }, r.rank ?? "—"),
      h(
        "td",
        { class: "col-name" },
        h("button", { type: "button", class: "link open-firm", onclick: () => onOpen(r) }, r.name || r.company_id),
        rungBadge(r),
        reviewBadge(r.re_review),
        r.name ? h("div", { class: "muted small" }, r.company_id) : null,
      ),
      h("td", { class: "col-province" }, r.province || "—"),
      h("td", { class: "col-industry" }, r.industry || "—"),
      h("td", { class: "num col-score" }, pct(r.score), h("span", { class: "score-bar", style: `--w:${Math.round((r.score || 0) * 100)}%` })),
      h("td", { class: "num col-percentile" }, percentile(r.percentile)),
      h(
        "td",
        { class: "col-band" },
        h("span", { class: `band band-${r.band}`, title: BAND_TEXT[r.band] || "" }, r.band || "—"),
        r.thin_data ? h("span", { class: "chip thin-data", title: `Only ${Math.round((r.coverage || 0) * 100)}% of the model's signal rests on figures this firm reported` }, "thin data") : null,
      ),
      h(
        "td",
        { class: "col-schemes" },
        h("div", { class: "badges" }, schemes.map((s, i) => badge({ ...s, verdict: (r.verdicts || [])[i] }))),
        (r.assumptions || []).length ? h("div", { class: "muted small assumed-note", title: r.assumptions.map((a) => a.text).join("\n") }, `${r.assumptions.length} assumed`) : null,
      ),
      h("td", { class: "col-reasons" }, h("ul", { class: "reasons" }, topReasons(r, 2).map(reasonLine))),
    ),
  );
  replace(table, h("thead", {}, head), h("tbody", {}, body.length ? body : h("tr", {}, h("td", { colspan: COLUMNS.length, class: "empty" }, "No firm matches these filters."))));
}

export function pageInfo(total, filtered, page) {
  const pages = Math.max(1, Math.ceil(filtered / PAGE_SIZE));
  const first = filtered ? page * PAGE_SIZE + 1 : 0;
  const last = Math.min(filtered, (page + 1) * PAGE_SIZE);
  const note = filtered === total ? "" : ` (filtered from ${count(total)})`;
  return { pages, text: `Firms ${count(first)}–${count(last)} of ${count(filtered)}${note}` };
}

/** Fill a <select> with the distinct values of a field, most frequent first. */
export function fillSelect(select, rows, field, allLabel) {
  const counts = new Map();
  for (const r of rows) if (r[field]) counts.set(r[field], (counts.get(r[field]) || 0) + 1);
  const values = [...counts.entries()].sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0])));
  replace(
    select,
    h("option", { value: "" }, allLabel),
    values.map(([v, n]) => h("option", { value: v }, `${v} (${n})`)),
  );
}

