// The firm detail view: why the score is what it is, how the firm compares with its
// industry, and what each scheme still needs ("what would get it over the line").

import { contributionChart, valueVsMedian } from "./chart.js";
import { h, replace } from "./dom.js";
import { BAND_TEXT, VERDICT_LABEL, pct, percentile, reasonParts, schemeShort, signed, withUnit } from "./format.js";
import { MEANING, RUNG_LABEL } from "./ladder.js";
import { badge, reviewBadge } from "./ranking.js";

const CHECK = { pass: "✓", fail: "✗", unknown: "?" };
// The target of the model and the tier a fund manager watches first.
const FOCUS_SCHEME = "cn_srdi_sme";

function reasonItem(reason) {
  const up = (reason.contribution ?? 0) > 0;
  const { label, detail } = reasonParts(reason);
  return h(
    "li",
    { class: up ? "raises" : "lowers" },
    h("span", { class: "arrow", "aria-hidden": "true" }, up ? "▲" : "▼"),
    " ",
    h("strong", {}, label),
    ` ${up ? "raises" : "lowers"} the score: `,
    detail,
    " ",
    h("span", { class: "muted small" }, signed(reason.contribution)),
  );
}

// Ratios shown before "all ratios" is opened: the ones that move the score most.
const KEY_RATIOS = 8;

function ratioRow(f) {
  return h(
    "tr",
    {},
    h("th", { scope: "row" }, f.label || f.name, h("div", { class: "muted small" }, f.familyLabel)),
    h("td", { class: "num" }, withUnit(f.value, f.unit)),
    h("td", { class: "num muted" }, withUnit(f.industry_median, f.unit)),
    h("td", {}, valueVsMedian(f.value, f.industry_median)),
  );
}

function ratiosTable(reasons) {
  // Features relative to the industry ("… minus the industry median") have no
  // median of their own; their raw counterpart is in the list already.
  const features = [];
  const seen = new Set();
  for (const reason of reasons) {
    for (const f of reason.features || []) {
      if (seen.has(f.name) || f.industry_median === null || f.industry_median === undefined) continue;
      seen.add(f.name);
      features.push({ ...f, familyLabel: reason.family_label || reason.family });
    }
  }
  if (!features.length) return h("p", { class: "muted" }, "No feature values came with this result.");
  features.sort((a, b) => Math.abs(b.contribution || 0) - Math.abs(a.contribution || 0));
  const head = () => h("thead", {}, h("tr", {}, h("th", {}, "Ratio"), h("th", { class: "num" }, "This firm"), h("th", { class: "num" }, "Industry median"), h("th", {}, h("span", { class: "legend-dot" }), " firm ", h("span", { class: "legend-tick" }), " median")));
  const key = features.slice(0, KEY_RATIOS);
  const rest = features.slice(KEY_RATIOS);
  return h(
    "div",
    {},
    h("table", { class: "ratios" }, head(), h("tbody", {}, key.map(ratioRow))),
    rest.length ? h("details", { class: "more-ratios" }, h("summary", {}, `${rest.length} more ratios`), h("table", { class: "ratios" }, h("tbody", {}, rest.map(ratioRow)))) : null,
  );
}

function criterionRow(c) {
  const verdict = c.verdict || "unknown";
  const valueText = c.value === null || c.value === undefined ? "unknown" : withUnit(c.value, c.unit);
  const thresholdText = c.threshold === null || c.threshold === undefined ? "" : `needs ${withUnit(c.threshold, c.unit)}`;
  const points = typeof c.max_points === "number" ? `${c.points ?? 0} / ${c.max_points} pts` : "";
  return h(
    "li",
    { class: `criterion ${verdict}` },
    h("span", { class: "check", "aria-label": verdict }, CHECK[verdict] || "?"),
    h(
      "div",
      {},
      h("div", {}, h("strong", {}, c.label || c.id), " ", h("span", { class: "muted small" }, [valueText, thresholdText, points].filter(Boolean).join(" · "))),
      verdict !== "pass" && c.gap_text ? h("div", { class: "gap" }, c.gap_text) : null,
      verdict === "unknown" && !c.gap_text ? h("div", { class: "gap muted" }, "Input missing: add this figure to decide.") : null,
    ),
  );
}

function schemeBlock(scheme) {
  const verdict = scheme.verdict || "undetermined";
  const criteria = scheme.criteria || [];
  const failing = criteria.filter((c) => c.verdict === "fail").length;
  const unknown = criteria.filter((c) => c.verdict === "unknown").length;
  const facts = [];
  if (typeof scheme.points === "number") facts.push(`${scheme.points.toFixed(0)} points (pass mark ${scheme.pass_mark ?? "?"})`);
  if (failing) facts.push(`${failing} not met`);
  if (unknown) facts.push(`${unknown} unknown`);
  facts.push(`rules ${scheme.version || "?"}`);
  const open = scheme.scheme_id === FOCUS_SCHEME;
  const assumed = scheme.assumptions || [];
  return h(
    "details",
    { class: `scheme verdict-${verdict}`, open, "data-scheme": scheme.scheme_id },
    h(
      "summary",
      {},
      badge(scheme),
      " ",
      h("strong", {}, scheme.name || schemeShort(scheme.scheme_id)),
      " ",
      h("span", { class: `verdict-text verdict-${verdict}` }, VERDICT_LABEL[verdict] || verdict),
      " ",
      reviewBadge(scheme.re_review),
      h("span", { class: "muted small" }, facts.join(" · ")),
    ),
    assumptionList(assumed),
    h("ul", { class: "criteria" }, criteria.map(criterionRow)),
  );
}

/** What a verdict rests on where a route or condition was not reported, beside it. */
function assumptionList(assumed) {
  if (!assumed.length) return null;
  return h("ul", { class: "assumptions", "aria-label": "Assumptions" }, assumed.map((text) => h("li", {}, text)));
}

/** What stands between the firm and the focus scheme: failing criteria with their gap. */
function overTheLine(schemes) {
  const focus = schemes.find((s) => s.scheme_id === FOCUS_SCHEME);
  if (!focus) return null;
  const name = focus.name || "the provincial SRDI SME tier";
  if (focus.verdict === "certified") {
    const review = focus.re_review;
    if (!review) return h("p", {}, `Already holds ${name}.`);
    const gaps = (focus.criteria || []).filter((c) => c.verdict === "fail");
    return h(
      "div",
      {},
      h("p", {}, `Already holds ${name}; `, reviewBadge(review), review.due ? " (within the model's horizon)." : "."),
      review.verdict === "fail" ? h("ul", { class: "gaps" }, gaps.map((c) => h("li", {}, c.gap_text || c.label))) : null,
      assumptionList(focus.assumptions || []),
    );
  }
  const gaps = (focus.criteria || []).filter((c) => c.verdict === "fail");
  const unknown = (focus.criteria || []).filter((c) => c.verdict === "unknown");
  const gapList = gaps.length ? h("ul", { class: "gaps" }, gaps.map((c) => h("li", {}, c.gap_text || `${c.label}: short of ${withUnit(c.threshold, c.unit)}`))) : null;
  const unknownNote = unknown.length ? h("p", { class: "muted small" }, `Not known from the file (add these figures to decide): ${unknown.map((c) => c.label || c.id).join(", ")}.`) : null;
  const assumed = assumptionList(focus.assumptions || []);
  if (focus.verdict === "eligible") {
    return h(
      "div",
      {},
      h("p", { class: "ok" }, `Meets the ${name} rules on the figures given.`),
      assumed,
      gaps.length ? h("p", { class: "muted small" }, "Still short on these indicators (they would add points):") : null,
      gapList,
    );
  }
  if (!gaps.length && !unknown.length) return h("div", {}, h("p", {}, `No failed criterion is recorded for ${name}.`), assumed);
  return h("div", {}, assumed, gapList, unknownNote);
}

// Reasons spelled out in words; the smaller ones stay in the chart below.
const WHY_REASONS = 5;

function whyList(reasons) {
  if (!reasons.length) return h("p", { class: "muted" }, "No reasons were computed for this result.");
  // Reasons come from reported figures; what the unreported ones did is one line, always shown.
  const told = reasons.filter((r) => r.family !== "unreported");
  const gap = reasons.find((r) => r.family === "unreported");
  const rest = told.length - WHY_REASONS;
  return h(
    "div",
    {},
    h("ul", { class: "reasons big-reasons" }, told.slice(0, WHY_REASONS).map(reasonItem)),
    rest > 0 ? h("p", { class: "muted small" }, `${rest} smaller effect${rest > 1 ? "s" : ""} in the chart below.`) : null,
    gap ? h("p", { class: "unreported-line" }, gap.text) : null,
  );
}

/** Every question that asks about the firm: its answer, percentile, band and population. */
function questionsTable(row) {
  const entries = Object.values(row.scores || {});
  if (!entries.length) return h("p", { class: "muted" }, "No question of this service asks about this firm (it holds the top tier and no re-review is due).");
  return h(
    "table",
    { class: "ratios questions-table" },
    h("thead", {}, h("tr", {}, h("th", {}, "Question"), h("th", { class: "num" }, "Probability"), h("th", { class: "num" }, "Percentile"), h("th", {}, "Band"), h("th", {}, "Among"))),
    h(
      "tbody",
      {},
      entries.map((e) =>
        h(
          "tr",
          { "data-target": e.target },
          h("th", { scope: "row" }, e.question, e.target === row.next_step?.target ? h("span", { class: "chip" }, "next step") : null),
          h("td", { class: "num" }, e.status === "not_trained" ? "not trained" : pct(e.score)),
          h("td", { class: "num" }, percentile(e.percentile)),
          h("td", {}, e.band ? h("span", { class: `band band-${e.band}` }, e.band) : "—"),
          h("td", { class: "muted small" }, [e.population, e.assumption, e.error?.detail].filter(Boolean).join(" · ")),
        ),
      ),
    ),
  );
}

/** Fill the detail panel for one score result. */
export function renderDetail(container, row, model) {
  const reasons = [...(row.reasons || [])].sort((a, b) => Math.abs(b.contribution || 0) - Math.abs(a.contribution || 0));
  const schemes = row.schemes || [];
  const chartItems = reasons.map((r) => ({ label: r.family_label || r.family, value: r.contribution || 0 }));
  const modelInfo = row.model || model || {};
  replace(
    container,
    h(
      "header",
      { class: "detail-head" },
      h("div", {}, h("h2", { id: "detail-title" }, row.name || row.company_id), h("div", { class: "muted" }, [row.company_id, row.province, row.industry, row.fiscal_year ? `FY ${row.fiscal_year}` : null].filter(Boolean).join(" · "))),
      h(
        "div",
        { class: "score-block" },
        h("div", { class: "big" }, pct(row.score)),
        h("div", { class: "small" }, `percentile ${percentile(row.percentile)}`),
        h("span", { class: `band band-${row.band}`, title: BAND_TEXT[row.band] || "" }, `Band ${row.band || "—"}`),
        row.status === "certified" ? h("div", { class: "chip" }, "no question due") : null,
        row.status === "not_trained" ? h("div", { class: "chip" }, "model not trained") : null,
        row.coverage === null || row.coverage === undefined
          ? null
          : h("div", { class: `small coverage${row.thin_data ? " thin-data" : ""}`, title: "Share of the model's signal that rests on figures this firm reported" }, `coverage ${Math.round(row.coverage * 100)}%${row.thin_data ? " · thin data" : ""}`),
      ),
    ),
    h("p", { class: "muted small score-meaning" }, `Holds: ${RUNG_LABEL[row.next_step?.rung] || "no tier"}${row.next_step?.re_review_year ? ` (re-review ${row.next_step.re_review_year})` : ""}. Next step: ${row.next_step?.question || "none"} — the score is its ${MEANING[row.next_step?.target] || "probability"}. ${BAND_TEXT[row.band] || ""}.`),
    h("section", {}, h("h3", {}, "Every question"), questionsTable(row)),
    h("section", {}, h("h3", {}, "Why this score (next step)"), whyList(reasons)),
    h("section", {}, h("h3", {}, "Contribution by feature family"), h("p", { class: "muted small" }, "Signed contribution to the score (log-odds, TreeSHAP). Bars to the right raise it."), chartItems.length ? contributionChart(chartItems) : null),
    h("section", {}, h("h3", {}, "Key ratios beside the industry median"), ratiosTable(reasons)),
    h("section", {}, h("h3", {}, "What would get it over the line (provincial SRDI SME)"), overTheLine(schemes)),
    h("section", {}, h("h3", {}, "Criteria by scheme"), schemes.map(schemeBlock)),
    h("footer", { class: "muted small model-line" }, `Model ${modelInfo.name || "srdi-potential"} version ${modelInfo.version ?? "?"}`),
  );
}
