/// The dashboard page: one self-contained HTML document (no CDN, no external files).
///
/// Its script polls `/api/studies`, `/api/study`, `/api/trials` and `/api/workers` every two
/// seconds and draws every plot as SVG itself. With more than one study it offers a choice,
/// kept in the address as `?study=NAME`. Without a coordinator (`coordinator_started_at`
/// absent) it says so and shows the workers the trials name instead of connected ones. Each plot's `<svg>` carries `data-points`, the number
/// of data marks drawn, which the browser test reads.
enum DashboardPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sextant</title>
<style>
:root { --fg:#1d2330; --muted:#6b7385; --line:#dde1ea; --bg:#f6f7fa; --card:#fff; --accent:#2f5fd0;
        --good:#1f9d55; --bad:#c93c3c; --pruned:#e08a1e; --running:#8a5cd0; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color:var(--fg); background:var(--bg); }
header { display:flex; align-items:baseline; gap:16px; padding:14px 24px; background:var(--card); border-bottom:1px solid var(--line); }
header h1 { font-size:18px; margin:0; }
#status { color:var(--muted); margin-left:auto; }
#status.error { color:var(--bad); }
#study-select { font:inherit; }
main { padding:16px 24px; display:grid; grid-template-columns:repeat(auto-fit, minmax(520px, 1fr)); gap:16px; }
section { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px 16px; min-width:0; }
section.wide { grid-column:1 / -1; }
h2 { font-size:14px; margin:0 0 8px; color:var(--muted); font-weight:600; text-transform:uppercase; letter-spacing:.04em; }
.cards { display:flex; flex-wrap:wrap; gap:24px; }
.card .label { color:var(--muted); font-size:12px; }
.card .value { font-size:20px; font-weight:600; }
.bar { height:8px; background:var(--line); border-radius:4px; overflow:hidden; margin-top:6px; width:220px; }
.bar > div { height:100%; background:var(--accent); }
.params { font-family:ui-monospace, Menlo, monospace; font-size:12px; color:var(--fg); }
.slices { display:flex; flex-wrap:wrap; gap:8px; }
svg { display:block; max-width:100%; }
svg text { font-size:11px; fill:var(--muted); }
svg .axis { stroke:#b7bdca; }
svg .grid { stroke:#eef0f4; }
table { border-collapse:collapse; width:100%; font-size:12px; }
th, td { text-align:left; padding:4px 8px; border-bottom:1px solid var(--line); white-space:nowrap; }
th { cursor:pointer; user-select:none; color:var(--muted); }
th.sorted::after { content:" \25BE"; }
th.sorted.up::after { content:" \25B4"; }
.tablewrap { max-height:420px; overflow:auto; }
.state-completed { color:var(--good); } .state-failed { color:var(--bad); }
.state-pruned { color:var(--pruned); } .state-running { color:var(--running); }
.legend { color:var(--muted); font-size:12px; margin-top:4px; }
.legend span { margin-right:12px; }
.empty { color:var(--muted); padding:24px 0; }
</style>
</head>
<body>
<header><h1 id="title">Sextant</h1><select id="study-select" title="study" hidden></select><span id="subtitle"></span><span id="status">loading…</span></header>
<main>
  <section class="wide"><h2>Study</h2><div class="cards" id="summary"></div></section>
  <section><h2>Optimization history</h2><div id="history"></div>
    <div class="legend"><span style="color:var(--good)">● completed</span><span style="color:var(--pruned)">○ pruned</span><span style="color:var(--accent)">— best so far</span></div></section>
  <section><h2>Learning curves</h2><div id="curves"></div>
    <div class="legend"><span style="color:var(--good)">— completed</span><span style="color:var(--running)">— running</span><span style="color:var(--pruned)">✕ pruned</span></div></section>
  <section id="pareto-section" hidden><h2>Pareto front</h2>
    <div class="legend"><select id="pareto-x" title="x axis"></select> against <select id="pareto-y" title="y axis"></select></div>
    <div id="pareto"></div>
    <div class="legend"><span style="color:var(--accent)">◆ on the front</span><span style="color:var(--good)">● completed</span><span style="color:var(--bad)">✕ infeasible</span><span style="color:var(--accent)">— front</span></div></section>
  <section id="hypervolume-section" hidden><h2>Hypervolume</h2><div id="hypervolume"></div>
    <div class="legend" id="hypervolume-note"></div></section>
  <section class="wide"><h2>Slice plots: value against each parameter</h2><div class="slices" id="slices"></div></section>
  <section><h2>Parallel coordinates</h2><div id="parallel"></div>
    <div class="legend">one line per completed trial; darker is better</div></section>
  <section><h2>Parameter importance</h2><div id="importance"></div>
    <div class="legend">share of the variance of value ranks explained by each parameter (η² over bins)</div></section>
  <section class="wide"><h2>Trials</h2><div class="tablewrap"><table id="trials"></table></div></section>
  <section class="wide"><h2>Workers</h2><div class="legend" id="workers-note"></div><table id="workers"></table></section>
</main>
<script>
"use strict";
const address = new URLSearchParams(location.search);
const token = address.get("token");
const NS = "http://www.w3.org/2000/svg";
// `selected`: the study chosen (null: the dashboard's default); `studies`: those to choose from.
const view = { study: null, trials: [], workers: [], studies: [], selected: address.get("study"), sort: { key: "id", up: false } };
let timer = null;

async function get(path, oneStudy) {
  const params = new URLSearchParams();
  if (token) params.set("token", token);
  if (oneStudy && view.selected !== null) params.set("study", view.selected);
  const text = params.toString();
  const response = await fetch(path + (text ? "?" + text : ""), { cache: "no-store" });
  if (!response.ok) {
    let message = path + " answered " + response.status;
    try { message = (await response.json()).error.message || message; } catch (_) {}
    throw new Error(message);
  }
  return response.json();
}

async function refresh() {
  clearTimeout(timer);
  try {
    const [studies, study, trials, workers] = await Promise.all([get("/api/studies"),
      get("/api/study", true), get("/api/trials", true), get("/api/workers", true)]);
    Object.assign(view, { studies, study, trials, workers });
    render();
    status("updated " + new Date().toLocaleTimeString(), false);
  } catch (error) {
    status(view.study ? "dashboard not reachable (" + error.message + "); showing the last data" : String(error.message), true);
  } finally {
    timer = setTimeout(refresh, 2000);
  }
}

function live() { return view.study.coordinator_started_at !== undefined && view.study.coordinator_started_at !== null; }

function drawStudies() {
  const select = document.getElementById("study-select");
  select.hidden = view.studies.length < 2;
  const names = view.studies.map(s => s.name);
  if (select.dataset.names !== JSON.stringify(names)) {
    select.replaceChildren();
    for (const s of view.studies) el("option", { value: s.name }, select, `${s.name} (${s.state}, ${s.trials} trials)`);
    select.dataset.names = JSON.stringify(names);
  }
  select.value = view.study.name;
}

document.getElementById("study-select").onchange = event => {
  view.selected = event.target.value;
  const next = new URLSearchParams(location.search);
  next.set("study", view.selected);
  history.replaceState(null, "", "?" + next);
  refresh();
};

function status(text, isError) {
  const element = document.getElementById("status");
  element.textContent = text;
  element.className = isError ? "error" : "";
}

function el(tag, attributes, parent, text) {
  const node = tag === "svg" || ["g","line","circle","path","text","rect","polyline","title"].includes(tag)
    ? document.createElementNS(NS, tag) : document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  if (parent) parent.appendChild(node);
  return node;
}

function fmt(x) {
  if (x === null || x === undefined) return "–";
  if (typeof x !== "number") return String(x);
  if (Number.isInteger(x)) return String(x);
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? x.toExponential(2) : x.toPrecision(4).replace(/\.?0+$/, "");
}

function duration(seconds) {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return "–";
  seconds = Math.round(seconds);
  const h = Math.floor(seconds / 3600), m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
  return h ? h + "h " + m + "m" : m ? m + "m " + s + "s" : s + "s";
}

// A scale maps data to pixels; log scales map log10 of the value.
function scale(values, lo, hi, log, pad) {
  let xs = values.filter(v => isFinite(v) && (!log || v > 0)).map(v => log ? Math.log10(v) : v);
  let min = Math.min(...xs), max = Math.max(...xs);
  if (!xs.length) { min = 0; max = 1; }
  if (min === max) { min -= log ? 0.5 : Math.abs(min) * 0.1 || 1; max += log ? 0.5 : Math.abs(max) * 0.1 || 1; }
  const margin = (max - min) * (pad ?? 0.05); min -= margin; max += margin;
  const f = v => lo + ((log ? Math.log10(v) : v) - min) / (max - min) * (hi - lo);
  f.ticks = () => {
    if (log) {
      // Decades, or 1-2-5 steps within them when the range spans less than three.
      const steps = max - min >= 3 ? [1] : max - min >= 1 ? [1, 2, 5] : [1, 1.5, 2, 3, 5, 7];
      const out = [];
      for (let e = Math.floor(min); e <= Math.ceil(max); e++)
        for (const k of steps) { const t = k * Math.pow(10, e), l = Math.log10(t); if (l >= min && l <= max) out.push(t); }
      return out;
    }
    const step = Math.pow(10, Math.floor(Math.log10((max - min) / 4)));
    const nice = [1, 2, 5, 10].map(k => k * step).find(s => (max - min) / s <= 6);
    const out = [];
    for (let t = Math.ceil(min / nice) * nice; t <= max; t += nice) out.push(Math.abs(t) < nice * 1e-9 ? 0 : t);
    return out;
  };
  return f;
}

function frame(parent, width, height, x, y, xLabel, yLabel, categories) {
  const svg = el("svg", { width, height, viewBox: `0 0 ${width} ${height}` }, parent);
  const g = el("g", {}, svg);
  const [left, right, top, bottom] = [x.range[0], x.range[1], y.range[1], y.range[0]];
  for (const t of y.scale.ticks()) {
    const py = y.scale(t);
    el("line", { class: "grid", x1: left, x2: right, y1: py, y2: py }, g);
    el("text", { x: left - 4, y: py + 3, "text-anchor": "end" }, g, fmt(t));
  }
  const xticks = categories ? categories.map((c, i) => [i, c]) : x.scale.ticks().map(t => [t, fmt(t)]);
  for (const [t, label] of xticks) {
    const px = x.scale(t);
    el("line", { class: "grid", x1: px, x2: px, y1: top, y2: bottom }, g);
    el("text", { x: px, y: bottom + 14, "text-anchor": "middle" }, g, label);
  }
  el("line", { class: "axis", x1: left, x2: right, y1: bottom, y2: bottom }, g);
  el("line", { class: "axis", x1: left, x2: left, y1: top, y2: bottom }, g);
  el("text", { x: (left + right) / 2, y: height - 2, "text-anchor": "middle" }, g, xLabel);
  el("text", { x: 10, y: (top + bottom) / 2, transform: `rotate(-90 10 ${(top + bottom) / 2})`, "text-anchor": "middle" }, g, yLabel);
  return svg;
}

function values(trials) { return trials.filter(t => typeof t.value === "number" && isFinite(t.value)); }
function useLog(vs) { const pos = vs.filter(v => v > 0); return pos.length === vs.length && vs.length > 1 && Math.max(...vs) / Math.min(...vs) > 50; }
function better(a, b) { return view.study.goal === "maximize" ? a > b : a < b; }

function drawHistory() {
  const box = document.getElementById("history"); box.replaceChildren();
  const scored = values(view.trials.filter(t => t.state === "completed" || t.state === "pruned"));
  if (!scored.length) { el("div", { class: "empty" }, box, "no finished trial yet"); return; }
  const [w, h] = [560, 280];
  const ys = scored.map(t => t.value), log = useLog(ys);
  const x = { range: [56, w - 12], scale: null }, y = { range: [h - 34, 10], scale: null };
  x.scale = scale(scored.map(t => t.id), 56, w - 12, false, 0.03);
  y.scale = scale(ys, h - 34, 10, log);
  const svg = frame(box, w, h, x, y, "trial", view.study.metric + (log ? " (log)" : ""));
  svg.id = "history-plot";
  let best = null; const path = [];
  for (const t of scored.filter(t => t.state === "completed").sort((a, b) => a.id - b.id)) {
    if (best !== null && !better(t.value, best)) continue;
    if (best !== null) path.push(`L${x.scale(t.id)},${y.scale(best)}`);
    best = t.value;
    path.push(`${path.length ? "L" : "M"}${x.scale(t.id)},${y.scale(best)}`);
  }
  if (path.length) path.push(`L${x.scale(Math.max(...scored.map(t => t.id)))},${y.scale(best)}`);
  if (path.length) el("path", { d: path.join(" "), fill: "none", stroke: "var(--accent)", "stroke-width": 2, class: "best-line" }, svg);
  for (const t of scored) {
    const c = el("circle", { cx: x.scale(t.id), cy: y.scale(t.value), r: 4, class: "trial-point " + t.state,
      fill: t.state === "pruned" ? "none" : "var(--good)", stroke: t.state === "pruned" ? "var(--pruned)" : "none", "stroke-width": 1.5 }, svg);
    el("title", {}, c, `#${t.id} ${t.state} ${fmt(t.value)}`);
  }
  svg.setAttribute("data-points", scored.length);
}

// A study with several objectives: two of them (or constrained values) against each other, the
// front marked and joined, infeasible trials crossed out.
function drawPareto() {
  const s = view.study, section = document.getElementById("pareto-section");
  section.hidden = !s.objectives;
  if (!s.objectives) return;
  const box = document.getElementById("pareto"); box.replaceChildren();
  const names = s.objectives.map(o => o.name).concat((s.constraints || []).map(c => c.name).filter(n => !s.objectives.some(o => o.name === n)));
  const pick = (id, fallback) => {
    const select = document.getElementById(id);
    const chosen = names.includes(select.value) ? select.value : fallback;
    if (select.options.length !== names.length) {
      select.replaceChildren(); for (const n of names) el("option", { value: n }, select, n);
      select.onchange = () => drawPareto();
    }
    select.value = chosen;
    return chosen;
  };
  const xName = pick("pareto-x", names[0]), yName = pick("pareto-y", names[1]);
  const points = view.trials.filter(t => t.state === "completed" && t.values && isFinite(t.values[xName]) && isFinite(t.values[yName]));
  if (!points.length) { el("div", { class: "empty" }, box, "no completed trial yet"); return; }
  const [w, h] = [560, 280];
  const xs = points.map(t => t.values[xName]), ys = points.map(t => t.values[yName]);
  const xLog = useLog(xs), yLog = useLog(ys);
  const x = { range: [56, w - 12], scale: scale(xs, 56, w - 12, xLog) }, y = { range: [h - 34, 10], scale: scale(ys, h - 34, 10, yLog) };
  const svg = frame(box, w, h, x, y, xName + (xLog ? " (log)" : ""), yName + (yLog ? " (log)" : ""));
  svg.id = "pareto-plot";
  const front = points.filter(t => t.pareto);
  // Two objectives on the axes: the front as the staircase of what it dominates.
  const goal = n => (s.objectives.find(o => o.name === n) || {}).goal;
  if (front.length && s.objectives.length === 2 && goal(xName) && goal(yName) && xName !== yName) {
    const sorted = [...front].sort((a, b) => a.values[xName] - b.values[xName]);
    const stairs = sorted.map((t, i) => {
      const px = x.scale(t.values[xName]), py = y.scale(t.values[yName]);
      if (i === 0) return `M${px},${py}`;
      const prev = sorted[i - 1];
      // The corner sits on the worse side of the y objective between two neighbours.
      const cornerY = goal(yName) === "minimize" ? Math.max(prev.values[yName], t.values[yName]) : Math.min(prev.values[yName], t.values[yName]);
      return `L${px},${y.scale(cornerY)} L${px},${py}`;
    });
    el("path", { d: stairs.join(" "), fill: "none", stroke: "var(--accent)", "stroke-width": 1.5, class: "front-line" }, svg);
  }
  for (const t of points) {
    const px = x.scale(t.values[xName]), py = y.scale(t.values[yName]);
    let mark;
    if (t.feasible === false) {
      mark = el("path", { d: `M${px - 4},${py - 4} L${px + 4},${py + 4} M${px - 4},${py + 4} L${px + 4},${py - 4}`, stroke: "var(--bad)", "stroke-width": 1.5, class: "pareto-point infeasible" }, svg);
    } else if (t.pareto) {
      mark = el("path", { d: `M${px},${py - 6} L${px + 6},${py} L${px},${py + 6} L${px - 6},${py} Z`, fill: "var(--accent)", class: "pareto-point front" }, svg);
    } else {
      mark = el("circle", { cx: px, cy: py, r: 4, fill: "var(--good)", "fill-opacity": 0.6, class: "pareto-point" }, svg);
    }
    el("title", {}, mark, `#${t.id} ${xName}=${fmt(t.values[xName])} ${yName}=${fmt(t.values[yName])}` + (t.pareto ? " (on the front)" : "") + (t.feasible === false ? " (infeasible)" : ""));
  }
  svg.setAttribute("data-points", points.length);
  svg.setAttribute("data-front", front.length);
  svg.setAttribute("data-infeasible", points.filter(t => t.feasible === false).length);
}

// The front's hypervolume after each finished trial.
function drawHypervolume() {
  const s = view.study, section = document.getElementById("hypervolume-section");
  section.hidden = !s.objectives;
  if (!s.objectives) return;
  const box = document.getElementById("hypervolume"); box.replaceChildren();
  const history = s.hypervolume_history || [];
  document.getElementById("hypervolume-note").textContent = s.reference
    ? "against the reference point " + s.objectives.map((o, i) => `${o.name}=${fmt(o.goal === "maximize" ? -s.reference[i] : s.reference[i])}`).join(", ")
      + (s.objectives.every(o => o.reference !== undefined && o.reference !== null) ? "" : " (the worst completed values where the study file gives none)")
    : "";
  if (!history.length) { el("div", { class: "empty" }, box, "no trial on the front yet"); return; }
  const [w, h] = [560, 280];
  const xs = history.map((_, i) => i + 1), ys = history.map(p => p[1]);
  const x = { range: [56, w - 12], scale: scale(xs, 56, w - 12, false, 0.03) }, y = { range: [h - 34, 10], scale: scale(ys, h - 34, 10, false) };
  const svg = frame(box, w, h, x, y, "trials finished", "hypervolume");
  svg.id = "hypervolume-plot";
  const path = history.map((p, i) => (i ? `L${x.scale(i + 1)},${y.scale(history[i - 1][1])} L` : "M") + `${x.scale(i + 1)},${y.scale(p[1])}`);
  el("path", { d: path.join(" "), fill: "none", stroke: "var(--accent)", "stroke-width": 2, class: "hypervolume-line" }, svg);
  svg.setAttribute("data-points", history.length);
  svg.setAttribute("data-last", ys[ys.length - 1]);
}

function drawCurves() {
  const box = document.getElementById("curves"); box.replaceChildren();
  const withReports = view.trials.filter(t => t.reports && t.reports.length);
  if (!withReports.length) { el("div", { class: "empty" }, box, "no intermediate reports yet"); return; }
  const [w, h] = [560, 280];
  // A running trial's forecast (a study with a fidelity): the model's mean and 95% band ahead.
  const ahead = withReports.filter(t => t.forecast && t.forecast.length);
  const steps = withReports.flatMap(t => t.reports.map(r => r[0])).concat(ahead.flatMap(t => t.forecast.map(f => f[0])));
  const vs = withReports.flatMap(t => t.reports.map(r => r[1])).concat(ahead.flatMap(t => t.forecast.map(f => f[1])));
  const log = useLog(vs);
  const x = { range: [56, w - 12], scale: scale(steps, 56, w - 12, false, 0.02) };
  const y = { range: [h - 34, 10], scale: scale(vs, h - 34, 10, log) };
  const clampY = v => Math.min(h - 34, Math.max(10, y.scale(log ? Math.max(v, Number.MIN_VALUE) : v)));
  const svg = frame(box, w, h, x, y, "step", view.study.metric + (log ? " (log)" : ""));
  svg.id = "curves-plot";
  let marks = 0, forecasts = 0;
  for (const t of ahead) {
    const last = t.reports[t.reports.length - 1], f = [[last[0], last[1], last[1], last[1]]].concat(t.forecast);
    const band = f.map(p => `${x.scale(p[0])},${clampY(p[2])}`).concat(f.slice().reverse().map(p => `${x.scale(p[0])},${clampY(p[3])}`));
    const area = el("polygon", { points: band.join(" "), fill: "var(--running)", opacity: 0.15, class: "forecast-band" }, svg);
    const end = t.forecast[t.forecast.length - 1];
    el("title", {}, area, `#${t.id} predicted at step ${end[0]}: ${fmt(end[1])} (95% band ${fmt(end[2])} to ${fmt(end[3])})`);
    el("polyline", { points: f.map(p => `${x.scale(p[0])},${clampY(p[1])}`).join(" "), fill: "none", stroke: "var(--running)", "stroke-width": 1.2, "stroke-dasharray": "4 3", class: "forecast" }, svg);
    forecasts++;
  }
  for (const t of withReports) {
    const color = t.state === "pruned" ? "var(--pruned)" : t.state === "running" ? "var(--running)" : t.state === "failed" ? "var(--bad)" : "var(--good)";
    const points = t.reports.filter(r => !log || r[1] > 0).map(r => `${x.scale(r[0])},${y.scale(r[1])}`);
    const line = el("polyline", { points: points.join(" "), fill: "none", stroke: color, "stroke-width": 1.2, opacity: 0.75, class: "curve " + t.state }, svg);
    el("title", {}, line, `#${t.id} ${t.state}` + (t.state === "pruned" && t.reason ? `: ${t.reason}` : ""));
    marks++;
    if (t.state === "pruned" && points.length) {
      const [px, py] = points[points.length - 1].split(",").map(Number);
      el("path", { d: `M${px - 4},${py - 4}L${px + 4},${py + 4}M${px - 4},${py + 4}L${px + 4},${py - 4}`, stroke: "var(--pruned)", "stroke-width": 2, class: "pruned-mark" }, svg);
    }
  }
  svg.setAttribute("data-points", marks);
  svg.setAttribute("data-forecasts", forecasts);
}

function paramValue(t, p) { return t.params[p.name]; }

function drawSlices() {
  const box = document.getElementById("slices"); box.replaceChildren();
  const scored = values(view.trials.filter(t => t.state === "completed" || t.state === "pruned"));
  if (!scored.length) { el("div", { class: "empty" }, box, "no finished trial yet"); return; }
  const ys = scored.map(t => t.value), log = useLog(ys);
  const all = scored;
  for (const p of view.study.space) {
    // Only the trials where the parameter is active (a conditional one is absent elsewhere).
    const scored = all.filter(t => paramValue(t, p) !== undefined);
    if (!scored.length) continue;
    const [w, h] = [330, 220];
    const holder = el("div", {}, box);
    const categories = p.type === "categorical" ? p.choices.map(String) : null;
    const xv = t => categories ? categories.indexOf(String(paramValue(t, p))) : paramValue(t, p);
    const x = { range: [52, w - 10], scale: categories ? (v => 52 + (v + 0.5) / categories.length * (w - 62)) : scale(scored.map(xv), 52, w - 10, p.log) };
    const y = { range: [h - 34, 8], scale: scale(ys, h - 34, 8, log) };
    const svg = frame(holder, w, h, x, y, p.name + (p.log ? " (log)" : ""), view.study.metric, categories);
    svg.id = "slice-" + p.name;
    svg.setAttribute("class", "slice");
    for (const t of scored) {
      let px = x.scale(xv(t));
      if (categories) px += (((t.id * 7919) % 100) / 100 - 0.5) * (w - 62) / categories.length * 0.5;
      const c = el("circle", { cx: px, cy: y.scale(t.value), r: 3.5, class: "trial-point " + t.state,
        fill: t.state === "pruned" ? "none" : "var(--accent)", stroke: t.state === "pruned" ? "var(--pruned)" : "none", opacity: 0.8 }, svg);
      el("title", {}, c, `#${t.id} ${p.name}=${fmt(paramValue(t, p))} → ${fmt(t.value)}`);
    }
    svg.setAttribute("data-points", scored.length);
  }
}

function drawParallel() {
  const box = document.getElementById("parallel"); box.replaceChildren();
  const done = values(view.trials.filter(t => t.state === "completed"));
  if (!done.length) { el("div", { class: "empty" }, box, "no completed trial yet"); return; }
  const params = view.study.space;
  const [w, h] = [Math.max(560, 110 * (params.length + 1)), 300];
  const svg = el("svg", { id: "parallel-plot", width: w, height: h, viewBox: `0 0 ${w} ${h}` }, box);
  const axes = params.map(p => ({ name: p.name, categories: p.type === "categorical" ? p.choices.map(String) : null, log: p.log,
    get: t => t.params[p.name] }));
  axes.push({ name: view.study.metric, get: t => t.value, log: useLog(done.map(t => t.value)) });
  const left = 40, right = w - 40, top = 24, bottom = h - 24;
  const xs = axes.map((_, i) => left + i * (right - left) / Math.max(axes.length - 1, 1));
  for (const a of axes) {
    if (a.categories) a.scale = v => bottom - (a.categories.indexOf(String(v)) + 0.5) / a.categories.length * (bottom - top);
    else a.scale = scale(done.map(a.get).filter(v => v !== undefined), bottom, top, a.log, 0.02);
  }
  const ranked = [...done].sort((a, b) => better(a.value, b.value) ? 1 : -1);
  ranked.forEach((t, i) => {
    const shade = 0.15 + 0.85 * (i + 1) / ranked.length;
    // An inactive conditional parameter has no point on its axis: the line skips it.
    const points = axes.map((a, k) => a.get(t) === undefined ? null : `${xs[k]},${a.scale(a.get(t))}`).filter(p => p).join(" ");
    const line = el("polyline", { points, fill: "none", stroke: `rgba(47,95,208,${shade.toFixed(3)})`, "stroke-width": i === ranked.length - 1 ? 2.5 : 1.2, class: "pc-line" }, svg);
    el("title", {}, line, `#${t.id} ${fmt(t.value)}`);
  });
  axes.forEach((a, k) => {
    el("line", { class: "axis", x1: xs[k], x2: xs[k], y1: top, y2: bottom }, svg);
    el("text", { x: xs[k], y: 14, "text-anchor": "middle" }, svg, a.name);
    const ticks = a.categories ? a.categories : [a.scale.ticks()[0], a.scale.ticks().slice(-1)[0]];
    for (const t of ticks) if (t !== undefined) el("text", { x: xs[k] + 4, y: a.scale(t) + 3 }, svg, a.categories ? t : fmt(t));
  });
  svg.setAttribute("data-points", done.length);
}

function drawImportance() {
  const box = document.getElementById("importance"); box.replaceChildren();
  const entries = Object.entries(view.study.importance || {}).sort((a, b) => b[1] - a[1]);
  if (!entries.length) { el("div", { class: "empty" }, box, "needs at least 6 completed trials"); return; }
  const w = 520, row = 26, h = entries.length * row + 10;
  const svg = el("svg", { id: "importance-plot", width: w, height: h, viewBox: `0 0 ${w} ${h}` }, box);
  entries.forEach(([name, share], i) => {
    const y = 5 + i * row;
    el("text", { x: 130, y: y + 15, "text-anchor": "end" }, svg, name);
    el("rect", { x: 138, y: y + 3, width: Math.max(1, share * (w - 200)), height: row - 10, fill: "var(--accent)", rx: 3, class: "importance-bar" }, svg);
    el("text", { x: 144 + share * (w - 200), y: y + 15 }, svg, (share * 100).toFixed(0) + "%");
  });
  svg.setAttribute("data-points", entries.length);
}

function drawSummary() {
  const s = view.study, box = document.getElementById("summary"); box.replaceChildren();
  document.getElementById("title").textContent = "Sextant · " + s.name;
  const goals = s.objectives ? s.objectives.map(o => `${o.name} (${o.goal})`).join(", ") : `${s.metric} (${s.goal})`;
  const bounds = s.constraints ? " · " + s.constraints.map(c => (c.min !== undefined && c.min !== null ? `${fmt(c.min)} ≤ ` : "") + c.name + (c.max !== undefined && c.max !== null ? ` ≤ ${fmt(c.max)}` : "")).join(", ") : "";
  document.getElementById("subtitle").textContent = goals + bounds + ` · ${s.optimizer}` + (s.pruner !== "none" ? ` · pruner ${s.pruner}` : "") + ` · ${s.state}` + (s.stopping ? " (stopping)" : "")
    + (live() ? "" : " · read from the database, no coordinator attached");
  const card = (label, value, extra) => {
    const c = el("div", { class: "card" }, box);
    el("div", { class: "label" }, c, label);
    const v = el("div", { class: "value" }, c, value);
    if (extra) c.appendChild(extra);
    return v;
  };
  const bar = el("div", { class: "bar" }); el("div", { style: `width:${Math.min(100, 100 * s.finished / s.budget.trials)}%` }, bar);
  card("progress", `${s.finished} / ${s.budget.trials}`, bar).id = "progress";
  const counts = Object.entries(s.counts).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(", ");
  card("trials", counts || "none");
  const params = s.best ? el("div", { class: "params" }, null, Object.entries(s.best.params).sort().map(([k, v]) => `${k}=${fmt(v)}`).join("  ")) : null;
  if (s.objectives) {
    card("Pareto front", `${(s.pareto_front || []).length} trials`).id = "front";
    card("hypervolume", typeof s.hypervolume === "number" ? fmt(s.hypervolume) : "–").id = "hypervolume-card";
  } else {
    card("best " + s.metric, s.best ? `${fmt(s.best.value)}  (#${s.best.id})` : "–", params).id = "best";
  }
  card("elapsed", duration(s.elapsed_seconds));
  card("time left (estimate)", s.state === "running" ? duration(s.eta_seconds) : "–");
  if (live()) card("workers", String(view.workers.length) + " (" + view.workers.reduce((n, w) => n + w.slots, 0) + " slots)");
  else card("workers named by running trials", String(new Set(view.trials.filter(t => t.state === "running" && t.worker).map(t => t.worker)).size));
}

function drawTrials() {
  const table = document.getElementById("trials"); table.replaceChildren();
  const names = view.study.space.map(p => p.name);
  // A study with several objectives or constraints: a column per reported value, and the front.
  const reported = (view.study.objectives || []).map(o => o.name).concat((view.study.constraints || []).map(c => c.name))
    .filter((n, i, all) => all.indexOf(n) === i);
  const valueColumns = reported.length ? reported.map(n => [n, t => t.values ? t.values[n] : null]) : [[view.study.metric, t => t.value]];
  const marks = view.study.objectives ? [["pareto", t => t.pareto ? "yes" : null]] : [];
  const feasibility = view.study.constraints ? [["feasible", t => t.feasible === undefined ? null : (t.feasible ? "yes" : "no")]] : [];
  const columns = [["id", t => t.id], ["state", t => t.state]].concat(valueColumns, marks, feasibility, [["step", t => t.step],
    ["try", t => t.attempt], ["worker", t => t.worker], ["seconds", t => t.started_at ? ((t.finished_at ? Date.parse(t.finished_at) : Date.now()) - Date.parse(t.started_at)) / 1000 : null]]
    ).concat(names.map(n => [n, t => t.params[n]]));
  const head = el("tr", {}, el("thead", {}, table));
  columns.forEach(([name]) => {
    const th = el("th", { class: view.sort.key === name ? "sorted" + (view.sort.up ? " up" : "") : "" }, head, name);
    th.onclick = () => { view.sort = { key: name, up: view.sort.key === name ? !view.sort.up : true }; drawTrials(); };
  });
  const get = (columns.find(([n]) => n === view.sort.key) || columns[0])[1];
  const rows = [...view.trials].sort((a, b) => {
    const x = get(a), y = get(b);
    if (x === y) return 0; if (x === null || x === undefined) return 1; if (y === null || y === undefined) return -1;
    return (x < y ? -1 : 1) * (view.sort.up ? 1 : -1);
  });
  const body = el("tbody", {}, table);
  for (const t of rows) {
    const tr = el("tr", { class: "trial-row" }, body);
    columns.forEach(([name, f]) => {
      const v = f(t);
      // An inactive conditional parameter (absent from params) is a blank cell.
      const text = name === "seconds" ? (v === null ? "–" : v.toFixed(1)) : (v === undefined && names.includes(name) ? "" : fmt(v));
      el("td", name === "state" ? { class: "state-" + v } : {}, tr, text);
    });
  }
}

// Without a coordinator, the workers the stored trials name: what the database knows of them.
function drawStoredWorkers(table) {
  document.getElementById("workers-note").textContent = "No coordinator attached: these are the workers the stored trials name. "
    + "Connected workers and their heartbeats are shown by the dashboard of the coordinator that runs the study.";
  const head = el("tr", {}, el("thead", {}, table));
  for (const name of ["worker", "trials", "running trials", "last trial started"]) el("th", {}, head, name);
  const body = el("tbody", {}, table);
  const byName = new Map();
  for (const t of view.trials.filter(t => t.worker)) byName.set(t.worker, (byName.get(t.worker) || []).concat([t]));
  if (!byName.size) { el("td", { colspan: 4, class: "empty" }, el("tr", {}, body), "no trial has run yet"); return; }
  for (const [name, trials] of [...byName].sort((a, b) => a[0] < b[0] ? -1 : 1)) {
    const tr = el("tr", { class: "stored-worker-row" }, body);
    const started = trials.map(t => t.started_at).filter(Boolean).sort().pop();
    for (const v of [name, trials.length, trials.filter(t => t.state === "running").map(t => "#" + t.id).join(" ") || "none",
      started ? new Date(started).toLocaleString() : "–"]) el("td", {}, tr, String(v));
  }
}

function drawWorkers() {
  const table = document.getElementById("workers"); table.replaceChildren();
  if (!live()) { drawStoredWorkers(table); return; }
  document.getElementById("workers-note").textContent = "";
  const head = el("tr", {}, el("thead", {}, table));
  for (const name of ["worker", "host", "slots", "running trials", "last heartbeat", "joined"]) el("th", {}, head, name);
  const body = el("tbody", {}, table);
  if (!view.workers.length) { el("td", { colspan: 6, class: "empty" }, el("tr", {}, body), "no worker connected"); return; }
  for (const w of view.workers) {
    const tr = el("tr", { class: "worker-row" }, body);
    for (const v of [w.name, w.host || "–", w.slots, w.running.map(id => "#" + id).join(" ") || "idle",
      w.last_heartbeat_seconds.toFixed(1) + " s ago", new Date(w.joined_at).toLocaleTimeString()]) el("td", {}, tr, String(v));
  }
}

function render() {
  drawStudies(); drawSummary(); drawHistory(); drawPareto(); drawHypervolume(); drawCurves(); drawSlices(); drawParallel(); drawImportance(); drawTrials(); drawWorkers();
  document.body.setAttribute("data-rendered", view.trials.length);
}

refresh();
</script>
</body>
</html>
"""#
}
