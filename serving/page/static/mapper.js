// The column mapper: the user's headers → contract fields.
// The server suggests matches (exact contract names and the alias table, e.g. 营业收入 →
// revenue); the user's earlier choices, remembered in localStorage, win over them.

import { h, replace } from "./dom.js";

const STORAGE_KEY = "srdi.columnMap.v1";
const IGNORE = "";

export function loadRemembered(storage = window.localStorage) {
  try {
    const value = JSON.parse(storage.getItem(STORAGE_KEY) || "{}");
    return value && typeof value === "object" ? value : {};
  } catch {
    return {};
  }
}

export function remember(mapping, storage = window.localStorage) {
  try {
    storage.setItem(STORAGE_KEY, JSON.stringify({ ...loadRemembered(storage), ...mapping }));
  } catch {
    // Private windows may refuse storage; the mapping still applies to this upload.
  }
}

/**
 * Initial mapping for a preview: remembered choice, else the server's suggestion.
 * Returns {mapping: {header: field|""}, source: {header: "remembered"|"auto"|"none"}}.
 */
export function initialMapping(preview, remembered) {
  const known = new Set(preview.fields.map((f) => f.name));
  const mapping = {};
  const source = {};
  const years = preview.year_columns || {};
  for (const header of preview.headers) {
    if (Object.hasOwn(years, header)) {
      // A year column of a wide file: the server reads it by its header, as field and year.
      mapping[header] = IGNORE;
      source[header] = "year";
    } else if (Object.hasOwn(remembered, header) && (remembered[header] === IGNORE || known.has(remembered[header]))) {
      mapping[header] = remembered[header];
      source[header] = "remembered";
    } else if (preview.suggested[header]) {
      mapping[header] = preview.suggested[header];
      source[header] = "auto";
    } else {
      mapping[header] = IGNORE;
      source[header] = "none";
    }
  }
  return { mapping, source };
}

/**
 * Problems that block scoring: required fields unmapped, a field mapped twice.
 * `yearColumns` (header -> "field, year", a wide file) cover their fields and fiscal_year.
 */
export function mappingProblems(mapping, fields, yearColumns = {}) {
  const byYear = new Set(Object.values(yearColumns).map((text) => text.split(",")[0]));
  if (byYear.size) byYear.add("fiscal_year");
  const used = new Map();
  for (const [header, field] of Object.entries(mapping)) {
    if (!field) continue;
    used.set(field, [...(used.get(field) || []), header]);
  }
  const missing = fields.filter((f) => f.required && !used.has(f.name) && !byYear.has(f.name)).map((f) => f.name);
  const duplicates = [...used.entries()].filter(([, headers]) => headers.length > 1);
  return { missing, duplicates };
}

function fieldOption(field, selected) {
  const unit = field.unit ? ` (${field.unit})` : "";
  const label = `${field.name}${field.required ? " *" : ""}${unit}`;
  return h("option", { value: field.name, selected: field.name === selected, title: field.description || "" }, label);
}

/**
 * Render the mapper table into `container`; `onChange(mapping)` fires on every edit.
 * Returns a function giving the current mapping.
 */
export function renderMapper(container, preview, state, onChange) {
  const required = preview.fields.filter((f) => f.required);
  const optional = preview.fields.filter((f) => !f.required);
  const columnValues = (index) =>
    preview.rows
      .map((row) => row[index])
      .filter((v) => v !== null && v !== undefined && v !== "")
      .slice(0, 3)
      .join(" · ");

  // Columns without a match come first: they are the ones that need a decision.
  const order = preview.headers.map((header, index) => [header, index]);
  const decided = (header) => Boolean(state.mapping[header]) || state.source[header] === "year";
  order.sort((a, b) => Number(decided(a[0])) - Number(decided(b[0])) || a[1] - b[1]);
  const rows = order.map(([header, index]) => {
    if (state.source[header] === "year") {
      return h(
        "tr",
        {},
        h("th", { scope: "row", class: "header-name" }, header),
        h("td", { class: "examples" }, columnValues(index)),
        h("td", { class: "by-year" }, preview.year_columns[header]),
        h("td", { class: "source auto" }, "by year"),
      );
    }
    const select = h(
      "select",
      { "aria-label": `field for column ${header}`, "data-header": header, class: state.mapping[header] ? "mapped" : "" },
      h("option", { value: IGNORE, selected: !state.mapping[header] }, "— ignore —"),
      h("optgroup", { label: "required" }, required.map((f) => fieldOption(f, state.mapping[header]))),
      h("optgroup", { label: "optional" }, optional.map((f) => fieldOption(f, state.mapping[header]))),
    );
    const scale = (preview.scales || {})[header];
    const scaleNote = scale ? h("div", { class: "muted small" }, `unit in header: ×${scale.toLocaleString("en-US")}`) : null;
    const sourceCell = h("td", { class: `source ${state.source[header]}` }, sourceLabel(state.source[header]), scaleNote);
    select.addEventListener("change", () => {
      state.mapping[header] = select.value;
      state.source[header] = "manual";
      select.className = select.value ? "mapped" : "";
      replace(sourceCell, sourceLabel("manual"));
      sourceCell.className = "source manual";
      onChange(state.mapping);
    });
    return h(
      "tr",
      { class: state.mapping[header] ? "" : "unmatched" },
      h("th", { scope: "row", class: "header-name" }, header),
      h("td", { class: "examples" }, columnValues(index)),
      h("td", {}, select),
      sourceCell,
    );
  });
  replace(
    container,
    h(
      "table",
      { class: "mapper-table" },
      h("thead", {}, h("tr", {}, h("th", {}, "Your column"), h("th", {}, "First values"), h("th", {}, "Contract field"), h("th", {}, "Match"))),
      h("tbody", {}, rows),
    ),
  );
  return () => ({ ...state.mapping });
}

function sourceLabel(source) {
  return { auto: "automatic", remembered: "remembered", manual: "your choice", none: "no match" }[source] || "";
}
