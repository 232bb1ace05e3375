// The monthly report's charts (SVG, print-friendly). Data: #report-charts (json_script); the map
// from #report-geo (the standalone file, which inlines this script) or #map[data-geo-url].
// No tooltips: every label is drawn as SVG text, never as HTML.
(function () {
  const cfg = JSON.parse(document.getElementById("report-charts").textContent);
  function draw(geo) {
    echarts.registerMap(cfg.mapName, geo);
    const values = cfg.mapData.filter(d => d.value !== null).map(d => d.value);
    echarts.init(document.getElementById("map"), null, {renderer: "svg"}).setOption({animation: false,
      title: {text: "综合评分分布", left: "center", textStyle: {fontSize: 13}},
      visualMap: {min: values.length ? Math.min(...values) : 0, max: values.length ? Math.max(...values) : 100, left: "left", bottom: 8,
                  calculable: false, text: ["好", "差"], inRange: {color: ["#c0392b", "#f4d03f", "#1e8449"]}},
      series: [{type: "map", map: cfg.mapName, roam: false, label: {show: true, fontSize: 9},
                data: cfg.mapData.map(d => ({name: d.name, value: d.value === null ? NaN : d.value}))}]});
  }
  const bars = cfg.bars.filter(b => b.value !== null);
  echarts.init(document.getElementById("bars"), null, {renderer: "svg"}).setOption({animation: false,
    title: {text: "综合评分排名", left: "center", textStyle: {fontSize: 13}}, grid: {left: 130, right: 30, top: 36, bottom: 20},
    xAxis: {type: "value", max: 100}, yAxis: {type: "category", inverse: true, data: bars.map(b => b.name)},
    series: [{type: "bar", data: bars.map(b => Math.round(b.value * 10) / 10), label: {show: true, position: "right"}, itemStyle: {color: "#1f4e8c"}}]});
  cfg.trends.forEach(t => {
    echarts.init(document.getElementById("trend-" + t.code), null, {renderer: "svg"}).setOption({animation: false,
      title: {text: t.label + (t.unit ? "（" + t.unit + "）" : ""), left: "center", textStyle: {fontSize: 12}},
      grid: {left: 45, right: 15, top: 30, bottom: 25}, xAxis: {type: "category", data: t.months},
      yAxis: {type: "value", scale: true}, series: [{type: "line", data: t.values, label: {show: true, fontSize: 9}}]});
  });
  const inlined = document.getElementById("report-geo");
  if (inlined) draw(JSON.parse(inlined.textContent));
  else fetch(document.getElementById("map").dataset.geoUrl).then(r => r.json()).then(draw);
  const print = document.getElementById("print");
  if (print) print.addEventListener("click", ev => { ev.preventDefault(); window.print(); });
  document.body.dataset.ready = "1";
})();
