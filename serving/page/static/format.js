// Number and label formatting shared by the table, the detail view and the chart.

/** Short badge labels for the scheme ids of the public contract; unknown ids show as is. */
export const SCHEME_SHORT = {
  cn_innovative_sme: "CN Innov.",
  cn_srdi_sme: "CN SRDI",
  cn_little_giant: "CN Giant",
  de_hidden_champion: "DE HC",
  jp_global_niche_top: "JP GNT",
  kr_world_class_300: "KR WC300",
  kr_global_strong_small: "KR Strong",
  kr_mid_sized: "KR Mid",
};

export const VERDICT_LABEL = {
  eligible: "eligible",
  not_eligible: "not eligible",
  undetermined: "undetermined",
  certified: "certified",
};

export const BAND_TEXT = {
  A: "A — top 5% of the reference population",
  B: "B — top 20%",
  C: "C — top half",
  D: "D — bottom half",
};

export function schemeShort(id) {
  return SCHEME_SHORT[id] || id;
}

const isNum = (v) => typeof v === "number" && Number.isFinite(v);

/** Probability 0–1 as a percentage with one decimal ("23.1%"), "—" when unknown. */
export function pct(value, digits = 1) {
  return isNum(value) ? `${(value * 100).toFixed(digits)}%` : "—";
}

/** Percentile 0–100 as an ordinal-like string ("96.4"). */
export function percentile(value) {
  return isNum(value) ? value.toFixed(1) : "—";
}

/** Money in CNY yuan, written the way Chinese reports do (万 / 亿). */
export function cny(value) {
  if (!isNum(value)) return "—";
  const abs = Math.abs(value);
  if (abs >= 1e8) return `${(value / 1e8).toFixed(2)} 亿`;
  if (abs >= 1e4) return `${(value / 1e4).toLocaleString("en-US", { maximumFractionDigits: abs >= 1e6 ? 0 : 1 })} 万`;
  return value.toLocaleString("en-US", { maximumFractionDigits: 0 });
}

/**
 * A value in the unit a feature or criterion declares (the same rules as `srdi
 * explain`): shares as %, share differences as signed pp, yuan as 万/亿, "log10 X"
 * back in X, yes/no flags as words.
 */
export function withUnit(value, unit) {
  if (value === null || value === undefined) return "—";
  if (typeof value !== "number") return String(value);
  if (!Number.isFinite(value)) return "—";
  unit = unit || "";
  if (unit.startsWith("log10 ")) return withUnit(10 ** value, unit.slice(6));
  switch (unit) {
    case "%":
    case "share":
    case "fraction":
      return pct(value);
    case "pp":
      return `${value >= 0 ? "+" : "−"}${Math.abs(value * 100).toFixed(1)} pp`;
    case "CNY":
    case "yuan":
      return cny(value);
    case "yes/no":
      return value >= 0.5 ? "yes" : "no";
    case "level":
      return `level ${Number(value.toPrecision(3))}`;
    case "rank":
      return `#${value.toFixed(0)}`;
    case "count":
      return Math.round(value).toLocaleString("en-US");
    case "persons":
      return `${Math.round(value).toLocaleString("en-US")} persons`;
    case "years":
      return `${Number(value.toFixed(1))} years`;
    default: {
      const text = Math.abs(value) >= 100 ? Math.round(value).toLocaleString("en-US") : Number(value.toPrecision(3)).toString();
      return unit ? `${text} ${unit}` : text;
    }
  }
}

/** Signed contribution in log-odds, with an arrow: "▲ +0.41". */
export function signed(value) {
  if (!isNum(value)) return "—";
  return `${value >= 0 ? "▲ +" : "▼ −"}${Math.abs(value).toFixed(2)}`;
}

/** Human byte size for the upload progress. */
export function bytes(n) {
  if (!isNum(n)) return "";
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)} kB`;
  return `${n} B`;
}

export function count(n) {
  return isNum(n) ? n.toLocaleString("en-US") : "—";
}

/**
 * Split a reason into its family label and the rest of its text: the scorer writes
 * "R&D intensity raises the score: R&D expense / revenue 7.8% (industry median 3.1%)",
 * and where an arrow already says "raises", the label and the detail are enough.
 */
export function reasonParts(reason) {
  const label = reason.family_label || reason.family || "";
  const text = reason.text || "";
  const colon = text.indexOf(": ");
  const head = colon >= 0 ? text.slice(0, colon) : "";
  const detail = head && /(raises|lowers) the score$/.test(head) ? text.slice(colon + 2) : text;
  return { label, detail: detail || label };
}
