// Figures (绩效数据): completion rate, on-time rate, hours per hop and overdue counts of the referrals
// in a period, by township, provider or need type; as charts (echarts, canvas) and, for every chart,
// the same numbers as a table. Exports as CSV or XLSX, fetched with the token and saved from a Blob.

import { api, apiDownload } from "./api.js";
import { areaPicker } from "./areas.js";
import { byId, fill, h, stackable } from "./dom.js";
import { clearErrors, fieldError, focusField, formSummary } from "./forms.js";
import { bilingual, formatDate, label, t } from "./i18n.js";
import { announce, errorText, pageError, ready, startPage } from "./shell.js";

const DAY_MS = 86_400_000;
const charts = new Map(); // element id -> echarts instance

function percent(value) {
  return value === null || value === undefined ? "—" : `${(value * 100).toFixed(1)}%`;
}

function hours(value) {
  return value === null || value === undefined ? "—" : value.toFixed(1);
}

/** The period, area and grouping as a query string (the day after "to": the API's end is exclusive);
 * null after showing the errors beside the fields. */
function query(form, { grouping = true } = {}) {
  clearErrors(form);
  const from = form.elements.from.value;
  const to = form.elements.to.value;
  if (from && to && from > to) {
    fieldError(form, "to", t("figures.bad_period"));
    formSummary(form, t("form.fix_fields"));
    focusField(form, "to");
    return null;
  }
  const parts = [];
  if (from) parts.push(`from=${from}`);
  if (to) parts.push(`to=${new Date(Date.parse(`${to}T00:00:00Z`) + DAY_MS).toISOString().slice(0, 10)}`);
  if (form.elements.area.value) parts.push(`area=${form.elements.area.value}`);
  if (grouping) parts.push(`by=${form.elements.by.value}`);
  return parts.join("&");
}

function groupName(row, by) {
  if (by === "need_type" && row.key !== "total") return label("NeedType", row.key);
  return bilingual(row.label);
}

function drawChart(id, names, series, { max, unit }) {
  const el = byId(id);
  // Horizontal bars: one line per group, so long names (providers) stay readable on a phone.
  el.style.height = `${Math.max(220, names.length * (series.length * 12 + 10) + 70)}px`;
  let chart = charts.get(id);
  if (!chart) {
    chart = window.echarts.init(el, null, { renderer: "canvas" });
    charts.set(id, chart);
  }
  chart.setOption(
    {
      animation: false,
      // Patterns as well as colours tell the series apart; the description is ours (aria-label).
      aria: { enabled: true, label: { enabled: false }, decal: { show: series.length > 1 } },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 8, right: 32, top: 28, bottom: 4, containLabel: true },
      xAxis: { type: "value", max, axisLabel: { formatter: `{value}${unit}` } },
      yAxis: { type: "category", data: names, inverse: true, axisLabel: { width: 150, overflow: "truncate" } },
      series: series.map((s) => ({ type: "bar", name: s.name, data: s.data, label: { show: names.length <= 16, position: "right", formatter: `{c}${unit}` } })),
    },
    true,
  );
  chart.resize();
  el.setAttribute("aria-label", t("figures.chart_label", { title: byId(`${id}-title`).textContent, n: names.length }));
}

function showCharts(figures) {
  const rows = figures.rows;
  const names = rows.map((row) => groupName(row, figures.by));
  const pct = (x) => (x === null ? null : Math.round(x * 1000) / 10);
  drawChart(
    "chart-rates",
    names,
    [
      { name: t("figures.completion_rate"), data: rows.map((r) => pct(r.completion_rate)) },
      { name: t("figures.on_time_rate"), data: rows.map((r) => pct(r.on_time_rate)) },
    ],
    { max: 100, unit: "%" },
  );
  drawChart(
    "chart-hours",
    names,
    [
      { name: t("figures.median_hours"), data: rows.map((r) => r.median_hours) },
      { name: t("figures.mean_hours"), data: rows.map((r) => r.mean_hours) },
    ],
    { unit: "" },
  );
  drawChart("chart-overdue", names, [{ name: t("figures.overdue"), data: rows.map((r) => r.overdue) }], { unit: "" });
}

const COLUMNS = [
  ["figures.referrals", (r) => r.referrals],
  ["figures.completed", (r) => r.completed],
  ["figures.completion_rate", (r) => percent(r.completion_rate)],
  ["figures.hops_completed", (r) => r.hops_completed],
  ["figures.hops_on_time", (r) => r.hops_on_time],
  ["figures.hops_closed_late", (r) => r.hops_closed_late],
  ["figures.on_time_rate", (r) => percent(r.on_time_rate)],
  ["figures.median_hours", (r) => hours(r.median_hours)],
  ["figures.mean_hours", (r) => hours(r.mean_hours)],
  ["figures.p90_hours", (r) => hours(r.p90_hours)],
  ["figures.overdue", (r) => r.overdue],
];

function table(figures, period) {
  const line = (row, header) =>
    h(
      "tr",
      {},
      h("th", { scope: "row" }, groupName(row, figures.by)),
      COLUMNS.map(([, value]) => (header ? h("td", { class: "num" }, h("strong", {}, String(value(row)))) : h("td", { class: "num" }, String(value(row))))),
    );
  return stackable(
    h(
      "table",
      { id: "figures-data" },
      h("caption", { id: "figures-table-caption" }, t("figures.table_caption", { by: t(`figures.by_${figures.by}`), period })),
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t(`figures.by_${figures.by}`)), COLUMNS.map(([key]) => h("th", { scope: "col" }, t(key))))),
      h("tbody", {}, figures.rows.map((row) => line(row, false))),
      h("tfoot", {}, line(figures.total, true)),
    ),
  );
}

async function show(event) {
  if (event) event.preventDefault();
  const form = byId("period");
  const q = query(form);
  if (q === null) return;
  ready(false);
  try {
    const figures = await api(`/figures/referrals?${q}`);
    const last = new Date(Date.parse(figures.date_to) - DAY_MS).toISOString();
    const period = t("figures.period", { from: formatDate(figures.date_from), to: formatDate(last) });
    byId("results").hidden = false;
    fill(byId("period-shown"), period);
    const total = figures.total;
    fill(
      byId("totals"),
      h(
        "p",
        { id: "totals-line" },
        t("figures.totals", {
          referrals: total.referrals,
          completion: percent(total.completion_rate),
          ontime: percent(total.on_time_rate),
          median: hours(total.median_hours),
          overdue: total.overdue,
        }),
      ),
    );
    fill(byId("figures-table"), table(figures, period));
    showCharts(figures);
  } catch (error) {
    announce(errorText(error), "error");
  }
  ready(true);
}

async function download(format) {
  const form = byId("period");
  const q = query(form, { grouping: false });
  if (q === null) return;
  const status = byId("export-status");
  fill(status, t("figures.exporting"));
  ready(false);
  try {
    // All three groupings (township, provider, need type): the API's default for an export.
    const { blob, filename } = await apiDownload(`/figures/referrals/export?format=${format}${q ? `&${q}` : ""}`);
    const url = URL.createObjectURL(blob);
    const link = h("a", { href: url, download: filename, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    fill(status, t("figures.exported", { name: filename }));
  } catch (error) {
    fill(status, errorText(error));
  }
  ready(true);
}

async function main() {
  const me = await startPage({ needs: "read_figures", refusal: "figures.not_for_role" });
  if (!me) return;
  await areaPicker(byId("period-area"), { withAll: t("figures.all_areas") });
  byId("filters").hidden = false;
  const form = byId("period");
  form.addEventListener("submit", (event) => show(event).catch(pageError));
  for (const radio of form.querySelectorAll("input[name=by]")) radio.addEventListener("change", () => show().catch(pageError));
  byId("export-csv").addEventListener("click", () => download("csv").catch(pageError));
  byId("export-xlsx").addEventListener("click", () => download("xlsx").catch(pageError));
  window.addEventListener("resize", () => charts.forEach((chart) => chart.resize()));
  await show();
}

main().catch(pageError);
