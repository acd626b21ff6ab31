// The workbench's one script: the entry form's live figures and keyboard entry. It computes
// nothing: each line's amount, tax, total and stock on hand come from the server
// (POST /documents/preview, the ledger's own arithmetic), shown as they arrive.
(function () {
  "use strict";
  const form = document.getElementById("entry");
  if (!form) return;
  const body = form.querySelector("#entry-lines tbody");
  let pending = null;
  let asked = 0;

  function refresh() {
    const ask = ++asked;
    fetch("/documents/preview", { method: "POST", body: new URLSearchParams(new FormData(form)) })
      .then((answer) => answer.json())
      .then((preview) => {
        if (ask !== asked) return;
        const rows = body.querySelectorAll("tr.entry-line");
        preview.lines.forEach((line, index) => {
          const row = rows[index];
          if (!row) return;
          const values = line.values || ["", "", ""];
          row.querySelector(".amount").textContent = values[0];
          row.querySelector(".tax").textContent = values[1];
          row.querySelector(".total").textContent = values[2];
          row.querySelector(".on-hand").textContent = line.on_hand || "";
        });
      })
      .catch(() => {});
  }

  function soon() {
    clearTimeout(pending);
    pending = setTimeout(refresh, 150);
  }

  function addLine() {
    const rows = body.querySelectorAll("tr.entry-line");
    const copy = rows[rows.length - 1].cloneNode(true);
    copy.id = "line-" + rows.length;
    copy.querySelectorAll("input").forEach((input) => { input.value = ""; });
    copy.querySelectorAll("td.num").forEach((cell) => { cell.textContent = ""; });
    body.appendChild(copy);
    copy.querySelector("input").focus();
  }

  form.addEventListener("input", soon);
  // Enter moves to the next field of the line; past a line's last field it starts a new line.
  body.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.target.tagName !== "INPUT") return;
    event.preventDefault();
    const row = event.target.closest("tr");
    const inputs = Array.from(row.querySelectorAll("input"));
    const next = inputs[inputs.indexOf(event.target) + 1];
    if (next) {
      next.focus();
    } else if (row === body.querySelector("tr.entry-line:last-of-type") || !row.nextElementSibling) {
      addLine();
    } else {
      row.nextElementSibling.querySelector("input").focus();
    }
  });
  refresh();
})();
