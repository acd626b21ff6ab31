// The console's one script (no inline scripts: the Content-Security-Policy forbids them).
// It draws the charts the server described, reloads pages that ask for it, and asks before
// forms marked data-confirm are sent. It computes no figure.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  for (const element of document.querySelectorAll("[data-chart]")) {
    const chart = echarts.init(element);
    chart.setOption(JSON.parse(element.dataset.chart));
    window.addEventListener("resize", () => chart.resize());
  }
  const refreshing = document.querySelector("[data-refresh]");
  if (refreshing) {
    const seconds = Number(refreshing.dataset.refresh);
    if (seconds > 0) {
      setTimeout(() => window.location.reload(), seconds * 1000);
    }
  }
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    });
  }
});
