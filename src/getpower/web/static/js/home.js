// The home page's map of 台区 per prefecture. Data: #map-data (json_script); map: #map[data-geo-url].
(function () {
  const el = document.getElementById("map");
  if (!el) return;
  const esc = echarts.format.encodeHTML;  // names reach the tooltip's innerHTML: always escaped
  fetch(el.dataset.geoUrl).then(r => r.json()).then(geo => {
    echarts.registerMap("yunnan", geo);
    const data = JSON.parse(document.getElementById("map-data").textContent);
    const chart = echarts.init(el);
    const max = Math.max(1, ...data.map(d => d.value));
    chart.setOption({
      tooltip: {trigger: "item", formatter: p => `${esc(p.name)}<br>台区：${esc(String(isNaN(p.value) ? 0 : p.value))}`},
      visualMap: {min: 0, max: max, left: "left", bottom: 10, text: ["多", "少"], calculable: true, inRange: {color: ["#e8f0fa", "#1f4e8c"]}},
      series: [{type: "map", map: "yunnan", roam: false, label: {show: true, fontSize: 10}, data: data}]
    });
    window.addEventListener("resize", () => chart.resize());
  });
})();
