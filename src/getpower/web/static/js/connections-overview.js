// The connections overview's two bar charts. Data: #company-data, #avg-data (json_script).
// No tooltip formatter of ours here: ECharts' default tooltip escapes names and values itself.
(function () {
  const rateEl = document.getElementById("rate-chart"), avgEl = document.getElementById("avg-chart");
  if (!rateEl || !avgEl) return;
  const comp = JSON.parse(document.getElementById("company-data").textContent)
    .filter(r => r.rate !== null).sort((a, b) => a.rate - b.rate).slice(0, 30);
  echarts.init(rateEl).setOption({tooltip: {}, grid: {left: 160}, xAxis: {type: "value", max: 100, name: "%"},
    yAxis: {type: "category", data: comp.map(r => r.name)},
    series: [{type: "bar", data: comp.map(r => r.rate), itemStyle: {color: "#1f4e8c"}}]});
  const avg = JSON.parse(document.getElementById("avg-data").textContent).filter(a => a.check !== "total");
  const cats = avg.map(a => a.class_label + "·" + a.stage_label);
  echarts.init(avgEl).setOption({tooltip: {trigger: "axis"}, legend: {data: ["平均用时", "时限"]}, grid: {left: 140},
    xAxis: {type: "value"}, yAxis: {type: "category", data: cats},
    series: [{name: "平均用时", type: "bar", data: avg.map(a => a.mean_workdays)},
             {name: "时限", type: "scatter", data: avg.map(a => a.limit), itemStyle: {color: "#c0392b"}}]});
})();
