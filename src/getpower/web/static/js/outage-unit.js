// A unit's outage timeline and counts. Data: #timeline-data, #history-data (json_script).
// event_id and the reason come from the supply company's ledger: the tooltip escapes them
// (encodeHTML) before ECharts writes it with innerHTML.
(function () {
  const tlEl = document.getElementById("timeline");
  if (!tlEl) return;
  const esc = echarts.format.encodeHTML;
  const pts = JSON.parse(document.getElementById("timeline-data").textContent);
  const hist = JSON.parse(document.getElementById("history-data").textContent);
  const point = p => ({value: [p.t * 1000, Math.max(p.m, 1)], e: p.e, r: p.r});
  echarts.init(tlEl).setOption({
    tooltip: {formatter: p => [String(p.data.e), new Date(p.data.value[0]).toLocaleString("zh-CN"),
                               `${p.data.value[1]} 分钟`, String(p.data.r)].map(esc).join("<br>")},
    legend: {data: ["计入", "不计/剔除"]},
    xAxis: {type: "time"}, yAxis: {type: "log", name: "时长(分钟)", min: 1},
    series: [
      {name: "计入", type: "scatter", symbolSize: 12, itemStyle: {color: "#c0392b"}, data: pts.filter(p => p.c).map(point)},
      {name: "不计/剔除", type: "scatter", symbol: "diamond", symbolSize: 11, itemStyle: {color: "#7f8c8d"}, data: pts.filter(p => !p.c).map(point)}
    ]
  });
  echarts.init(document.getElementById("counts")).setOption({
    tooltip: {trigger: "axis"}, legend: {data: ["年内计入次数", "60天内次数"]},
    xAxis: {type: "time"}, yAxis: {type: "value", minInterval: 1},
    series: [
      {name: "年内计入次数", type: "line", step: "end", data: hist.map(h => [h.t * 1000, h.y]), markLine: {silent: true, data: [{yAxis: 5, name: "年上限"}], lineStyle: {color: "#c0392b"}}},
      {name: "60天内次数", type: "line", step: "end", data: hist.map(h => [h.t * 1000, h.w]), markLine: {silent: true, data: [{yAxis: 3}], lineStyle: {color: "#d68910"}}}
    ]
  });
})();
