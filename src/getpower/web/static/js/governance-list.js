// 动态清零: open governance items over time. Data: #zero-data (json_script).
(function () {
  const el = document.getElementById("zero");
  if (!el) return;
  const s = JSON.parse(document.getElementById("zero-data").textContent);
  echarts.init(el).setOption({tooltip: {trigger: "axis"}, xAxis: {type: "category", data: s.map(x => x[0])},
    yAxis: {type: "value", minInterval: 1}, series: [{type: "line", areaStyle: {}, data: s.map(x => x[1]), name: "未销号"}]});
})();
