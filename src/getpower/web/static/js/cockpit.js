// The cockpit's map (click to drill down) and trend. Data: #cockpit-data (json_script, part of
// the cached board). Text from the data reaches the tooltip's innerHTML only through encodeHTML.
(function () {
  const dataEl = document.getElementById("cockpit-data");
  if (!dataEl) return;
  const cfg = JSON.parse(dataEl.textContent);
  const esc = echarts.format.encodeHTML;
  const good = "#1e8449", mid = "#f4d03f", bad = "#c0392b";
  const mapEl = document.getElementById("map");
  fetch(cfg.geoUrl).then(r => r.json()).then(geo => {
    echarts.registerMap(cfg.mapName, geo);
    const chart = echarts.init(mapEl);
    const values = cfg.mapData.filter(d => d.value !== null).map(d => d.value);
    const min = values.length ? Math.min(...values) : 0, max = values.length ? Math.max(...values) : 1;
    chart.setOption({
      animation: false,
      tooltip: {trigger: "item", formatter: p => `${esc(p.name)}<br>${esc(cfg.kpiLabel)}：${esc(p.data ? String(p.data.text) : "—")}`},
      visualMap: {min: min, max: max === min ? min + 1 : max, left: "left", bottom: 10, calculable: true,
                  text: [cfg.higherIsBetter ? "好" : "差", cfg.higherIsBetter ? "差" : "好"],
                  inRange: {color: cfg.higherIsBetter ? [bad, mid, good] : [good, mid, bad]}},
      series: [{type: "map", map: cfg.mapName, roam: false, selectedMode: false, label: {show: true, fontSize: 10},
                data: cfg.mapData.map(d => ({name: d.name, code: d.code, text: d.text,
                                             value: d.value === null ? NaN : d.value,
                                             itemStyle: d.code === cfg.selected ? {borderColor: "#111", borderWidth: 3} : undefined}))}]
    });
    chart.on("click", p => {
      if (p.data && p.data.code) window.location.href = cfg.drillUrl.replace("__CODE__", encodeURIComponent(p.data.code));
    });
    window.addEventListener("resize", () => chart.resize());
    mapEl.dataset.ready = "1";
  });
  const trend = echarts.init(document.getElementById("trend"));
  trend.setOption({animation: false, tooltip: {trigger: "axis"}, grid: {left: 60, right: 30},
    xAxis: {type: "category", data: cfg.trend.months}, yAxis: {type: "value", name: cfg.unit, scale: true},
    series: [{type: "line", name: cfg.kpiLabel, data: cfg.trend.values, label: {show: true}, connectNulls: false}]});
  window.addEventListener("resize", () => trend.resize());
})();
