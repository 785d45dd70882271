// Inline SVG charts drawn from the score JSON; no chart library, nothing from a CDN.

import { svg } from "./dom.js";

/**
 * Horizontal bars diverging from zero: green to the right raises the score, red to
 * the left lowers it. items: [{label, value, title?}], value in log-odds.
 */
export function contributionChart(items, { width = 560, rowHeight = 26, labelWidth = 190 } = {}) {
  const valueWidth = 64;
  const plotLeft = labelWidth;
  const plotWidth = width - labelWidth - valueWidth;
  const height = Math.max(1, items.length) * rowHeight + 26;
  // Zero sits where the largest lowering and raising bars both fit at one scale.
  const maxPos = Math.max(0, ...items.map((d) => d.value || 0));
  const maxNeg = Math.max(0, ...items.map((d) => -(d.value || 0)));
  const span = Math.max(maxPos + maxNeg, 0.05);
  const scale = plotWidth / span;
  const zeroX = plotLeft + maxNeg * scale;
  const zeroFrac = maxNeg / span;
  const rows = items.map((d, i) => {
    const y = 6 + i * rowHeight;
    const v = d.value || 0;
    const w = Math.max(1, Math.abs(v) * scale);
    const x = v >= 0 ? zeroX : zeroX - w;
    // The value sits past the bar's end; where that leaves the plot it goes inside
    // a long bar, or across the zero line for a short one.
    const outsideFits = v >= 0 ? x + w + 44 <= width : x - 44 >= plotLeft;
    const inside = !outsideFits && w >= 40;
    const across = !outsideFits && !inside;
    const textX = across ? (v >= 0 ? zeroX - 4 : zeroX + 4) : v >= 0 ? x + w + 4 : x - 4;
    const anchor = across ? (v >= 0 ? "end" : "start") : v >= 0 ? "start" : "end";
    return svg(
      "g",
      { class: v >= 0 ? "bar raises" : "bar lowers" },
      svg("title", {}, d.title || `${d.label}: ${v >= 0 ? "+" : ""}${v.toFixed(3)}`),
      svg("text", { x: labelWidth - 8, y: y + rowHeight / 2, "text-anchor": "end", "dominant-baseline": "middle", class: "bar-label" }, d.label),
      svg("rect", { x, y: y + 4, width: w, height: rowHeight - 8, rx: 3 }),
      svg(
        "text",
        {
          x: inside ? (v >= 0 ? x + w - 4 : x + 4) : textX,
          y: y + rowHeight / 2,
          "text-anchor": inside ? (v >= 0 ? "end" : "start") : anchor,
          "dominant-baseline": "middle",
          class: inside ? "bar-value inside" : "bar-value",
        },
        `${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(2)}`,
      ),
    );
  });
  const axisY = 6 + items.length * rowHeight;
  return svg(
    "svg",
    { viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img", class: "chart contributions", "aria-label": "Contribution of each feature family to the score" },
    svg("line", { x1: zeroX, x2: zeroX, y1: 2, y2: axisY, class: "zero" }),
    rows,
    svg("text", { x: zeroX, y: axisY + 14, "text-anchor": zeroFrac > 0.85 ? "end" : zeroFrac < 0.15 ? "start" : "middle", class: "axis-note" }, maxNeg > 0 && maxPos > 0 ? "◀ lowers · raises ▶" : maxNeg > 0 ? "◀ lowers the score" : "raises the score ▶"),
  );
}

/**
 * A firm's value beside its industry median on one shared axis: a dot for the firm,
 * a tick for the median. Returns a small inline SVG.
 */
export function valueVsMedian(value, median, { width = 120, height = 18 } = {}) {
  const finite = [value, median].filter((v) => typeof v === "number" && Number.isFinite(v));
  if (!finite.length) return svg("svg", { width, height, class: "spark" });
  const lo = Math.min(0, ...finite);
  const hi = Math.max(...finite, lo + 1e-9);
  const x = (v) => 6 + ((v - lo) / (hi - lo)) * (width - 12);
  const parts = [svg("line", { x1: 6, x2: width - 6, y1: height / 2, y2: height / 2, class: "spark-axis" })];
  if (Number.isFinite(median)) parts.push(svg("line", { x1: x(median), x2: x(median), y1: 2, y2: height - 2, class: "spark-median" }));
  if (Number.isFinite(value)) {
    const better = Number.isFinite(median) ? value >= median : true;
    parts.push(svg("circle", { cx: x(value), cy: height / 2, r: 4.5, class: better ? "spark-firm above" : "spark-firm below" }));
  }
  return svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, class: "spark", "aria-hidden": "true" }, parts);
}
