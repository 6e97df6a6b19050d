// The report page's charts, drawn with Chart.js from the report JSON that the page
// embeds (`#report-data`: the same as_json() that /desk/reports/data and
// GET /api/v1/reports return). Choosing a period or grouping fetches the report
// part of the page again and redraws; without JavaScript the form reloads the page
// and the tables carry every figure.
(function () {
  "use strict";

  var COLORS = ["#1d5fd1", "#157347", "#c2410c", "#7c3aed", "#0e7490", "#b42318", "#a16207", "#475569"];
  var charts = {};
  // The page's words, translated on the server (`#report-text`, from the view's
  // CHART_TEXT); "{n}" and "{title}" are filled in here.
  var TEXT = (function () {
    var el = document.getElementById("report-text");
    return el ? JSON.parse(el.textContent) : {};
  })();

  function say(key, values) {
    var text = TEXT[key] || key;
    Object.keys(values || {}).forEach(function (name) { text = text.split("{" + name + "}").join(values[name]); });
    return text;
  }

  function reportData() {
    var el = document.getElementById("report-data");
    return el ? JSON.parse(el.textContent) : null;
  }

  // Dates and numbers in the page's language (<html lang>), not the browser's.
  var LANG = document.documentElement.lang || undefined;

  function number(value, digits) {
    return value.toLocaleString(LANG, { minimumFractionDigits: digits, maximumFractionDigits: digits });
  }

  function dayLabel(iso) {
    var d = new Date(iso + "T00:00:00");
    return d.toLocaleDateString(LANG, { month: "short", day: "numeric" });
  }

  function groupRows(data) {
    return data.rows.length ? data.rows : [];
  }

  function hours(value) {
    if (value === null || value === undefined) return "—";
    if (value < 1) return say("minutes", { n: number(Math.round(value * 60), 0) });
    if (value < 48) return say("hours", { n: number(value, 1) });
    return say("days", { n: number(value / 24, 1) });
  }

  function percent(value) {
    return value === null || value === undefined ? "—" : number(value, 1) + " %";
  }

  function base(yTitle, extra) {
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { position: "bottom", labels: { boxWidth: 12, usePointStyle: true } } },
      scales: {
        x: { grid: { display: false }, ticks: { autoSkip: true, maxRotation: 0 } },
        y: { beginAtZero: true, title: { display: !!yTitle, text: yTitle }, ticks: { precision: 0 } }
      }
    };
    return Object.assign(options, extra || {});
  }

  function make(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) return;
    var existing = window.Chart.getChart(canvas);
    if (existing) existing.destroy();
    charts[id] = new window.Chart(canvas, config);
  }

  function timesChart(id, data, name) {
    var rows = groupRows(data);
    var tooltip = { callbacks: { label: function (c) { return c.dataset.label + ": " + hours(c.raw); } } };
    make(id, {
      type: "bar",
      data: {
        labels: rows.map(function (r) { return r.label; }),
        datasets: [
          { label: say("median"), data: rows.map(function (r) { return r[name].median; }), backgroundColor: COLORS[0] },
          { label: say("p90"), data: rows.map(function (r) { return r[name].p90; }), backgroundColor: "#93b4ea" }
        ]
      },
      options: base(say("hours_axis"), { plugins: { legend: { position: "bottom" }, tooltip: tooltip } })
    });
  }

  function draw() {
    var data = reportData();
    if (!data || !window.Chart) return;
    window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    window.Chart.defaults.color = "#5b6776";
    var days = data.daily.map(function (d) { return dayLabel(d.day); });

    make("chart-daily", {
      type: "bar",
      data: {
        labels: days,
        datasets: [
          { label: say("opened"), data: data.daily.map(function (d) { return d.opened; }), backgroundColor: COLORS[0] },
          { label: say("resolved"), data: data.daily.map(function (d) { return d.resolved; }), backgroundColor: COLORS[1] }
        ]
      },
      options: base(say("tickets"))
    });

    var backlogSets = [];
    var rows = groupRows(data);
    if (data.group !== "none") {
      // One line per group while the colours last; the rest add up into "Others",
      // so no group's tickets silently drop out of the chart.
      var shown = rows.length > COLORS.length ? COLORS.length - 1 : rows.length;
      rows.slice(0, shown).forEach(function (row, i) {
        var series = data.backlog_by_group[row.key] || [];
        backlogSets.push({
          label: row.label, data: series.map(function (d) { return d.open; }),
          borderColor: COLORS[i], backgroundColor: COLORS[i], tension: 0.2, pointRadius: 2
        });
      });
      if (rows.length > shown) {
        var others = days.map(function () { return 0; });
        rows.slice(shown).forEach(function (row) {
          (data.backlog_by_group[row.key] || []).forEach(function (d, j) { others[j] += d.open; });
        });
        var last = COLORS[COLORS.length - 1];
        backlogSets.push({
          label: say("others", { n: rows.length - shown }), data: others,
          borderColor: last, backgroundColor: last, tension: 0.2, pointRadius: 2
        });
      }
    }
    backlogSets.push({
      label: data.group === "none" ? say("open_tickets") : say("total"),
      data: data.backlog.map(function (d) { return d.open; }),
      borderColor: "#0f2a4d", backgroundColor: "rgba(29, 95, 209, .08)",
      borderDash: data.group === "none" ? [] : [6, 4], fill: data.group === "none",
      tension: 0.2, pointRadius: 2
    });
    make("chart-backlog", { type: "line", data: { labels: days, datasets: backlogSets }, options: base(say("open_tickets")) });

    timesChart("chart-first-response", data, "first_response");
    timesChart("chart-resolution", data, "resolution");

    var pct = function (v) { return v === null ? null : Math.round(v * 1000) / 10; };
    make("chart-sla", {
      type: "bar",
      data: {
        labels: rows.map(function (r) { return r.label; }),
        datasets: [
          { label: say("first_response_met"), data: rows.map(function (r) { return pct(r.first_response_met); }), backgroundColor: COLORS[0] },
          { label: say("resolution_met"), data: rows.map(function (r) { return pct(r.resolution_met); }), backgroundColor: COLORS[1] }
        ]
      },
      options: base(say("met_axis"), {
        plugins: {
          legend: { position: "bottom" },
          tooltip: { callbacks: { label: function (c) { return c.dataset.label + ": " + percent(c.raw); } } }
        },
        scales: {
          x: { grid: { display: false } },
          y: { beginAtZero: true, max: 100, title: { display: true, text: say("met_axis") }, ticks: { callback: function (v) { return number(v, 0) + " %"; } } }
        }
      })
    });
  }

  function query(form) {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) { if (value) params.set(key, value); });
    if (params.get("preset") !== "custom") { params.delete("start"); params.delete("end"); }
    if (params.get("group") === "none") params.delete("group");
    return params.toString();
  }

  function syncForm(form) {
    var data = reportData();
    if (!data) return;
    form.elements.start.value = data.period.start;
    form.elements.end.value = data.period.end;
    form.elements.group.value = data.group;
  }

  function load(form, url, push) {
    var box = document.getElementById("report");
    var status = document.getElementById("report-status");
    box.setAttribute("aria-busy", "true");
    return fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        box.innerHTML = html;
        box.removeAttribute("aria-busy");
        if (push) history.pushState(null, "", url);
        syncForm(form);
        draw();
        var title = document.getElementById("report-title");
        if (status) status.textContent = title ? say("updated", { title: title.textContent }) : say("failed");
      })
      .catch(function () {
        box.removeAttribute("aria-busy");
        window.location.href = url;
      });
  }

  function init() {
    draw();
    var form = document.getElementById("report-form");
    if (!form || !window.fetch) return;
    var action = form.getAttribute("action");
    function go() {
      var q = query(form);
      return load(form, action + (q ? "?" + q : ""), true);
    }
    form.addEventListener("submit", function (event) { event.preventDefault(); go(); });
    form.addEventListener("change", function (event) {
      var target = event.target;
      if (target.type === "date") {
        form.elements.preset.value = "custom";
        return; // dates apply with the button: half a range is not a report
      }
      if (target.name === "preset" && target.value === "custom") {
        form.elements.start.focus();
        return;
      }
      if (target.tagName === "SELECT") go();
    });
    window.addEventListener("popstate", function () { load(form, window.location.href, false); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
