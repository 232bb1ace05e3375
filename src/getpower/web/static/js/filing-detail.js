// What is typed in the entries form goes with the submission (the server saves it before freezing).
(function () {
  const submit = document.getElementById("submit-form"), entries = document.getElementById("entries-form");
  if (!submit || !entries) return;
  submit.addEventListener("submit", function () {
    for (const el of entries.querySelectorAll("input[name^='note::'], input[name^='date::'], textarea[name='remarks']")) {
      const copy = document.createElement("input");
      copy.type = "hidden"; copy.name = el.name; copy.value = el.value;
      this.appendChild(copy);
    }
  });
})();
