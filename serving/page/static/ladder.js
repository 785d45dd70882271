// The ladder of questions on the page: "next provincial SRDI", "next Little Giant",
// "re-review risk". The server answers every question that applies to a firm
// (row.scores); ranking the same list by another question happens here, in the
// browser, with the same order the server (and `srdi score --target`) uses:
// scored firms first by probability (lowest first for the re-review risk), ties in
// file order, then the firms the question does not ask about, unranked.

import { h } from "./dom.js";

export const DEFAULT_QUESTIONS = [
  { target: "srdi_sme", question: "next provincial SRDI", rank_ascending: false, in_service: true },
  { target: "little_giant", question: "next Little Giant", rank_ascending: false, in_service: true },
  { target: "retention", question: "re-review risk", rank_ascending: true, in_service: true },
];

// What the score means, per question, for the sentences of the page.
export const MEANING = {
  srdi_sme: "chance of being certified a provincial SRDI SME (or higher) within the horizon",
  little_giant: "chance of being certified a national Little Giant within the horizon",
  retention: "chance of keeping its status at the re-review",
};

export const RUNG_LABEL = {
  none: "no tier",
  innovative_sme: "innovative SME",
  srdi_sme: "provincial SRDI",
  little_giant: "Little Giant",
};

/** The rows as the table shows them for one question: its numbers, reasons and rank. */
export function rankFor(rows, question) {
  const target = question.target;
  const view = rows.map((row) => {
    const answer = (row.scores || {})[target];
    return {
      ...row,
      // The next step's numbers stay for the export (the columns of `srdi score`).
      next: row.next ?? { score: row.score, percentile: row.percentile, band: row.band, reasons: row.reasons },
      question: target,
      score: answer?.score ?? null,
      percentile: answer?.percentile ?? null,
      band: answer?.band ?? null,
      reasons: answer?.reasons ?? [],
      rank: null,
    };
  });
  const scored = view.filter((r) => typeof r.score === "number");
  const sign = question.rank_ascending ? 1 : -1;
  scored.sort((a, b) => sign * (a.score - b.score) || a.row - b.row);
  scored.forEach((r, i) => {
    r.rank = i + 1;
  });
  const rest = view.filter((r) => typeof r.score !== "number").sort((a, b) => a.row - b.row);
  return [...scored, ...rest];
}

/** The firm's rung as a badge; its re-review (year and outlook) is the badge beside it. */
export function rungBadge(row) {
  const rung = row.rung || "none";
  if (rung === "none") return null;
  const year = row.re_review?.year;
  return h(
    "span",
    { class: `rung rung-${rung}`, title: `Holds ${RUNG_LABEL[rung] || rung}${year ? `; re-review ${year}` : ""}` },
    RUNG_LABEL[rung] || rung,
  );
}

/** The question selector: one radio button per question the service offers. */
export function questionSelector(questions, current, onChange) {
  return h(
    "fieldset",
    { class: "questions", "aria-label": "Rank the list by" },
    h("legend", { class: "muted small" }, "Rank the list by"),
    questions.map((q) =>
      h(
        "label",
        { class: q.in_service ? "" : "muted", title: q.in_service ? q.population || "" : "This question's model is not trained yet" },
        h("input", {
          type: "radio",
          name: "question",
          value: q.target,
          checked: q.target === current,
          disabled: !q.in_service,
          onchange: () => onChange(q.target),
        }),
        ` ${q.question}`,
      ),
    ),
  );
}
